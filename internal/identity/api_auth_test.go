package identity

import (
	"net/http"
	"testing"
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
