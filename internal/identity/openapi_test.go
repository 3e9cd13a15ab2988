package identity

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/openapitest"
)

// specDeviation is a documented place where the identity OpenAPI spec (machine-generated
// by gtema/openstack-openapi) is wrong about real Keystone, so gostack follows Keystone
// and the oracle lets the departure pass.
type specDeviation struct {
	op      string // operationId
	pointer string // JSON pointer in the body; "*" matches one token; "" is the response itself
	reason  string // a substring of the violation's reason
	why     string // what real Keystone does
}

// Reasons shared by several allow-list entries.
const (
	whyPasswordExpiry  = "the token's user.password_expires_at is null when the password never expires (keystone/common/render_token.py)"
	whyCollectionLinks = "collection links are an object {self, previous, next} (keystone/api/validation/response_types.py links)"
	whyEntityLinks     = "entity links are an object {self} (keystone/api/validation/response_types.py resource_links)"
	whyRoleDescription = "a role's description is a string or null (keystone/assignment/schema.py role_schema)"
)

// specDeviations is the allow-list. Every entry must be hit by TestOpenAPIResponses. The
// "why" of each cites Keystone's code (keystone/api/*.py) or its own response schemas
// (keystone/*/schema.py), which the generated spec predates or misread.
var specDeviations = slices.Concat(
	statusDeviations(http.StatusMultipleChoices, "GET / is Keystone's version discovery: 300 Multiple Choices (keystone/api/discovery.py)",
		"versions:get"),
	statusDeviations(http.StatusCreated, "Keystone creates with 201 Created, the spec generator assumed 200",
		"auth/tokens:post", "credentials:post", "domains:post", "endpoints:post", "groups:post", "projects:post",
		"regions:post", "roles:post", "services:post", "users:post", "users/user_id/application_credentials:post"),
	statusDeviations(http.StatusNoContent, "Keystone answers grant, membership and implied-role checks and changes with 204 No Content and no body",
		slices.Concat(
			grantOps(":put", ":get", ":head"),
			[]string{"groups/group_id/users/user_id:put", "groups/group_id/users/user_id:get",
				"groups/group_id/users/user_id:head", "roles/prior_role_id/implies/implied_role_id:head"},
		)...),
	statusDeviations(http.StatusOK, "PUT /v3/projects/{id}/tags replaces the list and returns it with 200 OK (keystone/api/projects.py)",
		"projects/project_id/tags:put"),
	[]specDeviation{
		{"projects/project_id/tags/value:put", "", "empty body",
			"Keystone answers 201 with an empty body and a Location header (keystone/api/projects.py ProjectTagResource.put)"},
		{"auth/tokens:post", "/token/user/password_expires_at", "got null",
			whyPasswordExpiry},
		{"auth/tokens:get", "/token/user/password_expires_at", "got null",
			whyPasswordExpiry},
		{"auth/projects:get", "/links", "want array", whyCollectionLinks},
		{"auth/projects:get", "/projects/*/links", "want array", whyEntityLinks},
		{"auth/domains:get", "/links", "want array", whyCollectionLinks},
		{"auth/domains:get", "/domains/*/links", "want array", whyEntityLinks},
		{"roles:post", "/role/description", "got null", whyRoleDescription},
		{"roles:get", "/roles/*/description", "got null", whyRoleDescription},
		{"projects/project_id/users/user_id/roles:get", "/roles/*/description", "got null",
			whyRoleDescription},
	},
	appCredRoleDeviations(),
)

// statusDeviations allows one status the spec does not describe on each operation.
func statusDeviations(status int, why string, ops ...string) []specDeviation {
	out := make([]specDeviation, len(ops))
	for i, op := range ops {
		out[i] = specDeviation{op: op, reason: fmt.Sprintf("status %d is not described", status), why: why}
	}
	return out
}

// grantOps are the operationIds of every grant item URL, with each method suffix.
func grantOps(methods ...string) []string {
	var out []string
	for _, base := range []string{
		"projects/project_id/groups/group_id/roles/role_id", // the spec has 204 for the user variant
		"domains/domain_id/users/user_id/roles/role_id", "domains/domain_id/groups/group_id/roles/role_id",
		"OS-INHERIT/domains/domain_id/users/user_id/roles/role_id/inherited_to_projects",
		"OS-INHERIT/domains/domain_id/groups/group_id/roles/role_id/inherited_to_projects",
		"OS-INHERIT/projects/project_id/users/user_id/roles/role_id/inherited_to_projects",
		"OS-INHERIT/projects/project_id/groups/group_id/roles/role_id/inherited_to_projects",
		"system/users/user_id/roles/role_id", "system/groups/group_id/roles/role_id",
	} {
		for _, m := range methods {
			out = append(out, base+m)
		}
	}
	return out
}

// appCredRoleDeviations: the spec reuses the request's role reference (exactly one of id or
// name) for responses, where Keystone renders each role with id, name and domain_id
// (keystone/application_credential/schema.py application_credential_schema).
func appCredRoleDeviations() []specDeviation {
	const why = "Keystone renders application credential roles as {id, name, domain_id}, not a one-key reference"
	var out []specDeviation
	for op, ptr := range map[string]string{
		"users/user_id/application_credentials:post":                          "/application_credential/roles/*",
		"users/user_id/application_credentials/application_credential_id:get": "/application_credential/roles/*",
		"users/user_id/application_credentials:get":                           "/application_credentials/*/roles/*",
	} {
		out = append(out, specDeviation{op, ptr, "maxProperties", why}, specDeviation{op, ptr, "additional properties 'domain_id'", why})
	}
	return out
}

// matches reports whether the deviation covers a violation.
func (d specDeviation) matches(v openapitest.Violation) bool {
	if d.op != v.Operation || !strings.Contains(v.Reason, d.reason) {
		return false
	}
	ok, err := path.Match(d.pointer, v.Pointer)
	return err == nil && ok
}

// oracle drives the identity API and checks every response against the spec.
type oracle struct {
	t    *testing.T
	e    *testEnv
	spec *openapitest.Spec
	seen map[string]bool // operationIds exercised
	used map[int]bool    // specDeviations entries that matched
}

// do sends a request, requires the status and validates the response against the spec.
func (o *oracle) do(method, path, token string, body any, status int, headers ...string) response {
	o.t.Helper()
	res := o.e.call(method, path, token, body, headers...).must(o.t, status)
	if id, ok := o.spec.Operation(method, path); ok {
		o.seen[id] = true
	}
	for _, v := range o.spec.Check(method, path, res.status, []byte(res.raw)) {
		if !o.allowed(v) {
			o.t.Errorf("openapi %s %s -> %d: %s", method, path, res.status, v)
		}
	}
	return res
}

// allowed reports whether a documented deviation covers the violation, noting its use.
func (o *oracle) allowed(v openapitest.Violation) bool {
	for i, d := range specDeviations {
		if d.matches(v) {
			o.used[i] = true
			return true
		}
	}
	return false
}

// id returns the "id" of a created entity in the response.
func (o *oracle) id(res response, key string) string {
	o.t.Helper()
	id, _ := res.obj(key)["id"].(string)
	if id == "" {
		o.t.Fatalf("no %s id in %s", key, res.raw)
	}
	return id
}

// world holds the ids the scenarios share.
type world struct {
	admin, adminProject       string // bootstrap admin user and project
	adminRole, memberRole     string
	user, group, project, dom string
	role, implied             string
}

// TestOpenAPIResponses drives every identity operation gostack serves and validates each
// response against the Keystone v3.14 OpenAPI spec, allowing only specDeviations.
func TestOpenAPIResponses(t *testing.T) {
	e := newTestEnv(t)
	o := &oracle{t: t, e: e, spec: openapitest.Load(t, "identity", "v3.14.yaml"), seen: map[string]bool{}, used: map[int]bool{}}
	w := &world{admin: e.boot.AdminUserID, adminProject: e.boot.AdminProjectID}
	w.adminRole = o.id(o.do("POST", "/v3/roles", e.admin, map[string]any{"role": map[string]any{"name": "oracle-admin"}}, http.StatusCreated), "role")
	for _, r := range o.do("GET", "/v3/roles?name=member", e.admin, nil, http.StatusOK).list("roles") {
		w.memberRole, _ = r["id"].(string)
	}
	for _, scenario := range []func(*oracle, *world){
		oracleVersions, oracleDomains, oracleProjects, oracleUsers, oracleGroups, oracleRoles,
		oracleGrants, oracleRoleAssignments, oracleCatalog, oracleCredentials, oracleTokens,
		oracleAppCreds, oracleErrors, oracleDeletes,
	} {
		scenario(o, w)
	}
	o.checkCoverage()
	for i, d := range specDeviations {
		if !o.used[i] {
			t.Errorf("stale allow-list entry %s %q (%s): no response needed it", d.op, d.pointer, d.reason)
		}
	}
}

// checkCoverage fails for any route gostack serves that no scenario exercised.
func (o *oracle) checkCoverage() {
	o.t.Helper()
	patterns := []string{
		"GET /{$}", "GET /v3", "POST /v3/auth/tokens", "POST /v3/users/{id}/password", "GET /v3/auth/tokens",
		"HEAD /v3/auth/tokens", "DELETE /v3/auth/tokens", "GET /v3/auth/catalog", "GET /v3/auth/projects",
		"GET /v3/auth/domains", "GET /v3/auth/system",
	}
	for _, r := range o.e.svc.resourceRoutes() {
		patterns = append(patterns, r.pattern)
	}
	for _, p := range patterns {
		method, route, _ := strings.Cut(p, " ")
		id, ok := o.spec.Operation(method, strings.TrimSuffix(route, "{$}"))
		switch {
		case !ok:
			o.t.Errorf("route %s: the spec has no such operation", p)
		case !o.seen[id]:
			o.t.Errorf("route %s (%s): not exercised by the OpenAPI test", p, id)
		}
	}
}

func oracleVersions(o *oracle, _ *world) {
	o.do("GET", "/", "", nil, http.StatusMultipleChoices)
	o.do("GET", "/v3", "", nil, http.StatusOK)
	o.do("GET", "/v3/", "", nil, http.StatusOK)
	o.do("HEAD", "/v3", "", nil, http.StatusOK)
}

func oracleDomains(o *oracle, w *world) {
	tok := o.e.admin
	w.dom = o.id(o.do("POST", "/v3/domains", tok, map[string]any{"domain": map[string]any{
		"name": "Oracle", "description": "d", "tags": []string{"a"}}}, http.StatusCreated), "domain")
	o.do("GET", "/v3/domains/"+w.dom, tok, nil, http.StatusOK)
	o.do("GET", "/v3/domains?enabled=true", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/domains/"+w.dom, tok, map[string]any{"domain": map[string]any{"description": "changed"}}, http.StatusOK)
}

func oracleProjects(o *oracle, w *world) {
	tok := o.e.admin
	w.project = o.id(o.do("POST", "/v3/projects", tok, map[string]any{"project": map[string]any{
		"name": "oracle", "description": "p", "tags": []string{"x"}}}, http.StatusCreated), "project")
	o.do("POST", "/v3/projects", tok, map[string]any{"project": map[string]any{"name": "kid", "parent_id": w.project}}, http.StatusCreated)
	o.do("POST", "/v3/projects", tok, map[string]any{"project": map[string]any{"name": "elsewhere", "domain_id": w.dom}}, http.StatusCreated)
	o.do("GET", "/v3/projects/"+w.project, tok, nil, http.StatusOK)
	o.do("GET", "/v3/projects", tok, nil, http.StatusOK)
	o.do("GET", "/v3/projects?parent_id="+w.project, tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/projects/"+w.project, tok, map[string]any{"project": map[string]any{"description": "q"}}, http.StatusOK)
	base := "/v3/projects/" + w.project + "/tags"
	o.do("PUT", base, tok, map[string]any{"tags": []string{"one", "two"}}, http.StatusOK)
	o.do("GET", base, tok, nil, http.StatusOK)
	o.do("PUT", base+"/three", tok, nil, http.StatusCreated)
	o.do("GET", base+"/three", tok, nil, http.StatusNoContent)
	o.do("HEAD", base+"/three", tok, nil, http.StatusNoContent)
	o.do("DELETE", base+"/three", tok, nil, http.StatusNoContent)
	o.do("DELETE", base, tok, nil, http.StatusNoContent)
}

func oracleUsers(o *oracle, w *world) {
	tok := o.e.admin
	w.user = o.id(o.do("POST", "/v3/users", tok, map[string]any{"user": map[string]any{
		"name": "oracle", "password": "pw-1", "email": "o@example.com", "default_project_id": w.project}}, http.StatusCreated), "user")
	o.do("GET", "/v3/users/"+w.user, tok, nil, http.StatusOK)
	o.do("GET", "/v3/users", tok, nil, http.StatusOK)
	o.do("GET", "/v3/users?name=oracle&domain_id=default", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/users/"+w.user, tok, map[string]any{"user": map[string]any{"description": "u", "enabled": true}}, http.StatusOK)
	o.do("POST", "/v3/users/"+w.user+"/password", "", map[string]any{"user": map[string]any{
		"original_password": "pw-1", "password": "pw-2"}}, http.StatusNoContent)
	o.do("PUT", "/v3/projects/"+w.project+"/users/"+w.user+"/roles/"+w.memberRole, tok, nil, http.StatusNoContent)
	o.do("GET", "/v3/users/"+w.user+"/projects", tok, nil, http.StatusOK)
}

func oracleGroups(o *oracle, w *world) {
	tok := o.e.admin
	w.group = o.id(o.do("POST", "/v3/groups", tok, map[string]any{"group": map[string]any{"name": "oracle", "description": "g"}}, http.StatusCreated), "group")
	o.do("GET", "/v3/groups/"+w.group, tok, nil, http.StatusOK)
	o.do("GET", "/v3/groups", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/groups/"+w.group, tok, map[string]any{"group": map[string]any{"description": "h"}}, http.StatusOK)
	member := "/v3/groups/" + w.group + "/users/" + w.user
	o.do("PUT", member, tok, nil, http.StatusNoContent)
	o.do("GET", member, tok, nil, http.StatusNoContent)
	o.do("HEAD", member, tok, nil, http.StatusNoContent)
	o.do("GET", "/v3/groups/"+w.group+"/users", tok, nil, http.StatusOK)
	o.do("GET", "/v3/users/"+w.user+"/groups", tok, nil, http.StatusOK)
}

func oracleRoles(o *oracle, w *world) {
	tok := o.e.admin
	w.role = o.id(o.do("POST", "/v3/roles", tok, map[string]any{"role": map[string]any{"name": "oracle", "description": "r"}}, http.StatusCreated), "role")
	w.implied = o.id(o.do("POST", "/v3/roles", tok, map[string]any{"role": map[string]any{"name": "oracle-implied"}}, http.StatusCreated), "role")
	o.do("POST", "/v3/roles", tok, map[string]any{"role": map[string]any{"name": "local", "domain_id": w.dom}}, http.StatusCreated)
	o.do("GET", "/v3/roles/"+w.role, tok, nil, http.StatusOK)
	o.do("GET", "/v3/roles", tok, nil, http.StatusOK)
	o.do("GET", "/v3/roles?domain_id="+w.dom, tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/roles/"+w.role, tok, map[string]any{"role": map[string]any{"description": "s"}}, http.StatusOK)
	rule := "/v3/roles/" + w.role + "/implies/" + w.implied
	o.do("PUT", rule, tok, nil, http.StatusCreated)
	o.do("GET", rule, tok, nil, http.StatusOK)
	o.do("HEAD", rule, tok, nil, http.StatusNoContent)
	o.do("GET", "/v3/roles/"+w.role+"/implies", tok, nil, http.StatusOK)
	o.do("GET", "/v3/role_inferences", tok, nil, http.StatusOK)
}

// oracleGrants creates, checks, lists and revokes a grant in every grant family.
func oracleGrants(o *oracle, w *world) {
	tok := o.e.admin
	actors := map[string]string{"user": w.user, "group": w.group}
	targets := map[string]string{"project": w.project, "domain": w.dom}
	for _, f := range grantFamilies {
		list := strings.NewReplacer("{target_id}", targets[f.target], "{actor_id}", actors[f.actor]).Replace(f.rolesPath())
		item := list + "/" + w.role + f.suffix()
		o.do("PUT", item, tok, nil, http.StatusNoContent)
		o.do("GET", item, tok, nil, http.StatusNoContent)
		o.do("HEAD", item, tok, nil, http.StatusNoContent)
		if f.listable() {
			o.do("GET", list+f.suffix(), tok, nil, http.StatusOK)
		}
		o.do("DELETE", item, tok, nil, http.StatusNoContent)
	}
}

func oracleRoleAssignments(o *oracle, w *world) {
	tok := o.e.admin
	o.do("PUT", "/v3/OS-INHERIT/domains/"+w.dom+"/groups/"+w.group+"/roles/"+w.role+"/inherited_to_projects", tok, nil, http.StatusNoContent)
	for _, q := range []string{
		"", "?user.id=" + w.user, "?effective", "?effective&include_names", "?include_names=true",
		"?scope.project.id=" + w.project + "&include_subtree=true", "?scope.system=all", "?group.id=" + w.group,
		"?scope.OS-INHERIT:inherited_to=projects", "?role.id=" + w.role + "&effective",
	} {
		o.do("GET", "/v3/role_assignments"+q, tok, nil, http.StatusOK)
	}
}

func oracleCatalog(o *oracle, _ *world) {
	tok := o.e.admin
	region := o.do("POST", "/v3/regions", tok, map[string]any{"region": map[string]any{"id": "Oracle", "description": "r"}}, http.StatusCreated)
	o.do("PUT", "/v3/regions/Child", tok, map[string]any{"region": map[string]any{"parent_region_id": o.id(region, "region")}}, http.StatusCreated)
	o.do("GET", "/v3/regions/Oracle", tok, nil, http.StatusOK)
	o.do("GET", "/v3/regions", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/regions/Oracle", tok, map[string]any{"region": map[string]any{"description": "s"}}, http.StatusOK)
	svc := o.id(o.do("POST", "/v3/services", tok, map[string]any{"service": map[string]any{"type": "image", "name": "glance"}}, http.StatusCreated), "service")
	o.do("GET", "/v3/services/"+svc, tok, nil, http.StatusOK)
	o.do("GET", "/v3/services?type=image", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/services/"+svc, tok, map[string]any{"service": map[string]any{"description": "images"}}, http.StatusOK)
	ep := o.id(o.do("POST", "/v3/endpoints", tok, map[string]any{"endpoint": map[string]any{"service_id": svc,
		"interface": "public", "url": "http://controller:9292", "region_id": "Oracle"}}, http.StatusCreated), "endpoint")
	o.do("GET", "/v3/endpoints/"+ep, tok, nil, http.StatusOK)
	o.do("GET", "/v3/endpoints?interface=public", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/endpoints/"+ep, tok, map[string]any{"endpoint": map[string]any{"url": "http://controller:9293"}}, http.StatusOK)
	o.do("DELETE", "/v3/endpoints/"+ep, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/services/"+svc, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/regions/Child", tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/regions/Oracle", tok, nil, http.StatusNoContent)
}

func oracleCredentials(o *oracle, w *world) {
	tok := o.e.admin
	cred := o.id(o.do("POST", "/v3/credentials", tok, credentialBody(map[string]any{
		"user_id": w.admin, "type": "ec2", "project_id": w.adminProject, "blob": `{"access": "a", "secret": "s"}`}), http.StatusCreated), "credential")
	o.do("POST", "/v3/credentials", tok, credentialBody(map[string]any{"user_id": w.admin, "type": "totp", "blob": "x"}), http.StatusCreated)
	o.do("GET", "/v3/credentials/"+cred, tok, nil, http.StatusOK)
	o.do("GET", "/v3/credentials?type=ec2", tok, nil, http.StatusOK)
	o.do("PATCH", "/v3/credentials/"+cred, tok, credentialBody(map[string]any{"blob": `{"access": "a", "secret": "t"}`}), http.StatusOK)
	o.do("DELETE", "/v3/credentials/"+cred, tok, nil, http.StatusNoContent)
}

// oracleTokens issues, validates and revokes a token of every scope kind.
func oracleTokens(o *oracle, w *world) {
	tok := o.e.admin
	o.do("PUT", "/v3/domains/"+w.dom+"/users/"+w.admin+"/roles/"+w.memberRole, tok, nil, http.StatusNoContent)
	identity := map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
		"name": "admin", "domain": map[string]any{"name": "Default"}, "password": testAdminPassword}}}
	scopes := map[string]any{
		"project":  map[string]any{"project": map[string]any{"id": w.adminProject}},
		"domain":   map[string]any{"domain": map[string]any{"id": w.dom}},
		"system":   map[string]any{"system": map[string]any{"all": true}},
		"unscoped": nil,
	}
	for _, kind := range []string{"project", "domain", "system", "unscoped"} {
		a := map[string]any{"identity": identity}
		if scopes[kind] != nil {
			a["scope"] = scopes[kind]
		}
		issued := o.do("POST", "/v3/auth/tokens", "", map[string]any{"auth": a}, http.StatusCreated)
		subject := issued.header.Get("X-Subject-Token")
		o.do("GET", "/v3/auth/tokens", tok, nil, http.StatusOK, "X-Subject-Token", subject)
		o.do("GET", "/v3/auth/tokens?nocatalog", tok, nil, http.StatusOK, "X-Subject-Token", subject)
		o.do("HEAD", "/v3/auth/tokens", tok, nil, http.StatusOK, "X-Subject-Token", subject)
		for _, sub := range []string{"projects", "domains", "system"} {
			o.do("GET", "/v3/auth/"+sub, subject, nil, http.StatusOK)
		}
		switch kind { // Keystone gives a catalog for project scope only
		case "project":
			o.do("GET", "/v3/auth/catalog", subject, nil, http.StatusOK)
		case "unscoped":
			o.do("GET", "/v3/auth/catalog", subject, nil, http.StatusForbidden)
		}
		if kind == "unscoped" {
			o.do("POST", "/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
				"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": subject}},
				"scope":    scopes["project"]}}, http.StatusCreated)
		}
		o.do("DELETE", "/v3/auth/tokens", tok, nil, http.StatusNoContent, "X-Subject-Token", subject)
	}
}

func oracleAppCreds(o *oracle, w *world) {
	tok := o.e.admin
	base := "/v3/users/" + w.admin + "/application_credentials"
	created := o.do("POST", base, tok, map[string]any{"application_credential": map[string]any{
		"name": "oracle", "description": "a", "expires_at": "2099-01-01T00:00:00", "unrestricted": false,
		"roles": []any{map[string]any{"name": "member"}}}}, http.StatusCreated)
	ac := o.id(created, "application_credential")
	secret, _ := created.obj("application_credential")["secret"].(string)
	o.do("GET", base+"/"+ac, tok, nil, http.StatusOK)
	o.do("GET", base, tok, nil, http.StatusOK)
	issued := o.do("POST", "/v3/auth/tokens", "", appCredAuth(ac, "", "", secret), http.StatusCreated)
	o.do("GET", "/v3/auth/tokens", tok, nil, http.StatusOK, "X-Subject-Token", issued.header.Get("X-Subject-Token"))
	o.do("DELETE", base+"/"+ac, tok, nil, http.StatusNoContent)
}

// oracleErrors checks error statuses the spec lists (403, 404) keep to it.
func oracleErrors(o *oracle, w *world) {
	member := o.e.login("oracle", "pw-2", "oracle")
	o.do("GET", "/v3/users", member, nil, http.StatusForbidden)
	o.do("DELETE", "/v3/projects/"+w.project, member, nil, http.StatusForbidden)
	o.do("GET", "/v3/users/nope", o.e.admin, nil, http.StatusNotFound)
	o.do("GET", "/v3/auth/tokens", o.e.admin, nil, http.StatusNotFound, "X-Subject-Token", "garbage")
}

// oracleDeletes removes what the scenarios created, exercising every DELETE.
func oracleDeletes(o *oracle, w *world) {
	tok := o.e.admin
	o.do("DELETE", "/v3/roles/"+w.role+"/implies/"+w.implied, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/groups/"+w.group+"/users/"+w.user, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/groups/"+w.group, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/users/"+w.user, tok, nil, http.StatusNoContent)
	o.do("DELETE", "/v3/roles/"+w.role, tok, nil, http.StatusNoContent)
	for _, p := range o.do("GET", "/v3/projects?parent_id="+w.project, tok, nil, http.StatusOK).list("projects") {
		o.do("DELETE", "/v3/projects/"+p["id"].(string), tok, nil, http.StatusNoContent)
	}
	o.do("DELETE", "/v3/projects/"+w.project, tok, nil, http.StatusNoContent)
	o.do("PATCH", "/v3/domains/"+w.dom, tok, map[string]any{"domain": map[string]any{"enabled": false}}, http.StatusOK)
	o.do("DELETE", "/v3/domains/"+w.dom, tok, nil, http.StatusNoContent)
}
