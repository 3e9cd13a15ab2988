package identity

import (
	"net/http"
	"strings"
	"testing"
)

// apiCreateGroup creates a Default-domain group through the API and returns its id.
func apiCreateGroup(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	res := e.call("POST", "/v3/groups", e.admin, map[string]any{"group": map[string]any{"name": name}})
	return res.must(t, http.StatusCreated).obj("group")["id"].(string)
}

func TestGroupCRUD(t *testing.T) {
	e := newTestEnv(t)
	body := map[string]any{"group": map[string]any{"name": "devs", "description": "Developers", "team": "core"}}
	created := e.call("POST", "/v3/groups", e.admin, body).must(t, http.StatusCreated).obj("group")
	id, _ := created["id"].(string)
	if len(id) != 32 || created["name"] != "devs" || created["domain_id"] != DefaultDomainID ||
		created["description"] != "Developers" || created["team"] != "core" {
		t.Errorf("created: %v", created)
	}
	if self, _ := created["links"].(map[string]any)["self"].(string); !strings.HasSuffix(self, "/v3/groups/"+id) {
		t.Errorf("links: %v", created["links"])
	}
	got := e.call("GET", "/v3/groups/"+id, e.admin, nil).must(t, http.StatusOK).obj("group")
	if got["name"] != "devs" || got["team"] != "core" {
		t.Errorf("get: %v", got)
	}
	apiCreateGroup(t, e, "ops")
	for query, want := range map[string]string{
		"": "devs,ops", "?name=ops": "ops", "?domain_id=default": "devs,ops", "?domain_id=other": "",
	} {
		res := e.call("GET", "/v3/groups"+query, e.admin, nil).must(t, http.StatusOK)
		var names []string
		for _, g := range res.list("groups") {
			names = append(names, g["name"].(string))
		}
		if strings.Join(names, ",") != want {
			t.Errorf("list %q: %v, want %s", query, names, want)
		}
	}
	patch := map[string]any{"group": map[string]any{"name": "developers", "description": nil, "team": nil, "floor": 3}}
	updated := e.call("PATCH", "/v3/groups/"+id, e.admin, patch).must(t, http.StatusOK).obj("group")
	if updated["name"] != "developers" || updated["description"] != "" || updated["floor"] != float64(3) {
		t.Errorf("updated: %v", updated)
	}
	if _, ok := updated["team"]; ok {
		t.Errorf("team not removed: %v", updated)
	}
	e.call("DELETE", "/v3/groups/"+id, e.admin, nil).must(t, http.StatusNoContent)
	res := e.call("GET", "/v3/groups/"+id, e.admin, nil).must(t, http.StatusNotFound)
	if res.errorMessage() != "Could not find group: "+id+"." {
		t.Errorf("message %q", res.errorMessage())
	}
	e.call("DELETE", "/v3/groups/"+id, e.admin, nil).must(t, http.StatusNotFound)
}

func TestGroupBadInput(t *testing.T) {
	e := newTestEnv(t)
	id := apiCreateGroup(t, e, "taken")
	apiCreateGroup(t, e, "other")
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"malformed json", "POST", "/v3/groups", `{"group": `, http.StatusBadRequest},
		{"no group object", "POST", "/v3/groups", `{"name": "x"}`, http.StatusBadRequest},
		{"missing name", "POST", "/v3/groups", `{"group": {}}`, http.StatusBadRequest},
		{"name not a string", "POST", "/v3/groups", `{"group": {"name": true}}`, http.StatusBadRequest},
		{"long name", "POST", "/v3/groups", `{"group": {"name": "` + strings.Repeat("g", 256) + `"}}`, http.StatusBadRequest},
		{"description not a string", "POST", "/v3/groups", `{"group": {"name": "x", "description": 1}}`, http.StatusBadRequest},
		{"unknown domain", "POST", "/v3/groups", `{"group": {"name": "x", "domain_id": "nowhere"}}`, http.StatusNotFound},
		{"duplicate", "POST", "/v3/groups", `{"group": {"name": "taken"}}`, http.StatusConflict},
		{"unknown group", "PATCH", "/v3/groups/nope", `{"group": {"name": "x"}}`, http.StatusNotFound},
		{"empty patch", "PATCH", "/v3/groups/" + id, `{"group": {}}`, http.StatusBadRequest},
		{"move domain", "PATCH", "/v3/groups/" + id, `{"group": {"domain_id": "elsewhere"}}`, http.StatusBadRequest},
		{"blank name", "PATCH", "/v3/groups/" + id, `{"group": {"name": " "}}`, http.StatusBadRequest},
		{"duplicate rename", "PATCH", "/v3/groups/" + id, `{"group": {"name": "other"}}`, http.StatusConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call(c.method, c.path, e.admin, c.body).must(t, c.status)
			if res.errorMessage() == "" {
				t.Errorf("no message: %s", res.raw)
			}
		})
	}
	if res := e.call("GET", "/v3/groups?name=x", e.admin, nil).must(t, http.StatusOK); len(res.list("groups")) != 0 {
		t.Errorf("a rejected group was stored: %s", res.raw)
	}
}

func TestGroupMembership(t *testing.T) {
	e := newTestEnv(t)
	gid := apiCreateGroup(t, e, "staff")
	uid := apiCreateUser(t, e, "olga", "pw-olga", nil)
	member := func(method string, group, user string, status int) response {
		t.Helper()
		return e.call(method, "/v3/groups/"+group+"/users/"+user, e.admin, nil).must(t, status)
	}
	member("HEAD", gid, uid, http.StatusNotFound)
	res := member("GET", gid, uid, http.StatusNotFound)
	if want := "User '" + uid + "' not found in group '" + gid + "'"; res.errorMessage() != want {
		t.Errorf("message %q, want %q", res.errorMessage(), want)
	}
	member("PUT", gid, uid, http.StatusNoContent)
	member("PUT", gid, uid, http.StatusNoContent)
	member("HEAD", gid, uid, http.StatusNoContent)
	member("GET", gid, uid, http.StatusNoContent)
	if res := member("PUT", gid, "ghost", http.StatusNotFound); res.errorMessage() != "Could not find user: ghost." {
		t.Errorf("message %q", res.errorMessage())
	}
	if res := member("PUT", "ghost", uid, http.StatusNotFound); res.errorMessage() != "Could not find group: ghost." {
		t.Errorf("message %q", res.errorMessage())
	}
	users := e.call("GET", "/v3/groups/"+gid+"/users", e.admin, nil).must(t, http.StatusOK).list("users")
	if len(users) != 1 || users[0]["name"] != "olga" {
		t.Errorf("members: %v", users)
	}
	filtered := e.call("GET", "/v3/groups/"+gid+"/users?name=other", e.admin, nil).must(t, http.StatusOK).list("users")
	if len(filtered) != 0 {
		t.Errorf("filtered members: %v", filtered)
	}
	e.call("GET", "/v3/groups/ghost/users", e.admin, nil).must(t, http.StatusNotFound)

	// A role granted to the group reaches its members, and leaves with the membership.
	grantDemoRole(t, e, GroupProject, gid, "member")
	token := e.login("olga", "pw-olga", "demo")
	member("DELETE", gid, uid, http.StatusNoContent)
	member("DELETE", gid, uid, http.StatusNotFound)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
	loginStatus(e, "olga", "pw-olga").must(t, http.StatusUnauthorized)

	member("PUT", gid, uid, http.StatusNoContent)
	e.call("DELETE", "/v3/groups/"+gid, e.admin, nil).must(t, http.StatusNoContent)
	groups := e.call("GET", "/v3/users/"+uid+"/groups", e.admin, nil).must(t, http.StatusOK).list("groups")
	if len(groups) != 0 {
		t.Errorf("groups after delete: %v", groups)
	}
}
