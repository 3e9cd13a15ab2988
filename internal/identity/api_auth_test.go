package identity

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestIssueAndValidateToken(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("POST", "/v3/auth/tokens", "", passwordAuth("admin", testAdminPassword, "admin")).must(t, http.StatusCreated)
	token := res.header.Get("X-Subject-Token")
	if token == "" || len(token) > 255 {
		t.Fatalf("token %q", token)
	}
	tok := res.obj("token")
	if tok["project"].(map[string]any)["name"] != "admin" {
		t.Fatalf("project: %v", tok["project"])
	}
	roles := map[string]bool{}
	for _, r := range tok["roles"].([]any) {
		roles[r.(map[string]any)["name"].(string)] = true
	}
	for _, want := range []string{"admin", "member", "reader"} {
		if !roles[want] {
			t.Errorf("role %s missing from %v", want, roles)
		}
	}
	if cat, _ := tok["catalog"].([]any); len(cat) != 1 {
		t.Errorf("catalog: %v", tok["catalog"])
	}
	v := e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusOK)
	if v.obj("token", "user")["name"] != "admin" {
		t.Fatalf("validate: %v", v.body)
	}
	e.call("HEAD", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusOK)
	e.call("DELETE", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNoContent)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	e.call("GET", "/v3/auth/catalog", token, nil).must(t, http.StatusUnauthorized)
}

func TestAuthFailures(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		name   string
		body   any
		status int
	}{
		{"wrong password", passwordAuth("admin", "nope", "admin"), http.StatusUnauthorized},
		{"unknown user", passwordAuth("ghost", "x", ""), http.StatusUnauthorized},
		{"unknown project", passwordAuth("admin", testAdminPassword, "ghost"), http.StatusUnauthorized},
		{"malformed json", `{"auth": `, http.StatusBadRequest},
		{"wrong type", `{"auth": {"identity": {"methods": "password"}}}`, http.StatusBadRequest},
		{"no identity", `{"auth": {}}`, http.StatusBadRequest},
		{"unknown method", `{"auth": {"identity": {"methods": ["magic"]}}}`, http.StatusUnauthorized},
		{"two scopes", `{"auth": {"identity": {"methods": ["token"], "token": {"id": "x"}}, "scope": {"system": {"all": true}, "domain": {"id": "default"}}}}`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", "/v3/auth/tokens", "", c.body).must(t, c.status)
			if res.errorMessage() == "" {
				t.Errorf("no error message: %s", res.raw)
			}
		})
	}
	e.call("GET", "/v3/auth/tokens", "garbage", nil, "X-Subject-Token", e.admin).must(t, http.StatusUnauthorized)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", "garbage").must(t, http.StatusNotFound)
}

func TestExpiredTokens(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.TokenExpiration = 300 * time.Millisecond; o.AllowExpiredWindow = time.Hour })
	token := e.login("admin", testAdminPassword, "admin")
	time.Sleep(400 * time.Millisecond)
	fresh := e.login("admin", testAdminPassword, "admin")
	res := e.call("GET", "/v3/auth/tokens", fresh, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	if !strings.Contains(res.errorMessage(), "expired") {
		t.Errorf("message %q", res.errorMessage())
	}
	e.call("GET", "/v3/auth/tokens?allow_expired=1", fresh, nil, "X-Subject-Token", token).must(t, http.StatusOK)
	e.call("GET", "/v3/auth/catalog", token, nil).must(t, http.StatusUnauthorized)
}

func TestOversizedBody(t *testing.T) {
	e := newTestEnv(t)
	big := `{"user": {"name": "x", "description": "` + strings.Repeat("a", 200000) + `"}}`
	res := e.call("POST", "/v3/users", e.admin, big).must(t, http.StatusRequestEntityTooLarge)
	if res.errorMessage() == "" {
		t.Errorf("413 without a message: %s", res.raw)
	}
	if users := e.call("GET", "/v3/users?name=x", e.admin, nil).list("users"); len(users) != 0 {
		t.Errorf("an oversized create wrote a user: %v", users)
	}
}

// TestScopes issues domain, system, unscoped and rescoped tokens, and refuses a scope the user
// holds no role on.
func TestScopes(t *testing.T) {
	e := newTestEnv(t)
	identity := map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
		"name": "admin", "domain": map[string]any{"name": "Default"}, "password": testAdminPassword}}}
	auth := func(scope any) map[string]any {
		a := map[string]any{"identity": identity}
		if scope != nil {
			a["scope"] = scope
		}
		return map[string]any{"auth": a}
	}
	sys := e.call("POST", "/v3/auth/tokens", "", auth(map[string]any{"system": map[string]any{"all": true}})).must(t, http.StatusCreated)
	if roles, _ := sys.obj("token")["roles"].([]any); sys.obj("token", "system")["all"] != true || len(roles) == 0 {
		t.Errorf("system token: %s", sys.raw)
	}
	e.call("GET", "/v3/auth/catalog", sys.header.Get("X-Subject-Token"), nil).must(t, http.StatusForbidden) // project scope only
	unscoped := e.call("POST", "/v3/auth/tokens", "", auth("unscoped")).must(t, http.StatusCreated)
	if tok := unscoped.obj("token"); tok["project"] != nil || tok["roles"] != nil || tok["catalog"] != nil {
		t.Errorf("unscoped token: %s", unscoped.raw)
	}
	// The admin holds no role on the Default domain itself.
	e.call("POST", "/v3/auth/tokens", "", auth(map[string]any{"domain": map[string]any{"id": "default"}})).must(t, http.StatusUnauthorized)
	e.call("POST", "/v3/auth/tokens", "", auth(map[string]any{"domain": map[string]any{"name": "Nowhere"}})).must(t, http.StatusUnauthorized)

	// Rescope the unscoped token to the demo project: the admin has no role there.
	rescope := func(project string) response {
		return e.call("POST", "/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": unscoped.header.Get("X-Subject-Token")}},
			"scope":    map[string]any{"project": map[string]any{"name": project, "domain": map[string]any{"id": "default"}}},
		}})
	}
	rescope("demo").must(t, http.StatusUnauthorized)
	scoped := rescope("admin").must(t, http.StatusCreated)
	parent, child := unscoped.obj("token"), scoped.obj("token")
	if child["expires_at"] != parent["expires_at"] {
		t.Errorf("a rescoped token outlives its parent: %v vs %v", child["expires_at"], parent["expires_at"])
	}
	chain := child["audit_ids"].([]any)
	if len(chain) != 2 || chain[1] != parent["audit_ids"].([]any)[0] {
		t.Errorf("audit chain %v, parent %v", chain, parent["audit_ids"])
	}
}

// TestDisabledScopesInvalidateTokens disables a project and then a domain under live tokens.
func TestDisabledScopesInvalidateTokens(t *testing.T) {
	e := newTestEnv(t)
	dom := e.call("POST", "/v3/domains", e.admin, map[string]any{"domain": map[string]any{"name": "Lab"}}).must(t, http.StatusCreated).obj("domain")["id"].(string)
	proj := e.call("POST", "/v3/projects", e.admin, map[string]any{"project": map[string]any{"name": "p", "domain_id": dom}}).must(t, http.StatusCreated).obj("project")["id"].(string)
	user := e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "u", "domain_id": dom, "password": "pw"}}).must(t, http.StatusCreated).obj("user")["id"].(string)
	member := e.call("GET", "/v3/roles?name=member", e.admin, nil).list("roles")[0]["id"].(string)
	e.call("PUT", "/v3/projects/"+proj+"/users/"+user+"/roles/"+member, e.admin, nil).must(t, http.StatusNoContent)
	login := func() string {
		res := e.call("POST", "/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{"id": user, "password": "pw"}}},
			"scope":    map[string]any{"project": map[string]any{"id": proj}}}})
		return res.must(t, http.StatusCreated).header.Get("X-Subject-Token")
	}
	check := func(token string, want int) {
		t.Helper()
		e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, want)
	}
	token := login()
	e.call("PATCH", "/v3/projects/"+proj, e.admin, map[string]any{"project": map[string]any{"enabled": false}}).must(t, http.StatusOK)
	check(token, http.StatusNotFound)
	e.call("PATCH", "/v3/projects/"+proj, e.admin, map[string]any{"project": map[string]any{"enabled": true}}).must(t, http.StatusOK)
	token = login()
	e.call("PATCH", "/v3/domains/"+dom, e.admin, map[string]any{"domain": map[string]any{"enabled": false}}).must(t, http.StatusOK)
	check(token, http.StatusNotFound)
	e.call("POST", "/v3/auth/tokens", "", map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{"id": user, "password": "pw"}}}}}).
		must(t, http.StatusUnauthorized)
	e.call("DELETE", "/v3/domains/"+dom, e.admin, nil).must(t, http.StatusNoContent)
	e.call("GET", "/v3/users/"+user, e.admin, nil).must(t, http.StatusNotFound)
}
