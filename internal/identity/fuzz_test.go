package identity

import (
	"net/http"
	"strings"
	"testing"
)

// fuzzTargets are the write endpoints a fuzzed body is sent to, with an admin token.
var fuzzTargets = []struct{ method, path string }{
	{"POST", "/v3/auth/tokens"},
	{"POST", "/v3/users"},
	{"POST", "/v3/projects"},
	{"POST", "/v3/domains"},
	{"POST", "/v3/groups"},
	{"POST", "/v3/roles"},
	{"POST", "/v3/services"},
	{"POST", "/v3/endpoints"},
	{"POST", "/v3/regions"},
	{"POST", "/v3/credentials"},
	{"PATCH", "/v3/projects/%PROJECT%"},
	{"PATCH", "/v3/users/%USER%"},
	{"PUT", "/v3/projects/%PROJECT%/tags"},
}

// FuzzHandlers sends arbitrary bodies to the auth and CRUD handlers: nothing may answer 5xx or
// panic, whatever the input.
func FuzzHandlers(f *testing.F) {
	seeds := []string{
		`{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": "x"}}}}}`,
		`{"auth": {"identity": {"methods": ["token"], "token": {"id": "gAAAAA"}}, "scope": {"system": {"all": true}}}}`,
		`{"auth": {"identity": {"methods": ["application_credential"], "application_credential": {"name": "a", "secret": "s", "user": {"id": "u"}}}, "scope": "unscoped"}}`,
		`{"user": {"name": "u", "password": "p", "enabled": true, "options": {"ignore_password_expiry": true}}}`,
		`{"project": {"name": "p", "parent_id": "default", "tags": ["a", "b"]}}`,
		`{"domain": {"name": "d", "enabled": false}}`,
		`{"group": {"name": "g", "domain_id": "default"}}`,
		`{"role": {"name": "r", "options": {"immutable": true}}}`,
		`{"service": {"type": "image", "name": "glance"}}`,
		`{"endpoint": {"service_id": "x", "interface": "public", "url": "http://h/%(tenant_id)s"}}`,
		`{"region": {"id": "R", "parent_region_id": "RegionOne"}}`,
		`{"credential": {"type": "ec2", "user_id": "u", "project_id": "p", "blob": "{\"access\": \"a\"}"}}`,
		`{"tags": ["x"]}`, `null`, `[]`, `{}`, `"x"`, `{"user": null}`, `{"user": {"name": 5}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	e := newTestEnv(f)
	demo := e.call("GET", "/v3/projects?name=demo", e.admin, nil).list("projects")[0]["id"].(string)
	user := e.boot.AdminUserID
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		tg := fuzzTargets[int(target)%len(fuzzTargets)]
		path := strings.NewReplacer("%PROJECT%", demo, "%USER%", user).Replace(tg.path)
		fe := *e // the harness reports through this input's t, never through f
		fe.t = t
		res := fe.call(tg.method, path, e.admin, body)
		if res.status >= http.StatusInternalServerError {
			t.Fatalf("%s %s with %q: %d %s", tg.method, path, body, res.status, res.raw)
		}
	})
}
