package identity

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiCreateUser creates a Default-domain user through the API (extra fields merged into the
// body) and returns its id.
func apiCreateUser(t *testing.T, e *testEnv, name, password string, extra map[string]any) string {
	t.Helper()
	user := map[string]any{"name": name, "password": password}
	for k, v := range extra {
		user[k] = v
	}
	res := e.call("POST", "/v3/users", e.admin, map[string]any{"user": user}).must(t, http.StatusCreated)
	return res.obj("user")["id"].(string)
}

// grantDemoRole gives a user a bootstrap role on the demo project.
func grantDemoRole(t *testing.T, e *testEnv, actorType, actorID, roleName string) {
	t.Helper()
	ctx := context.Background()
	role, err := e.svc.store.GetRoleByName(ctx, "", roleName)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := e.svc.store.GetProjectByName(ctx, DefaultDomainID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.store.Grant(ctx, Assignment{Type: actorType, ActorID: actorID, TargetID: demo.ID, RoleID: role.ID}); err != nil {
		t.Fatal(err)
	}
}

// newMember creates a user with the member role on demo and returns its id and a demo token.
func newMember(t *testing.T, e *testEnv, name, password string) (string, string) {
	t.Helper()
	id := apiCreateUser(t, e, name, password, nil)
	grantDemoRole(t, e, UserProject, id, "member")
	return id, e.login(name, password, "demo")
}

// passwordChange is a self-service password change body.
func passwordChange(original, password string) map[string]any {
	return map[string]any{"user": map[string]any{"original_password": original, "password": password}}
}

// loginStatus tries a demo-scoped password login and returns the response.
func loginStatus(e *testEnv, name, password string) response {
	return e.call("POST", "/v3/auth/tokens", "", passwordAuth(name, password, "demo"))
}

func TestUserCRUD(t *testing.T) {
	e := newTestEnv(t)
	demo, err := e.svc.store.GetProjectByName(context.Background(), DefaultDomainID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"user": map[string]any{
		"name": "alice", "password": "pw-alice", "email": "alice@example.org", "description": "Alice",
		"color": "blue", "default_project_id": demo.ID, "options": map[string]any{"ignore_password_expiry": true},
	}}
	created := e.call("POST", "/v3/users", e.admin, body).must(t, http.StatusCreated).obj("user")
	id, _ := created["id"].(string)
	want := map[string]any{
		"name": "alice", "domain_id": DefaultDomainID, "enabled": true, "email": "alice@example.org",
		"description": "Alice", "color": "blue", "default_project_id": demo.ID, "password_expires_at": nil,
	}
	for k, v := range want {
		if created[k] != v {
			t.Errorf("created %s = %v, want %v", k, created[k], v)
		}
	}
	if len(id) != 32 || created["password"] != nil {
		t.Errorf("id %q, password %v", id, created["password"])
	}
	if opts, _ := created["options"].(map[string]any); opts["ignore_password_expiry"] != true {
		t.Errorf("options: %v", created["options"])
	}
	if self, _ := created["links"].(map[string]any)["self"].(string); !strings.HasSuffix(self, "/v3/users/"+id) {
		t.Errorf("links: %v", created["links"])
	}

	got := e.call("GET", "/v3/users/"+id, e.admin, nil).must(t, http.StatusOK).obj("user")
	if got["email"] != "alice@example.org" || got["default_project_id"] != demo.ID {
		t.Errorf("get: %v", got)
	}
	e.login("alice", "pw-alice", "")

	patch := map[string]any{"user": map[string]any{"name": "alice2", "email": nil, "enabled": false,
		"default_project_id": nil, "options": map[string]any{"ignore_password_expiry": nil, "lock_password": true}}}
	updated := e.call("PATCH", "/v3/users/"+id, e.admin, patch).must(t, http.StatusOK).obj("user")
	if updated["name"] != "alice2" || updated["enabled"] != false || updated["color"] != "blue" {
		t.Errorf("updated: %v", updated)
	}
	if _, ok := updated["email"]; ok {
		t.Errorf("email not removed: %v", updated)
	}
	if _, ok := updated["default_project_id"]; ok {
		t.Errorf("default_project_id not removed: %v", updated)
	}
	if opts := updated["options"].(map[string]any); len(opts) != 1 || opts["lock_password"] != true {
		t.Errorf("options: %v", opts)
	}

	e.call("DELETE", "/v3/users/"+id, e.admin, nil).must(t, http.StatusNoContent)
	res := e.call("GET", "/v3/users/"+id, e.admin, nil).must(t, http.StatusNotFound)
	if res.errorMessage() != "Could not find user: "+id+"." {
		t.Errorf("message %q", res.errorMessage())
	}
	e.call("DELETE", "/v3/users/"+id, e.admin, nil).must(t, http.StatusNotFound)
}

func TestListUsers(t *testing.T) {
	e := newTestEnv(t)
	apiCreateUser(t, e, "bob", "pw", nil)
	apiCreateUser(t, e, "carol", "pw", map[string]any{"enabled": false})
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"admin", "bob", "carol"}},
		{"?name=bob", []string{"bob"}},
		{"?enabled=false", []string{"carol"}},
		{"?enabled=true&domain_id=default", []string{"admin", "bob"}},
		{"?domain_id=other", nil},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			res := e.call("GET", "/v3/users"+c.query, e.admin, nil).must(t, http.StatusOK)
			var names []string
			for _, u := range res.list("users") {
				names = append(names, u["name"].(string))
			}
			if strings.Join(names, ",") != strings.Join(c.want, ",") {
				t.Errorf("names %v, want %v", names, c.want)
			}
		})
	}
	e.call("GET", "/v3/users?enabled=maybe", e.admin, nil).must(t, http.StatusBadRequest)

	limited := newTestEnv(t, func(o *Options) { o.ListLimit = 1 })
	apiCreateUser(t, limited, "bob", "pw", nil)
	res := limited.call("GET", "/v3/users", limited.admin, nil).must(t, http.StatusOK)
	if len(res.list("users")) != 1 || res.body["truncated"] != true {
		t.Errorf("list_limit: %s", res.raw)
	}
}

func TestCreateUserBadInput(t *testing.T) {
	e := newTestEnv(t)
	apiCreateUser(t, e, "taken", "pw", nil)
	user := func(fields string) string { return `{"user": {` + fields + `}}` }
	cases := []struct {
		name   string
		body   string
		status int
		inMsg  string
	}{
		{"malformed json", `{"user": `, http.StatusBadRequest, ""},
		{"no user object", `{"name": "x"}`, http.StatusBadRequest, "'user'"},
		{"missing name", user(`"password": "x"`), http.StatusBadRequest, "user.name"},
		{"blank name", user(`"name": "  "`), http.StatusBadRequest, "user.name"},
		{"long name", user(`"name": "` + strings.Repeat("n", 256) + `"`), http.StatusBadRequest, "user.name"},
		{"name not a string", user(`"name": 5`), http.StatusBadRequest, "user.name"},
		{"enabled not a boolean", user(`"name": "x", "enabled": "yes"`), http.StatusBadRequest, "user.enabled"},
		{"password not a string", user(`"name": "x", "password": 5`), http.StatusBadRequest, "user.password"},
		{"description not a string", user(`"name": "x", "description": []`), http.StatusBadRequest, "user.description"},
		{"options not an object", user(`"name": "x", "options": true`), http.StatusBadRequest, "user.options"},
		{"unknown option", user(`"name": "x", "options": {"fly": true}`), http.StatusBadRequest, "fly"},
		{"option not a boolean", user(`"name": "x", "options": {"lock_password": "yes"}`), http.StatusBadRequest, "user.options.lock_password"},
		{"bad mfa rules", user(`"name": "x", "options": {"multi_factor_auth_rules": [[]]}`), http.StatusBadRequest, "multi_factor_auth_rules"},
		{"unknown domain", user(`"name": "x", "domain_id": "nowhere"`), http.StatusNotFound, "Could not find domain: nowhere."},
		{"unknown default project", user(`"name": "x", "default_project_id": "nope"`), http.StatusNotFound, "Could not find project: nope."},
		{"domain as default project", user(`"name": "x", "default_project_id": "default"`), http.StatusBadRequest, "cannot be a domain"},
		{"duplicate", user(`"name": "taken"`), http.StatusConflict, "Duplicate entry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", "/v3/users", e.admin, c.body).must(t, c.status)
			if msg := res.errorMessage(); msg == "" || !strings.Contains(msg, c.inMsg) {
				t.Errorf("message %q, want it to contain %q", msg, c.inMsg)
			}
		})
	}
	res := e.call("GET", "/v3/users?name=x", e.admin, nil).must(t, http.StatusOK)
	if len(res.list("users")) != 0 {
		t.Errorf("a rejected user was stored: %s", res.raw)
	}
	ok := e.call("POST", "/v3/users", e.admin, user(`"name": "mfa", "options": {"multi_factor_auth_rules": [["password", "totp"]], "multi_factor_auth_enabled": true}`))
	ok.must(t, http.StatusCreated)
}

func TestUpdateUserBadInput(t *testing.T) {
	e := newTestEnv(t)
	id := apiCreateUser(t, e, "dave", "pw", nil)
	apiCreateUser(t, e, "erin", "pw", nil)
	cases := []struct {
		name   string
		path   string
		body   string
		status int
	}{
		{"unknown user", "/v3/users/nope", `{"user": {"name": "x"}}`, http.StatusNotFound},
		{"malformed json", "/v3/users/" + id, `{"user"`, http.StatusBadRequest},
		{"empty user", "/v3/users/" + id, `{"user": {}}`, http.StatusBadRequest},
		{"move domain", "/v3/users/" + id, `{"user": {"domain_id": "other"}}`, http.StatusBadRequest},
		{"change id", "/v3/users/" + id, `{"user": {"id": "other"}}`, http.StatusBadRequest},
		{"enabled not a boolean", "/v3/users/" + id, `{"user": {"enabled": 1}}`, http.StatusBadRequest},
		{"blank name", "/v3/users/" + id, `{"user": {"name": ""}}`, http.StatusBadRequest},
		{"unknown default project", "/v3/users/" + id, `{"user": {"default_project_id": "nope"}}`, http.StatusNotFound},
		{"duplicate name", "/v3/users/" + id, `{"user": {"name": "erin"}}`, http.StatusConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.call("PATCH", c.path, e.admin, c.body).must(t, c.status)
		})
	}
	got := e.call("GET", "/v3/users/"+id, e.admin, nil).must(t, http.StatusOK).obj("user")
	if got["name"] != "dave" || got["enabled"] != true {
		t.Errorf("a rejected update was stored: %v", got)
	}
}

func TestUserPolicy(t *testing.T) {
	e := newTestEnv(t)
	memberID, member := newMember(t, e, "mallory", "pw-mallory")
	otherID := apiCreateUser(t, e, "victim", "pw", nil)
	groupID := e.call("POST", "/v3/groups", e.admin, map[string]any{"group": map[string]any{"name": "g"}}).
		must(t, http.StatusCreated).obj("group")["id"].(string)
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v3/users", nil, http.StatusForbidden},
		{"POST", "/v3/users", map[string]any{"user": map[string]any{"name": "x"}}, http.StatusForbidden},
		{"GET", "/v3/users/" + otherID, nil, http.StatusForbidden},
		{"PATCH", "/v3/users/" + otherID, map[string]any{"user": map[string]any{"enabled": false}}, http.StatusForbidden},
		{"PATCH", "/v3/users/" + memberID, map[string]any{"user": map[string]any{"name": "boss"}}, http.StatusForbidden},
		{"DELETE", "/v3/users/" + otherID, nil, http.StatusForbidden},
		{"GET", "/v3/users/" + otherID + "/projects", nil, http.StatusForbidden},
		{"GET", "/v3/users/" + otherID + "/groups", nil, http.StatusForbidden},
		{"GET", "/v3/users/" + memberID, nil, http.StatusOK},
		{"GET", "/v3/users/" + memberID + "/projects", nil, http.StatusOK},
		{"GET", "/v3/users/" + memberID + "/groups", nil, http.StatusOK},
		{"GET", "/v3/groups", nil, http.StatusForbidden},
		{"POST", "/v3/groups", map[string]any{"group": map[string]any{"name": "mine"}}, http.StatusForbidden},
		{"GET", "/v3/groups/" + groupID, nil, http.StatusForbidden},
		{"PATCH", "/v3/groups/" + groupID, map[string]any{"group": map[string]any{"name": "x"}}, http.StatusForbidden},
		{"DELETE", "/v3/groups/" + groupID, nil, http.StatusForbidden},
		{"GET", "/v3/groups/" + groupID + "/users", nil, http.StatusForbidden},
		{"PUT", "/v3/groups/" + groupID + "/users/" + memberID, nil, http.StatusForbidden},
		{"HEAD", "/v3/groups/" + groupID + "/users/" + memberID, nil, http.StatusForbidden},
		{"DELETE", "/v3/groups/" + groupID + "/users/" + memberID, nil, http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			e.call(c.method, c.path, member, c.body).must(t, c.status)
		})
	}
	e.call("GET", "/v3/users", "", nil).must(t, http.StatusUnauthorized)
}

func TestUserPasswordLifecycle(t *testing.T) {
	e := newTestEnv(t)
	id, token := newMember(t, e, "frank", "first-pw")
	second := e.login("frank", "first-pw", "demo")

	res := e.call("POST", "/v3/users/"+id+"/password", token, passwordChange("wrong", "second-pw")).must(t, http.StatusUnauthorized)
	if res.errorMessage() == "" {
		t.Error("no message for a wrong original password")
	}
	e.call("POST", "/v3/users/"+id+"/password", token, passwordChange("first-pw", "second-pw")).must(t, http.StatusNoContent)
	for _, tok := range []string{token, second} {
		e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", tok).must(t, http.StatusNotFound)
	}
	loginStatus(e, "frank", "first-pw").must(t, http.StatusUnauthorized)
	token = e.login("frank", "second-pw", "demo")
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusOK)

	// An admin reset through PATCH also replaces the password and revokes tokens.
	e.call("PATCH", "/v3/users/"+id, e.admin, map[string]any{"user": map[string]any{"password": "third-pw"}}).must(t, http.StatusOK)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	loginStatus(e, "frank", "second-pw").must(t, http.StatusUnauthorized)
	e.login("frank", "third-pw", "demo")
}

func TestChangePasswordBadInput(t *testing.T) {
	e := newTestEnv(t)
	id, token := newMember(t, e, "gina", "pw-gina")
	path := "/v3/users/" + id + "/password"
	cases := []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"malformed json", path, `{"user": {`, http.StatusBadRequest},
		{"no user object", path, `{}`, http.StatusBadRequest},
		{"missing original", path, `{"user": {"password": "x"}}`, http.StatusBadRequest},
		{"missing password", path, `{"user": {"original_password": "pw-gina"}}`, http.StatusBadRequest},
		{"password not a string", path, `{"user": {"original_password": "pw-gina", "password": 1}}`, http.StatusBadRequest},
		{"additional property", path, `{"user": {"original_password": "pw-gina", "password": "x", "name": "y"}}`, http.StatusBadRequest},
		{"unknown user", "/v3/users/nope/password", passwordChange("pw-gina", "x"), http.StatusUnauthorized},
		{"wrong original", path, passwordChange("nope", "x"), http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.call("POST", c.path, token, c.body).must(t, c.status)
		})
	}
	e.login("gina", "pw-gina", "demo")
}

// TestChangePasswordWithoutToken drives the handler as Keystone exposes it, without a token:
// the original password alone authenticates, even when it has expired.
func TestDisableAndDeleteRevokeTokens(t *testing.T) {
	e := newTestEnv(t)
	id, token := newMember(t, e, "ivan", "pw-ivan")
	e.call("PATCH", "/v3/users/"+id, e.admin, map[string]any{"user": map[string]any{"enabled": false}}).must(t, http.StatusOK)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	loginStatus(e, "ivan", "pw-ivan").must(t, http.StatusUnauthorized)
	e.call("PATCH", "/v3/users/"+id, e.admin, map[string]any{"user": map[string]any{"enabled": true}}).must(t, http.StatusOK)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	token = e.login("ivan", "pw-ivan", "demo")

	e.call("DELETE", "/v3/users/"+id, e.admin, nil).must(t, http.StatusNoContent)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	loginStatus(e, "ivan", "pw-ivan").must(t, http.StatusUnauthorized)
}

func TestSecurityCompliance(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.PasswordRegex = regexp.MustCompile(`.*[0-9]`)
		o.PasswordRegexDesc = "it must contain a digit"
		o.MaxPasswordLength = 20
		o.UniquePasswords = 2
		o.MinimumPasswordAge = 24 * time.Hour
		o.PasswordExpires = 90 * 24 * time.Hour
	})
	users := map[string]any{"user": map[string]any{"name": "x", "password": "no-digits"}}
	res := e.call("POST", "/v3/users", e.admin, users).must(t, http.StatusBadRequest)
	if !strings.Contains(res.errorMessage(), "it must contain a digit") {
		t.Errorf("regex message %q", res.errorMessage())
	}
	long := map[string]any{"user": map[string]any{"name": "x", "password": strings.Repeat("1", 21)}}
	e.call("POST", "/v3/users", e.admin, long).must(t, http.StatusBadRequest)

	before := time.Now()
	created := e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "jane", "password": "pw1"}}).
		must(t, http.StatusCreated).obj("user")
	id := created["id"].(string)
	expires, err := time.Parse(timeFormat, created["password_expires_at"].(string))
	if err != nil || expires.Before(before.Add(89*24*time.Hour)) || expires.After(before.Add(91*24*time.Hour)) {
		t.Errorf("password_expires_at %v (%v)", created["password_expires_at"], err)
	}
	exempt := e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "kim", "password": "pw1",
		"options": map[string]any{"ignore_password_expiry": true}}}).must(t, http.StatusCreated).obj("user")
	if exempt["password_expires_at"] != nil {
		t.Errorf("exempt user expires at %v", exempt["password_expires_at"])
	}

	grantDemoRole(t, e, UserProject, id, "member")
	change := func(original, password string, status int) response {
		t.Helper()
		tok := e.login("jane", original, "demo")
		return e.call("POST", "/v3/users/"+id+"/password", tok, passwordChange(original, password)).must(t, status)
	}
	change("pw1", "no-digit", http.StatusBadRequest)
	change("pw1", "pw1", http.StatusBadRequest) // the current password
	change("pw1", "pw2", http.StatusNoContent)  // the first self-service change has no minimum age
	res = change("pw2", "pw3", http.StatusBadRequest)
	if !strings.Contains(res.errorMessage(), "minimum password age") {
		t.Errorf("minimum age message %q", res.errorMessage())
	}
	patch := func(password string, status int) response {
		t.Helper()
		return e.call("PATCH", "/v3/users/"+id, e.admin, map[string]any{"user": map[string]any{"password": password}}).must(t, status)
	}
	res = patch("pw1", http.StatusBadRequest) // history is [pw2, pw1]
	if !strings.Contains(res.errorMessage(), "identical to a previous password") {
		t.Errorf("history message %q", res.errorMessage())
	}
	patch("pw3", http.StatusOK)
	patch("pw1", http.StatusOK) // history is [pw3, pw2]: pw1 is old enough again
	patch("nodigit", http.StatusBadRequest)
	e.login("jane", "pw1", "demo")

	locked := apiCreateUser(t, e, "lou", "pw1", map[string]any{"options": map[string]any{"lock_password": true}})
	grantDemoRole(t, e, UserProject, locked, "member")
	tok := e.login("lou", "pw1", "demo")
	res = e.call("POST", "/v3/users/"+locked+"/password", tok, passwordChange("pw1", "pw9")).must(t, http.StatusBadRequest)
	if !strings.Contains(res.errorMessage(), "disallowing password changes") {
		t.Errorf("lock message %q", res.errorMessage())
	}
}

func TestLockout(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.LockoutAttempts = 2 })
	id := apiCreateUser(t, e, "max", "right-pw", nil)
	grantDemoRole(t, e, UserProject, id, "member")
	loginStatus(e, "max", "wrong").must(t, http.StatusUnauthorized)
	loginStatus(e, "max", "wrong").must(t, http.StatusUnauthorized)
	res := loginStatus(e, "max", "right-pw").must(t, http.StatusUnauthorized)
	if !strings.Contains(res.errorMessage(), "locked") {
		t.Errorf("message %q", res.errorMessage())
	}
	// An admin unlocks the account by (re-)enabling it.
	e.call("PATCH", "/v3/users/"+id, e.admin, map[string]any{"user": map[string]any{"enabled": true}}).must(t, http.StatusOK)
	e.login("max", "right-pw", "demo")
}

func TestUserProjectsAndGroups(t *testing.T) {
	e := newTestEnv(t)
	id, token := newMember(t, e, "nina", "pw")
	res := e.call("GET", "/v3/users/"+id+"/projects", token, nil).must(t, http.StatusOK)
	if p := res.list("projects"); len(p) != 1 || p[0]["name"] != "demo" {
		t.Errorf("projects: %s", res.raw)
	}
	res = e.call("GET", "/v3/users/"+id+"/projects?name=admin", e.admin, nil).must(t, http.StatusOK)
	if len(res.list("projects")) != 0 {
		t.Errorf("filtered projects: %s", res.raw)
	}
	e.call("GET", "/v3/users/"+id+"/projects?enabled=x", e.admin, nil).must(t, http.StatusBadRequest)
	e.call("GET", "/v3/users/nope/projects", e.admin, nil).must(t, http.StatusNotFound)
	e.call("GET", "/v3/users/nope/groups", e.admin, nil).must(t, http.StatusNotFound)

	gid := e.call("POST", "/v3/groups", e.admin, map[string]any{"group": map[string]any{"name": "ops"}}).
		must(t, http.StatusCreated).obj("group")["id"].(string)
	e.call("PUT", "/v3/groups/"+gid+"/users/"+id, e.admin, nil).must(t, http.StatusNoContent)
	res = e.call("GET", "/v3/users/"+id+"/groups", token, nil).must(t, http.StatusOK)
	if g := res.list("groups"); len(g) != 1 || g[0]["name"] != "ops" {
		t.Errorf("groups: %s", res.raw)
	}
}

func TestDomainScopedLists(t *testing.T) {
	e := newTestEnv(t)
	other := e.call("POST", "/v3/domains", e.admin, map[string]any{"domain": map[string]any{"name": "elsewhere"}}).
		must(t, http.StatusCreated).obj("domain")["id"].(string)
	e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "outsider", "domain_id": other}}).must(t, http.StatusCreated)
	e.call("POST", "/v3/groups", e.admin, map[string]any{"group": map[string]any{"name": "outsiders", "domain_id": other}}).must(t, http.StatusCreated)
	apiCreateGroup(t, e, "insiders")

	id := apiCreateUser(t, e, "rita", "pw-rita", nil)
	reader, err := e.svc.store.GetRoleByName(context.Background(), "", "reader")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.store.Grant(context.Background(), Assignment{Type: UserDomain, ActorID: id, TargetID: DefaultDomainID, RoleID: reader.ID}); err != nil {
		t.Fatal(err)
	}
	body := passwordAuth("rita", "pw-rita", "")
	body["auth"].(map[string]any)["scope"] = map[string]any{"domain": map[string]any{"id": DefaultDomainID}}
	token := e.call("POST", "/v3/auth/tokens", "", body).must(t, http.StatusCreated).header.Get("X-Subject-Token")

	for path, key := range map[string]string{"/v3/users": "users", "/v3/groups": "groups"} {
		res := e.call("GET", path, token, nil).must(t, http.StatusOK)
		for _, item := range res.list(key) {
			if item["domain_id"] != DefaultDomainID {
				t.Errorf("%s shows %v of another domain", path, item["name"])
			}
		}
		if len(res.list(key)) == 0 {
			t.Errorf("%s is empty", path)
		}
		e.call("GET", path+"?domain_id="+other, token, nil).must(t, http.StatusForbidden)
		if all := e.call("GET", path, e.admin, nil).must(t, http.StatusOK).list(key); len(all) <= len(res.list(key)) {
			t.Errorf("the admin sees %d %s, the domain reader %d", len(all), key, len(res.list(key)))
		}
	}
	e.call("POST", "/v3/users", token, map[string]any{"user": map[string]any{"name": "x"}}).must(t, http.StatusForbidden)
}

// TestChangePasswordWithoutToken is Keystone's way out of an expired password: the change needs
// only the original password, no token.
func TestChangePasswordWithoutToken(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.PasswordExpires = time.Nanosecond })
	id := apiCreateUser(t, e, "old-timer", "pw-old", nil)
	if res := e.call("POST", "/v3/auth/tokens", "", passwordAuth("old-timer", "pw-old", "")); res.status != http.StatusUnauthorized {
		t.Fatalf("expired password logged in: %d", res.status)
	}
	e.call("POST", "/v3/users/"+id+"/password", "", passwordChange("pw-old", "pw-new")).must(t, http.StatusNoContent)
	e.call("POST", "/v3/users/"+id+"/password", "", passwordChange("pw-old", "pw-newer")).must(t, http.StatusUnauthorized)
	pws, err := e.svc.store.Passwords(context.Background(), id, 2)
	if err != nil || len(pws) != 2 || !Check(pws[0].Hash, "pw-new") || !pws[0].SelfService {
		t.Fatalf("history %v, %v", pws, err)
	}
}
