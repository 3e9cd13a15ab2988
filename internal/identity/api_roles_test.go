package identity

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// raPassword is the password of every user the role and assignment tests create.
const raPassword = "pw-for-roles"

// raUser creates an enabled Default-domain user with raPassword and returns its id.
func raUser(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	u := User{ID: newID(), Name: name, DomainID: DefaultDomainID, Enabled: true, CreatedAt: time.Now().UTC()}
	pw, err := newPassword(e.svc.opts.Hasher, u.ID, raPassword, time.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.store.CreateUser(context.Background(), u, pw); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// raGroup creates a Default-domain group with the given members and returns its id.
func raGroup(t *testing.T, e *testEnv, name string, members ...string) string {
	t.Helper()
	ctx := context.Background()
	g := Group{ID: newID(), Name: name, DomainID: DefaultDomainID}
	if err := e.svc.store.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if err := e.svc.store.AddGroupMember(ctx, g.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	return g.ID
}

// raProject creates an enabled project under parent (a Default-domain project or the domain).
func raProject(t *testing.T, e *testEnv, name, parent string) string {
	t.Helper()
	p := Project{ID: newID(), Name: name, DomainID: DefaultDomainID, ParentID: parent, Enabled: true}
	if err := e.svc.store.CreateProject(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// raProjectID returns the id of a Default-domain project by name.
func raProjectID(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	p, err := e.svc.store.GetProjectByName(context.Background(), DefaultDomainID, name)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// raRole creates a role through the API (domainID "" for a global role) and returns its id.
func raRole(t *testing.T, e *testEnv, name, domainID string) string {
	t.Helper()
	body := map[string]any{"name": name}
	if domainID != "" {
		body["domain_id"] = domainID
	}
	res := e.call("POST", "/v3/roles", e.admin, map[string]any{"role": body}).must(t, http.StatusCreated)
	return res.obj("role")["id"].(string)
}

// raRoleID returns the id of a global role by name.
func raRoleID(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	r, err := e.svc.store.GetRoleByName(context.Background(), "", name)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// raMemberToken is a token of a new user holding only the member role on demo.
func raMemberToken(t *testing.T, e *testEnv) string {
	t.Helper()
	uid := raUser(t, e, "plain-member")
	demo := raProjectID(t, e, "demo")
	e.call("PUT", "/v3/projects/"+demo+"/users/"+uid+"/roles/"+raRoleID(t, e, "member"), e.admin, nil).must(t, http.StatusNoContent)
	return e.login("plain-member", raPassword, "demo")
}

func TestRoleCRUD(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("POST", "/v3/roles", e.admin, `{"role": {"name": "developer", "description": "writes code"}}`).must(t, http.StatusCreated)
	role := res.obj("role")
	id, _ := role["id"].(string)
	if len(id) != 32 || role["name"] != "developer" || role["domain_id"] != nil || role["description"] != "writes code" {
		t.Fatalf("created role: %v", role)
	}
	if opts, ok := role["options"].(map[string]any); !ok || len(opts) != 0 {
		t.Errorf("options: %v", role["options"])
	}
	if self, _ := role["links"].(map[string]any)["self"].(string); !strings.HasSuffix(self, "/v3/roles/"+id) {
		t.Errorf("self link: %v", role["links"])
	}
	e.call("GET", "/v3/roles/"+id, e.admin, nil).must(t, http.StatusOK)
	list := e.call("GET", "/v3/roles?name=developer", e.admin, nil).must(t, http.StatusOK).list("roles")
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("filtered list: %v", list)
	}
	if all := e.call("GET", "/v3/roles", e.admin, nil).must(t, http.StatusOK).list("roles"); len(all) != 4 {
		t.Errorf("want admin, member, reader and developer, got %v", all)
	}
	up := e.call("PATCH", "/v3/roles/"+id, e.admin, `{"role": {"name": "dev", "description": null}}`).must(t, http.StatusOK).obj("role")
	if up["name"] != "dev" || up["description"] != nil {
		t.Fatalf("updated: %v", up)
	}
	dup := e.call("POST", "/v3/roles", e.admin, `{"role": {"name": "dev"}}`).must(t, http.StatusConflict)
	if !strings.Contains(dup.errorMessage(), "Duplicate entry found with name dev") {
		t.Errorf("conflict message: %q", dup.errorMessage())
	}
	e.call("PATCH", "/v3/roles/"+id, e.admin, `{"role": {"name": "member"}}`).must(t, http.StatusConflict)
	e.call("DELETE", "/v3/roles/"+id, e.admin, nil).must(t, http.StatusNoContent)
	gone := e.call("GET", "/v3/roles/"+id, e.admin, nil).must(t, http.StatusNotFound)
	if gone.errorMessage() != "Could not find role: "+id+"." {
		t.Errorf("not found message: %q", gone.errorMessage())
	}
}

func TestRoleBadInput(t *testing.T) {
	e := newTestEnv(t)
	id := raRole(t, e, "tester", "")
	cases := []struct {
		name, method, path string
		body               any
		status             int
		message            string
	}{
		{"malformed json", "POST", "/v3/roles", `{"role": `, http.StatusBadRequest, "Malformed"},
		{"no role object", "POST", "/v3/roles", `{"name": "x"}`, http.StatusBadRequest, "'role'"},
		{"missing name", "POST", "/v3/roles", `{"role": {}}`, http.StatusBadRequest, "role.name"},
		{"name not a string", "POST", "/v3/roles", `{"role": {"name": 7}}`, http.StatusBadRequest, "role.name"},
		{"blank name", "POST", "/v3/roles", `{"role": {"name": "   "}}`, http.StatusBadRequest, "role.name"},
		{"long name", "POST", "/v3/roles", map[string]any{"role": map[string]any{"name": strings.Repeat("n", 256)}}, http.StatusBadRequest, "role.name"},
		{"unknown option", "POST", "/v3/roles", `{"role": {"name": "x", "options": {"color": true}}}`, http.StatusBadRequest, "role.options"},
		{"option not boolean", "POST", "/v3/roles", `{"role": {"name": "x", "options": {"immutable": "yes"}}}`, http.StatusBadRequest, "role.options"},
		{"options not object", "POST", "/v3/roles", `{"role": {"name": "x", "options": []}}`, http.StatusBadRequest, "role.options"},
		{"unknown domain", "POST", "/v3/roles", `{"role": {"name": "x", "domain_id": "nowhere"}}`, http.StatusNotFound, "Could not find domain: nowhere."},
		{"empty patch", "PATCH", "/v3/roles/" + id, `{"role": {}}`, http.StatusBadRequest, "role"},
		{"patch domain", "PATCH", "/v3/roles/" + id, `{"role": {"domain_id": "default"}}`, http.StatusBadRequest, "Update of `domain_id` is not allowed."},
		{"patch wrong type", "PATCH", "/v3/roles/" + id, `{"role": {"description": 3}}`, http.StatusBadRequest, "role.description"},
		{"patch unknown role", "PATCH", "/v3/roles/nope", `{"role": {"name": "y"}}`, http.StatusNotFound, "Could not find role: nope."},
		{"delete unknown role", "DELETE", "/v3/roles/nope", nil, http.StatusNotFound, "Could not find role: nope."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call(c.method, c.path, e.admin, c.body).must(t, c.status)
			if !strings.Contains(res.errorMessage(), c.message) {
				t.Errorf("message %q does not mention %q", res.errorMessage(), c.message)
			}
		})
	}
	if got := e.call("GET", "/v3/roles/"+id, e.admin, nil).must(t, http.StatusOK).obj("role")["name"]; got != "tester" {
		t.Errorf("a rejected request changed the role: %v", got)
	}
}

func TestImmutableRole(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("POST", "/v3/roles", e.admin, `{"role": {"name": "frozen", "options": {"immutable": true}}}`).must(t, http.StatusCreated)
	role := res.obj("role")
	if role["options"].(map[string]any)["immutable"] != true {
		t.Fatalf("options: %v", role["options"])
	}
	path := "/v3/roles/" + role["id"].(string)
	msg := e.call("PATCH", path, e.admin, `{"role": {"name": "thawed"}}`).must(t, http.StatusForbidden).errorMessage()
	if !strings.Contains(msg, "Unable to update immutable role resource") {
		t.Errorf("update message: %q", msg)
	}
	e.call("PATCH", path, e.admin, `{"role": {"name": "thawed", "options": {"immutable": false}}}`).must(t, http.StatusForbidden)
	msg = e.call("DELETE", path, e.admin, nil).must(t, http.StatusForbidden).errorMessage()
	if !strings.Contains(msg, "Unable to delete immutable role resource") {
		t.Errorf("delete message: %q", msg)
	}
	e.call("PATCH", path, e.admin, `{"role": {"options": {"immutable": null}}}`).must(t, http.StatusOK)
	e.call("PATCH", path, e.admin, `{"role": {"name": "thawed"}}`).must(t, http.StatusOK)
	e.call("DELETE", path, e.admin, nil).must(t, http.StatusNoContent)
}

func TestDomainSpecificRoles(t *testing.T) {
	e := newTestEnv(t)
	global := raRole(t, e, "auditor", "")
	scoped := e.call("POST", "/v3/roles", e.admin, `{"role": {"name": "auditor", "domain_id": "default"}}`).must(t, http.StatusCreated).obj("role")
	if scoped["domain_id"] != "default" || scoped["id"] == global {
		t.Fatalf("domain role: %v", scoped)
	}
	e.call("POST", "/v3/roles", e.admin, `{"role": {"name": "auditor", "domain_id": "default"}}`).must(t, http.StatusConflict)
	inDomain := e.call("GET", "/v3/roles?domain_id=default", e.admin, nil).must(t, http.StatusOK).list("roles")
	if len(inDomain) != 1 || inDomain[0]["id"] != scoped["id"] {
		t.Errorf("domain roles: %v", inDomain)
	}
	for _, r := range e.call("GET", "/v3/roles", e.admin, nil).must(t, http.StatusOK).list("roles") {
		if r["domain_id"] != nil {
			t.Errorf("global listing shows a domain role: %v", r)
		}
	}
}

func TestImpliedRoles(t *testing.T) {
	e := newTestEnv(t)
	a, b, c := raRole(t, e, "a", ""), raRole(t, e, "b", ""), raRole(t, e, "c", "")
	domainRole := raRole(t, e, "d", DefaultDomainID)
	imply := func(prior, implied string) string { return "/v3/roles/" + prior + "/implies/" + implied }

	res := e.call("PUT", imply(a, b), e.admin, nil).must(t, http.StatusCreated)
	inf := res.obj("role_inference")
	if inf["prior_role"].(map[string]any)["id"] != a || inf["implies"].(map[string]any)["name"] != "b" {
		t.Fatalf("role_inference: %v", res.body)
	}
	e.call("PUT", imply(a, c), e.admin, nil).must(t, http.StatusCreated)
	e.call("PUT", imply(a, b), e.admin, nil).must(t, http.StatusConflict)
	e.call("GET", imply(a, b), e.admin, nil).must(t, http.StatusOK)
	e.call("HEAD", imply(a, b), e.admin, nil).must(t, http.StatusNoContent)
	e.call("HEAD", imply(b, a), e.admin, nil).must(t, http.StatusNotFound)

	list := e.call("GET", "/v3/roles/"+a+"/implies", e.admin, nil).must(t, http.StatusOK).obj("role_inference")
	if implies, _ := list["implies"].([]any); len(implies) != 2 {
		t.Errorf("implies of a: %v", list)
	}
	found := false
	for _, inf := range e.call("GET", "/v3/role_inferences", e.admin, nil).must(t, http.StatusOK).list("role_inferences") {
		if inf["prior_role"].(map[string]any)["id"] == a {
			found = len(inf["implies"].([]any)) == 2
		}
	}
	if !found {
		t.Error("role_inferences misses a's two implications")
	}

	bad := []struct {
		name, path string
		status     int
	}{
		{"self", imply(a, a), http.StatusBadRequest},
		{"prohibited admin", imply(a, raRoleID(t, e, "admin")), http.StatusForbidden},
		{"global implies domain role", imply(a, domainRole), http.StatusForbidden},
		{"unknown prior", imply("nope", a), http.StatusNotFound},
		{"unknown implied", imply(a, "nope"), http.StatusNotFound},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if msg := e.call("PUT", c.path, e.admin, nil).must(t, c.status).errorMessage(); msg == "" {
				t.Error("no error message")
			}
		})
	}
	e.call("PUT", imply(domainRole, a), e.admin, nil).must(t, http.StatusCreated)
	e.call("DELETE", imply(a, b), e.admin, nil).must(t, http.StatusNoContent)
	e.call("DELETE", imply(a, b), e.admin, nil).must(t, http.StatusNotFound)
	e.call("GET", imply(a, b), e.admin, nil).must(t, http.StatusNotFound)
}

func TestRolePolicy(t *testing.T) {
	e := newTestEnv(t)
	member := raMemberToken(t, e)
	id := raRole(t, e, "guarded", "")
	other := raRole(t, e, "other", "")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v3/roles", `{"role": {"name": "sneaky"}}`},
		{"POST", "/v3/roles", `{"role": {"name": "sneaky", "domain_id": "default"}}`},
		{"PATCH", "/v3/roles/" + id, `{"role": {"name": "mine"}}`},
		{"DELETE", "/v3/roles/" + id, ""},
		{"DELETE", "/v3/roles/unknown", ""},
		{"PUT", "/v3/roles/" + id + "/implies/" + other, ""},
		{"GET", "/v3/role_inferences", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		e.call(c.method, c.path, member, body).must(t, http.StatusForbidden)
	}
	e.call("GET", "/v3/roles/"+id, member, nil).must(t, http.StatusOK) // readers may see global roles
}
