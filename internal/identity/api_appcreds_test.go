package identity

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// appCredPath is the application credentials collection of a user.
func appCredPath(userID string) string { return "/v3/users/" + userID + "/application_credentials" }

// appCredAuth is an application_credential auth body by id, or by name with the owner's name.
func appCredAuth(id, name, owner, secret string) map[string]any {
	ac := map[string]any{"secret": secret}
	if id != "" {
		ac["id"] = id
	} else {
		ac["name"] = name
		ac["user"] = map[string]any{"name": owner, "domain": map[string]any{"id": "default"}}
	}
	return map[string]any{"auth": map[string]any{"identity": map[string]any{
		"methods": []string{"application_credential"}, "application_credential": ac}}}
}

// tokenRoleNames returns the sorted role names of a token response.
func tokenRoleNames(res response) string {
	var names []string
	roles, _ := res.obj("token")["roles"].([]any)
	for _, r := range roles {
		names = append(names, catStr(r.(map[string]any), "name"))
	}
	return strings.Join(names, ",")
}

func TestAppCredentialFlow(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	res := e.call("POST", appCredPath(admin), e.admin, map[string]any{"application_credential": map[string]any{
		"name": "monitoring", "description": "read-only", "roles": []any{map[string]any{"name": "reader"}}}}).must(t, http.StatusCreated)
	ac := res.obj("application_credential")
	id, secret := catStr(ac, "id"), catStr(ac, "secret")
	if len(secret) < 64 || !regexp.MustCompile(`^[A-Za-z0-9_-]+$`).MatchString(secret) {
		t.Fatalf("generated secret %q", secret)
	}
	if ac["project_id"] != e.boot.AdminProjectID || ac["unrestricted"] != false || ac["expires_at"] != nil ||
		ac["description"] != "read-only" || ac["name"] != "monitoring" {
		t.Fatalf("created: %v", ac)
	}
	roles, _ := ac["roles"].([]any)
	if len(roles) != 1 || roles[0].(map[string]any)["name"] != "reader" {
		t.Fatalf("roles: %v", ac["roles"])
	}
	stored, err := e.svc.Store().GetAppCredential(context.Background(), id)
	if err != nil || stored.SecretHash == secret || !Check(stored.SecretHash, secret) {
		t.Fatalf("stored secret hash %q (%v)", stored.SecretHash, err)
	}

	got := e.call("GET", appCredPath(admin)+"/"+id, e.admin, nil).must(t, http.StatusOK).obj("application_credential")
	if _, ok := got["secret"]; ok || got["id"] != id {
		t.Fatalf("get shows: %v", got)
	}
	list := e.call("GET", appCredPath(admin), e.admin, nil).must(t, http.StatusOK).list("application_credentials")
	if len(list) != 1 || list[0]["id"] != id {
		t.Fatalf("list: %v", list)
	}
	if _, ok := list[0]["secret"]; ok {
		t.Fatalf("list shows the secret")
	}
	if l := e.call("GET", appCredPath(admin)+"?name=other", e.admin, nil).list("application_credentials"); len(l) != 0 {
		t.Errorf("name filter: %v", l)
	}

	// Authenticate by id and by name + user; the token carries only the delegated role.
	byID := e.call("POST", "/v3/auth/tokens", "", appCredAuth(id, "", "", secret)).must(t, http.StatusCreated)
	byName := e.call("POST", "/v3/auth/tokens", "", appCredAuth("", "monitoring", "admin", secret)).must(t, http.StatusCreated)
	for _, tok := range []response{byID, byName} {
		if got := tokenRoleNames(tok); got != "reader" {
			t.Errorf("token roles %q, want reader", got)
		}
		if tok.obj("token", "project")["id"] != e.boot.AdminProjectID || tok.obj("token", "application_credential")["id"] != id {
			t.Errorf("token: %v", tok.obj("token"))
		}
	}
	e.call("POST", "/v3/auth/tokens", "", appCredAuth(id, "", "", "wrong")).must(t, http.StatusUnauthorized)
	acToken := byID.header.Get("X-Subject-Token")

	// A restricted application credential's token cannot manage application credentials.
	res = e.call("POST", appCredPath(admin), acToken, map[string]any{"application_credential": map[string]any{"name": "again"}}).must(t, http.StatusForbidden)
	if !strings.Contains(res.errorMessage(), "application_credential") {
		t.Errorf("message: %q", res.errorMessage())
	}
	e.call("DELETE", appCredPath(admin)+"/"+id, acToken, nil).must(t, http.StatusForbidden)

	// Deleting the credential ends its tokens and its use.
	e.call("DELETE", appCredPath(admin)+"/"+id, e.admin, nil).must(t, http.StatusNoContent)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", acToken).must(t, http.StatusNotFound)
	e.call("GET", "/v3/auth/catalog", acToken, nil).must(t, http.StatusUnauthorized)
	e.call("POST", "/v3/auth/tokens", "", appCredAuth(id, "", "", secret)).must(t, http.StatusUnauthorized)
	e.call("GET", appCredPath(admin)+"/"+id, e.admin, nil).must(t, http.StatusNotFound)
	e.call("DELETE", appCredPath(admin)+"/"+id, e.admin, nil).must(t, http.StatusNotFound)
}

func TestAppCredentialUnrestrictedAndDefaults(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	expires := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	ac := e.call("POST", appCredPath(admin), e.admin, map[string]any{"application_credential": map[string]any{
		"name": "ci", "secret": "my-own-secret", "unrestricted": true, "expires_at": expires.Format("2006-01-02T15:04:05")}}).
		must(t, http.StatusCreated).obj("application_credential")
	if ac["secret"] != "my-own-secret" || ac["unrestricted"] != true || ac["expires_at"] != expires.Format(timeFormat) {
		t.Fatalf("created: %v", ac)
	}
	if roles, _ := ac["roles"].([]any); len(roles) != 3 {
		t.Fatalf("default roles should be the token's (admin, member, reader): %v", ac["roles"])
	}
	tok := e.call("POST", "/v3/auth/tokens", "", appCredAuth(catStr(ac, "id"), "", "", "my-own-secret")).must(t, http.StatusCreated)
	if got := tokenRoleNames(tok); got != "admin,member,reader" {
		t.Errorf("token roles %q", got)
	}
	if exp, _ := time.Parse(timeFormat, catStr(tok.obj("token"), "expires_at")); exp.After(expires) {
		t.Errorf("token expires at %v, after its credential (%v)", exp, expires)
	}
	// An unrestricted credential's token may create another credential, with a subset of its roles.
	acToken := tok.header.Get("X-Subject-Token")
	e.call("POST", appCredPath(admin), acToken, map[string]any{"application_credential": map[string]any{
		"name": "child", "roles": []any{map[string]any{"name": "member"}}}}).must(t, http.StatusCreated)
}

func TestAppCredentialBadInput(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	ctx := context.Background()
	other := Role{ID: newID(), Name: "auditor"}
	if err := e.svc.Store().CreateRole(ctx, other); err != nil {
		t.Fatal(err)
	}
	e.call("POST", appCredPath(admin), e.admin, map[string]any{"application_credential": map[string]any{"name": "taken"}}).must(t, http.StatusCreated)
	memberID, member := catalogTestMember(t, e, "bob")
	unscoped := e.login("admin", testAdminPassword, "")
	body := func(fields map[string]any) map[string]any {
		return map[string]any{"application_credential": fields}
	}
	cases := []struct {
		name   string
		token  string
		user   string
		body   any
		status int
	}{
		{"malformed json", e.admin, admin, `{"application_credential": `, http.StatusBadRequest},
		{"no object", e.admin, admin, map[string]any{"name": "x"}, http.StatusBadRequest},
		{"missing name", e.admin, admin, body(map[string]any{"description": "x"}), http.StatusBadRequest},
		{"name not a string", e.admin, admin, body(map[string]any{"name": 3}), http.StatusBadRequest},
		{"secret not a string", e.admin, admin, body(map[string]any{"name": "x", "secret": 3}), http.StatusBadRequest},
		{"unrestricted not a boolean", e.admin, admin, body(map[string]any{"name": "x", "unrestricted": "yes"}), http.StatusBadRequest},
		{"expired", e.admin, admin, body(map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}), http.StatusBadRequest},
		{"bad timestamp", e.admin, admin, body(map[string]any{"name": "x", "expires_at": "tomorrow"}), http.StatusBadRequest},
		{"roles not a list", e.admin, admin, body(map[string]any{"name": "x", "roles": "reader"}), http.StatusBadRequest},
		{"role with id and name", e.admin, admin, body(map[string]any{"name": "x", "roles": []any{map[string]any{"id": "a", "name": "b"}}}), http.StatusBadRequest},
		{"role not an object", e.admin, admin, body(map[string]any{"name": "x", "roles": []any{"reader"}}), http.StatusBadRequest},
		{"unknown role name", e.admin, admin, body(map[string]any{"name": "x", "roles": []any{map[string]any{"name": "ghost"}}}), http.StatusNotFound},
		{"role not held", e.admin, admin, body(map[string]any{"name": "x", "roles": []any{map[string]any{"id": other.ID}}}), http.StatusBadRequest},
		{"access rules", e.admin, admin, body(map[string]any{"name": "x", "access_rules": []any{map[string]any{"path": "/v2.1/servers", "method": "GET", "service": "compute"}}}), http.StatusBadRequest},
		{"duplicate name", e.admin, admin, body(map[string]any{"name": "taken"}), http.StatusConflict},
		{"for another user", e.admin, memberID, body(map[string]any{"name": "x"}), http.StatusForbidden},
		{"member for admin", member, admin, body(map[string]any{"name": "x"}), http.StatusForbidden},
		{"unscoped token", unscoped, admin, body(map[string]any{"name": "x"}), http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", appCredPath(c.user), c.token, c.body).must(t, c.status)
			if res.errorMessage() == "" {
				t.Errorf("no error message: %s", res.raw)
			}
		})
	}
	if l := e.call("GET", appCredPath(admin), e.admin, nil).list("application_credentials"); len(l) != 1 {
		t.Errorf("something was written: %v", l)
	}

	// A member manages their own credentials but cannot see the admin's.
	mine := e.call("POST", appCredPath(memberID), member, body(map[string]any{"name": "mine"})).must(t, http.StatusCreated).obj("application_credential")
	if roles, _ := mine["roles"].([]any); len(roles) != 2 {
		t.Errorf("member's delegated roles (member, reader): %v", mine["roles"])
	}
	adminCred := e.call("GET", appCredPath(admin), e.admin, nil).list("application_credentials")[0]
	reads := []struct {
		name, method, path, token string
		status                    int
	}{
		{"member lists own", "GET", appCredPath(memberID), member, http.StatusOK},
		{"member gets own", "GET", appCredPath(memberID) + "/" + catStr(mine, "id"), member, http.StatusOK},
		{"member lists admin's", "GET", appCredPath(admin), member, http.StatusForbidden},
		{"member gets admin's", "GET", appCredPath(admin) + "/" + catStr(adminCred, "id"), member, http.StatusForbidden},
		{"member gets admin's through own path", "GET", appCredPath(memberID) + "/" + catStr(adminCred, "id"), member, http.StatusForbidden},
		{"member deletes admin's", "DELETE", appCredPath(memberID) + "/" + catStr(adminCred, "id"), member, http.StatusForbidden},
		{"admin reads member's", "GET", appCredPath(memberID) + "/" + catStr(mine, "id"), e.admin, http.StatusOK},
		{"wrong owner in path", "GET", appCredPath(admin) + "/" + catStr(mine, "id"), e.admin, http.StatusNotFound},
		{"unknown credential", "GET", appCredPath(admin) + "/nope", e.admin, http.StatusNotFound},
		{"unknown user", "GET", appCredPath("nope"), e.admin, http.StatusNotFound},
		{"member deletes own", "DELETE", appCredPath(memberID) + "/" + catStr(mine, "id"), member, http.StatusNoContent},
	}
	for _, c := range reads {
		t.Run(c.name, func(t *testing.T) {
			e.call(c.method, c.path, c.token, nil).must(t, c.status)
		})
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2030-06-01T12:30:00Z", time.Date(2030, 6, 1, 12, 30, 0, 0, time.UTC), true},
		{"2030-06-01T12:30:00.123456", time.Date(2030, 6, 1, 12, 30, 0, 123456000, time.UTC), true},
		{"2030-06-01T14:30:00+02:00", time.Date(2030, 6, 1, 12, 30, 0, 0, time.UTC), true},
		{"2030-06-01T12:30", time.Date(2030, 6, 1, 12, 30, 0, 0, time.UTC), true},
		{"2030-06-01", time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"2029-12-31T23:59:59Z", time.Time{}, false},
		{"next week", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, c := range cases {
		got, err := parseExpiry(c.in, now)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
