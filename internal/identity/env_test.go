package identity

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// testAdminPassword is the bootstrap admin's password in every test environment.
const testAdminPassword = "s3cret-admin"

// testEnv is a running identity service over a real database, reached over real HTTP.
type testEnv struct {
	t     testing.TB
	svc   *Service
	srv   *httptest.Server
	admin string // a project-scoped admin token
	boot  BootstrapResult
}

// testOptions are the defaults with a cheap hash and keys in a temporary directory.
func testOptions(t testing.TB) Options {
	schema := config.NewSchema()
	schema.Register("DEFAULT", config.Opt{Name: "state_path", Type: config.String, Default: t.TempDir()})
	RegisterOptions(schema)
	opts, err := OptionsFrom(schema.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	opts.Hasher = Hasher{Algorithm: "bcrypt", Rounds: 4}
	return opts
}

// newTestEnv starts identity on SQLite; change opts with the optional function.
func newTestEnv(t testing.TB, change ...func(*Options)) *testEnv {
	return newTestEnvOn(t, dbtest.Open(t, db.SQLite), change...)
}

// newTestEnvOn starts identity on the given (empty) database.
func newTestEnvOn(t testing.TB, d *db.DB, change ...func(*Options)) *testEnv {
	t.Helper()
	ctx := context.Background()
	opts := testOptions(t)
	for _, c := range change {
		c(&opts)
	}
	if err := d.Migrate(ctx, Migrations); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{opts.FernetKeyRepository, opts.CredentialKeys} {
		if err := fernet.NewRepository(dir, opts.MaxActiveKeys).Setup(); err != nil {
			t.Fatal(err)
		}
	}
	e := &testEnv{t: t}
	var err error
	e.boot, err = NewStore(d).Bootstrap(ctx, BootstrapOptions{
		AdminPassword: testAdminPassword, ExtraProjects: []string{"demo"}, Hasher: opts.Hasher,
		PublicURL: "http://controller:5000/v3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.svc, err = New(ctx, opts, Deps{DB: d, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.svc.Handler())
	t.Cleanup(e.srv.Close)
	e.admin = e.login("admin", testAdminPassword, "admin")
	return e
}

// passwordAuth is a password-method auth body scoped to a Default-domain project ("" = unscoped).
func passwordAuth(user, password, project string) map[string]any {
	a := map[string]any{"identity": map[string]any{"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{"name": user, "domain": map[string]any{"id": "default"}, "password": password}}}}
	if project != "" {
		a["scope"] = map[string]any{"project": map[string]any{"name": project, "domain": map[string]any{"id": "default"}}}
	}
	return map[string]any{"auth": a}
}

// login issues a token for a Default-domain user, failing the test if it is refused.
func (e *testEnv) login(user, password, project string) string {
	e.t.Helper()
	res := e.call("POST", "/v3/auth/tokens", "", passwordAuth(user, password, project))
	if res.status != http.StatusCreated {
		e.t.Fatalf("login %s: %d %v", user, res.status, res.body)
	}
	return res.header.Get("X-Subject-Token")
}

// response is a decoded API answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a request; body may be nil, a string (sent as is) or any JSON value.
func (e *testEnv) call(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	if body == nil {
		headers = append([]string{"Content-Type", "application/json"}, headers...)
	}
	r := apitest.Client{T: e.t, BaseURL: e.srv.URL}.Call(method, path, token, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body, raw: r.Raw}
}

// must fails the test unless the response has the wanted status; it returns the response.
func (r response) must(t testing.TB, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// obj returns a nested object of the body by keys.
func (r response) obj(keys ...string) map[string]any {
	m := r.body
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// list returns a list field of the body.
func (r response) list(key string) []map[string]any {
	items, _ := r.body[key].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// errorMessage returns the Keystone error body's message.
func (r response) errorMessage() string {
	msg, _ := r.obj("error")["message"].(string)
	return msg
}

// tempFile is a path in a fresh temporary directory.
func tempFile(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }
