package identity

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestCachedBodiesMatchRendering checks that the cached token and catalog bodies are, byte
// for byte, what encoding the rendered maps gives, cold and warm.
func TestCachedBodiesMatchRendering(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	token := e.login("admin", testAdminPassword, "admin")
	td, err := e.svc.Validate(ctx, token, false)
	if err != nil {
		t.Fatal(err)
	}
	services, err := e.svc.cache.catalogServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	catalog := renderCatalog(services, td.Payload.ProjectID)
	for _, withCatalog := range []bool{true, false} {
		m, err := e.svc.tokenBody(ctx, td, withCatalog)
		if err != nil {
			t.Fatal(err)
		}
		path := "/v3/auth/tokens?nocatalog"
		if withCatalog {
			m["token"].(map[string]any)["catalog"] = catalog
			path = "/v3/auth/tokens"
		}
		want, _ := json.Marshal(m)
		for _, round := range []string{"cold", "warm"} {
			got := e.call("GET", path, e.admin, nil, "X-Subject-Token", token).must(t, http.StatusOK)
			if got.raw != string(want) {
				t.Errorf("%s %s:\n got %s\nwant %s", round, path, got.raw, want)
			}
		}
	}
	want, _ := json.Marshal(map[string]any{"catalog": catalog,
		"links": map[string]any{"self": e.srv.URL + "/v3/auth/catalog", "previous": nil, "next": nil}})
	for _, round := range []string{"cold", "warm"} {
		if got := e.call("GET", "/v3/auth/catalog", token, nil).must(t, http.StatusOK); got.raw != string(want) {
			t.Errorf("%s catalog:\n got %s\nwant %s", round, got.raw, want)
		}
	}
}

// cacheFixture is a user "alice" with the member role on the demo project, an unscoped token
// and a demo-scoped token that has been validated (so it and its scope are cached).
type cacheFixture struct {
	e                *testEnv
	userID, demoID   string
	memberID         string
	unscoped, scoped string
}

func newCacheFixture(t *testing.T) *cacheFixture {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	f := &cacheFixture{e: e, userID: newID()}
	demo, err := e.svc.store.GetProjectByName(ctx, DefaultDomainID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	member, err := e.svc.store.GetRoleByName(ctx, "", "member")
	if err != nil {
		t.Fatal(err)
	}
	f.demoID, f.memberID = demo.ID, member.ID
	hash, err := e.svc.opts.Hasher.Hash("alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := e.svc.store.CreateUser(ctx, User{ID: f.userID, Name: "alice", DomainID: DefaultDomainID, Enabled: true, CreatedAt: now},
		&Password{UserID: f.userID, Hash: hash, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.store.Grant(ctx, f.assignment(member.ID)); err != nil {
		t.Fatal(err)
	}
	body := passwordAuth("alice", "alice-pw", "")
	body["auth"].(map[string]any)["scope"] = "unscoped"
	f.unscoped = e.call("POST", "/v3/auth/tokens", "", body).must(t, http.StatusCreated).header.Get("X-Subject-Token")
	f.scoped = f.rescope(t, http.StatusCreated).header.Get("X-Subject-Token")
	f.validate(t, f.scoped, http.StatusOK)
	return f
}

func (f *cacheFixture) assignment(roleID string) Assignment {
	return Assignment{Type: UserProject, ActorID: f.userID, TargetID: f.demoID, RoleID: roleID}
}

// rescope issues a demo-scoped token from alice's unscoped token.
func (f *cacheFixture) rescope(t *testing.T, status int) response {
	t.Helper()
	return f.e.call("POST", "/v3/auth/tokens", "", string(rescopeBody(f.unscoped, f.demoID))).must(t, status)
}

func (f *cacheFixture) validate(t *testing.T, token string, status int) response {
	t.Helper()
	return f.e.call("GET", "/v3/auth/tokens", f.e.admin, nil, "X-Subject-Token", token).must(t, status)
}

// roleNames lists the role names of a token body.
func roleNames(r response) []string {
	var names []string
	for _, x := range r.obj("token")["roles"].([]any) {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	return names
}

// TestCachesFollowChanges checks that cached tokens and scopes never outlive the identity data
// they were resolved from.
func TestCachesFollowChanges(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		check func(t *testing.T, f *cacheFixture)
	}{
		{"role revoked", func(t *testing.T, f *cacheFixture) {
			if err := f.e.svc.store.Revoke(ctx, f.assignment(f.memberID)); err != nil {
				t.Fatal(err)
			}
			// The password method first: no validation has refreshed the caches yet.
			f.e.call("POST", "/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", "demo")).must(t, http.StatusUnauthorized)
			f.rescope(t, http.StatusUnauthorized)
			f.validate(t, f.scoped, http.StatusNotFound)
		}},
		{"role granted", func(t *testing.T, f *cacheFixture) {
			admin, err := f.e.svc.store.GetRoleByName(ctx, "", "admin")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.e.svc.store.Grant(ctx, f.assignment(admin.ID)); err != nil {
				t.Fatal(err)
			}
			want := []string{"admin", "member", "reader"}
			if got := roleNames(f.validate(t, f.scoped, http.StatusOK)); !slices.Equal(got, want) {
				t.Errorf("validated roles %v, want %v", got, want)
			}
			if got := roleNames(f.rescope(t, http.StatusCreated)); !slices.Equal(got, want) {
				t.Errorf("issued roles %v, want %v", got, want)
			}
		}},
		{"user disabled", func(t *testing.T, f *cacheFixture) {
			u, err := f.e.svc.store.GetUser(ctx, f.userID)
			if err != nil {
				t.Fatal(err)
			}
			u.Enabled = false
			if err := f.e.svc.store.UpdateUser(ctx, u, nil); err != nil {
				t.Fatal(err)
			}
			f.validate(t, f.scoped, http.StatusNotFound)
		}},
		{"project disabled", func(t *testing.T, f *cacheFixture) {
			p, err := f.e.svc.store.GetProject(ctx, f.demoID)
			if err != nil {
				t.Fatal(err)
			}
			p.Enabled = false
			if err := f.e.svc.store.UpdateProject(ctx, p); err != nil {
				t.Fatal(err)
			}
			f.validate(t, f.scoped, http.StatusNotFound)
			f.rescope(t, http.StatusUnauthorized)
		}},
		{"one token of a cached scope revoked", func(t *testing.T, f *cacheFixture) {
			sibling := f.rescope(t, http.StatusCreated).header.Get("X-Subject-Token")
			f.validate(t, sibling, http.StatusOK)
			f.e.call("DELETE", "/v3/auth/tokens", f.e.admin, nil, "X-Subject-Token", f.scoped).must(t, http.StatusNoContent)
			f.validate(t, f.scoped, http.StatusNotFound)
			f.validate(t, sibling, http.StatusOK)
			// A new token of the same scope is issued after the revocation: still valid.
			f.validate(t, f.rescope(t, http.StatusCreated).header.Get("X-Subject-Token"), http.StatusOK)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, newCacheFixture(t)) })
	}
}

// TestCachedTokensFollowKeyRotation checks that a cached token stops validating as soon as
// the key that encrypted it leaves the repository, exactly when decoding it would fail.
func TestCachedTokensFollowKeyRotation(t *testing.T) {
	e := newTestEnv(t)
	token := e.login("admin", testAdminPassword, "admin")
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusOK)
	gone := false
	for i := 0; i < e.svc.opts.MaxActiveKeys+1 && !gone; i++ {
		if err := e.svc.keys.Rotate(); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.codec.Decode(token)
		gone = err != nil
		want := http.StatusOK
		if gone {
			want = http.StatusNotFound
		}
		caller := e.login("admin", testAdminPassword, "admin") // the old caller token may be gone too
		e.call("GET", "/v3/auth/tokens", caller, nil, "X-Subject-Token", token).must(t, want)
	}
	if !gone {
		t.Fatalf("the token still decodes after %d rotations", e.svc.opts.MaxActiveKeys+1)
	}
}

// TestKeepBodyBudget checks the budget of cached token bodies and that emptying the token
// map frees it.
func TestKeepBodyBudget(t *testing.T) {
	c := newCache(nil)
	steps := []struct {
		n    int
		want bool
	}{{maxCachedBodyBytes - 10, true}, {11, false}, {10, true}, {1, false}}
	for i, s := range steps {
		if got := c.keepBody(s.n); got != s.want {
			t.Errorf("step %d: keepBody(%d) = %v, want %v", i, s.n, got, s.want)
		}
	}
	c.resetTokens()
	if !c.keepBody(1 << 20) {
		t.Error("the budget was not freed by resetTokens")
	}
}
