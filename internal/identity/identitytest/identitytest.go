// Package identitytest runs a real identity service for other services' tests: migrated
// database, key repositories, bootstrap data and an HTTP server, plus helpers to add users
// with roles on projects and to log them in.
package identitytest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
)

// AdminPassword is the bootstrap admin's password.
const AdminPassword = "s3cret-admin"

// Cloud is a running identity service.
type Cloud struct {
	t       testing.TB
	Service *identity.Service
	Server  *httptest.Server
	API     apitest.Client
	Admin   string // a token of admin on project admin
}

// Start runs identity over d (an empty database), with the admin, service and demo projects.
func Start(t testing.TB, d *db.DB) *Cloud {
	t.Helper()
	ctx := context.Background()
	schema := config.NewSchema()
	schema.Register("DEFAULT", config.Opt{Name: "state_path", Type: config.String, Default: t.TempDir()})
	identity.RegisterOptions(schema)
	opts, err := identity.OptionsFrom(schema.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	opts.Hasher = identity.Hasher{Algorithm: "bcrypt", Rounds: 4}
	if err := d.Migrate(ctx, identity.Migrations); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{opts.FernetKeyRepository, opts.CredentialKeys} {
		if err := fernet.NewRepository(dir, opts.MaxActiveKeys).Setup(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := identity.NewStore(d).Bootstrap(ctx, identity.BootstrapOptions{AdminPassword: AdminPassword,
		ExtraProjects: []string{"demo"}, Hasher: opts.Hasher, PublicURL: "http://controller:5000/v3"}); err != nil {
		t.Fatal(err)
	}
	svc, err := identity.New(ctx, opts, identity.Deps{DB: d, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c := &Cloud{t: t, Service: svc, Server: httptest.NewServer(svc.Handler())}
	t.Cleanup(c.Server.Close)
	c.API = apitest.Client{T: t, BaseURL: c.Server.URL}
	c.Admin = c.Login("admin", AdminPassword, "admin")
	return c
}

// Login issues a token for a Default-domain user scoped to a project.
func (c *Cloud) Login(user, password, project string) string {
	c.t.Helper()
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": user, "domain": map[string]any{"id": "default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"name": project, "domain": map[string]any{"id": "default"}}},
	}}
	res := c.API.Call("POST", "/v3/auth/tokens", "", body).Must(c.t, http.StatusCreated)
	return res.Header.Get("X-Subject-Token")
}

// ProjectID returns the id of a Default-domain project, creating the project when missing.
func (c *Cloud) ProjectID(name string) string {
	c.t.Helper()
	if found := c.API.Call("GET", "/v3/projects?name="+name, c.Admin, nil).Must(c.t, http.StatusOK).List("projects"); len(found) > 0 {
		return found[0]["id"].(string)
	}
	return c.API.Call("POST", "/v3/projects", c.Admin, map[string]any{"project": map[string]any{"name": name}}).
		Must(c.t, http.StatusCreated).Obj("project")["id"].(string)
}

// AddUser creates a user with a role on a project (created when missing) and returns a
// token of that user scoped to the project.
func (c *Cloud) AddUser(name, role, project string) string {
	c.t.Helper()
	const password = "pass-" + "word"
	projectID := c.ProjectID(project)
	user := c.API.Call("POST", "/v3/users", c.Admin, map[string]any{"user": map[string]any{"name": name, "password": password}}).
		Must(c.t, http.StatusCreated).Obj("user")["id"].(string)
	roleID := c.API.Call("GET", "/v3/roles?name="+role, c.Admin, nil).Must(c.t, http.StatusOK).List("roles")[0]["id"].(string)
	c.API.Call("PUT", "/v3/projects/"+projectID+"/users/"+user+"/roles/"+roleID, c.Admin, nil).Must(c.t, http.StatusNoContent)
	return c.Login(name, password, project)
}
