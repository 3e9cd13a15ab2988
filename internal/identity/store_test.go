package identity

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// migratedStore returns a store over a fresh, migrated database of each dialect.
func migratedStore(t *testing.T, d *db.DB) *Store {
	t.Helper()
	if err := d.Migrate(context.Background(), Migrations); err != nil {
		t.Fatal(err)
	}
	return NewStore(d)
}

func TestStoreOnEveryDatabase(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		s := migratedStore(t, d)
		t.Run("bootstrap", func(t *testing.T) { testBootstrap(t, s) })
		t.Run("projects", func(t *testing.T) { testStoreProjects(t, s) })
		t.Run("users", func(t *testing.T) { testStoreUsers(t, s) })
		t.Run("assignments", func(t *testing.T) { testStoreAssignments(t, s) })
		t.Run("catalog", func(t *testing.T) { testStoreCatalog(t, s) })
	})
}

func TestTokensOnEveryDatabase(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		e := newTestEnvOn(t, d)
		res := e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", e.admin).must(t, http.StatusOK)
		if res.obj("token", "project")["name"] != "admin" {
			t.Fatalf("validate: %s", res.raw)
		}
		e.call("DELETE", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", e.admin).must(t, http.StatusNoContent)
		e.call("GET", "/v3/auth/projects", e.admin, nil).must(t, http.StatusUnauthorized)
	})
}

func testBootstrap(t *testing.T, s *Store) {
	ctx := context.Background()
	opts := BootstrapOptions{AdminPassword: "pw1", ExtraProjects: []string{"demo"}, PublicURL: "http://h:5000/v3", Hasher: Hasher{Rounds: 4}}
	first, err := s.Bootstrap(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !first.CreatedAdmin {
		t.Error("first bootstrap did not create the admin")
	}
	gen, _ := s.Generation(ctx)
	again, err := s.Bootstrap(ctx, opts)
	if err != nil || again.AdminUserID != first.AdminUserID || again.CreatedAdmin {
		t.Fatalf("second bootstrap: %+v %v", again, err)
	}
	if gen2, _ := s.Generation(ctx); gen2 != gen {
		t.Errorf("an idempotent bootstrap wrote (generation %d → %d)", gen, gen2)
	}
	endpoints, _ := s.ListEndpoints(ctx, EndpointFilter{})
	if len(endpoints) != 3 {
		t.Errorf("endpoints after bootstrap: %v", endpoints)
	}
	opts.PublicURL, opts.AdminPassword = "http://other:5000/v3", "pw2"
	if _, err := s.Bootstrap(ctx, opts); err != nil {
		t.Fatal(err)
	}
	endpoints, _ = s.ListEndpoints(ctx, EndpointFilter{})
	for _, e := range endpoints {
		if e.URL != "http://other:5000/v3" {
			t.Errorf("endpoint not moved: %+v", e)
		}
	}
	pws, _ := s.Passwords(ctx, first.AdminUserID, 5)
	if len(pws) != 2 || !Check(pws[0].Hash, "pw2") {
		t.Errorf("password history after reset: %d entries", len(pws))
	}
	for _, name := range []string{"admin", "member", "reader"} {
		if _, err := s.GetRoleByName(ctx, "", name); err != nil {
			t.Errorf("role %s: %v", name, err)
		}
	}
}

func testStoreProjects(t *testing.T, s *Store) {
	ctx := context.Background()
	dom := Project{ID: newID(), Name: "Lab", DomainID: RootDomainID, IsDomain: true, Enabled: true}
	if err := s.CreateProject(ctx, dom); err != nil {
		t.Fatal(err)
	}
	p := Project{ID: newID(), Name: "p1", DomainID: dom.ID, ParentID: dom.ID, Enabled: true,
		Tags: []string{"b", "a"}, Extra: map[string]any{"color": "red"}}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	dup := p
	dup.ID = newID()
	var cf *ConflictError
	if err := s.CreateProject(ctx, dup); !errors.As(err, &cf) {
		t.Fatalf("duplicate project name: %v", err)
	}
	got, err := s.GetProjectByName(ctx, dom.ID, "p1")
	if err != nil || got.Extra["color"] != "red" || len(got.Tags) != 2 || got.Tags[0] != "a" {
		t.Fatalf("get: %+v %v", got, err)
	}
	enabled := true
	list, err := s.ListProjects(ctx, ProjectFilter{DomainID: dom.ID, Enabled: &enabled, Tags: []string{"a"}})
	if err != nil || len(list) != 1 {
		t.Fatalf("list by tag: %v %v", list, err)
	}
	if list, _ = s.ListProjects(ctx, ProjectFilter{DomainID: dom.ID, NotTagsAny: []string{"b"}}); len(list) != 0 {
		t.Errorf("not-tags-any: %v", list)
	}
	got.Name, got.Tags = "p1-renamed", []string{"c"}
	if err := s.UpdateProject(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDomain(ctx, dom.ID); err != nil {
		t.Fatal(err)
	}
	var nf *NotFoundError
	if _, err := s.GetProject(ctx, p.ID); !errors.As(err, &nf) {
		t.Errorf("project survived its domain: %v", err)
	}
	if err := s.DeleteProject(ctx, p.ID); !errors.As(err, &nf) {
		t.Errorf("delete missing project: %v", err)
	}
}

func testStoreUsers(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := User{ID: newID(), Name: "alice", DomainID: DefaultDomainID, Enabled: true, CreatedAt: now,
		Extra: map[string]any{"email": "alice@example.org"}, Options: map[string]any{"ignore_lockout_failure_attempts": true}}
	if err := s.CreateUser(ctx, u, &Password{UserID: u.ID, Hash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUserByName(ctx, DefaultDomainID, "alice")
	if err != nil || got.Extra["email"] != "alice@example.org" || !got.PasswordExpiresAt.Equal(now.Add(time.Hour)) || !got.CreatedAt.Equal(now) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if err := s.RecordAuthResult(ctx, u.ID, 2, now, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.GetUser(ctx, u.ID); got.FailedAuthCount != 2 {
		t.Errorf("failed count %d", got.FailedAuthCount)
	}
	g := Group{ID: newID(), Name: "devs", DomainID: DefaultDomainID}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.AddGroupMember(ctx, g.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	members, err := s.ListUsers(ctx, UserFilter{GroupID: g.ID})
	if err != nil || len(members) != 1 {
		t.Fatalf("members: %v %v", members, err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.IsGroupMember(ctx, g.ID, u.ID); in {
		t.Error("membership survived the user")
	}
}

func testStoreAssignments(t *testing.T, s *Store) {
	ctx := context.Background()
	role := Role{ID: newID(), Name: "observer"}
	if err := s.CreateRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	a := Assignment{Type: UserProject, ActorID: "u1", TargetID: "p1", RoleID: role.ID}
	for range 2 {
		if err := s.Grant(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	inh := a
	inh.Inherited = true
	if err := s.Grant(ctx, inh); err != nil {
		t.Fatal(err)
	}
	no := false
	list, err := s.ListAssignments(ctx, AssignmentFilter{ActorIDs: []string{"u1"}, Inherited: &no})
	if err != nil || len(list) != 1 || list[0].Inherited {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := s.DeleteRole(ctx, role.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ = s.ListAssignments(ctx, AssignmentFilter{ActorIDs: []string{"u1"}}); len(list) != 0 {
		t.Errorf("assignments survived their role: %v", list)
	}
	var nf *NotFoundError
	if err := s.Revoke(ctx, a); !errors.As(err, &nf) {
		t.Errorf("revoke missing: %v", err)
	}
}

func testStoreCatalog(t *testing.T, s *Store) {
	ctx := context.Background()
	svc := CatalogService{ID: newID(), Type: "image", Name: "glance", Enabled: true}
	if err := s.CreateService(ctx, svc); err != nil {
		t.Fatal(err)
	}
	e := Endpoint{ID: newID(), ServiceID: svc.ID, Interface: "public", URL: "http://controller:9292", RegionID: "RegionOne", Enabled: true}
	if err := s.CreateEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	var fe *ForbiddenError
	if err := s.DeleteRegion(ctx, "RegionOne"); !errors.As(err, &fe) {
		t.Errorf("delete a region in use: %v", err)
	}
	cat, err := loadCatalog(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cs := range cat {
		found = found || (cs.service.ID == svc.ID && len(cs.endpoints) == 1)
	}
	if !found {
		t.Errorf("catalog lacks glance: %+v", cat)
	}
	if err := s.DeleteService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEndpoint(ctx, e.ID); err == nil {
		t.Error("endpoint survived its service")
	}
}
