package image

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gostack/gostack/internal/identity/identitytest"
	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// testEnv is a running image service with a real identity service, over a real database.
type testEnv struct {
	t       testing.TB
	svc     *Service
	api     apitest.Client
	id      *identitytest.Cloud
	admin   string // admin on project admin
	member  string // alice: member of project demo
	other   string // bob: member of project other
	reader  string // carol: reader of project demo
	demo    string // project ids
	otherP  string
	dataDir string
}

// testOptions are the defaults, with state in a temporary directory.
func testOptions(t testing.TB) (Options, *config.Config) {
	schema := config.NewSchema()
	schema.Register("DEFAULT",
		config.Opt{Name: "state_path", Type: config.String, Default: t.TempDir()},
		config.Opt{Name: "max_request_body_size", Type: config.Int, Default: "114688"})
	schema.Register("oslo_policy", config.Opt{Name: "policy_file", Type: config.String, Default: "$state_path/policy.yaml"})
	RegisterOptions(schema)
	cfg := schema.Defaults()
	opts, err := OptionsFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return opts, cfg
}

// newTestEnv starts identity and image on SQLite; change adjusts the options.
func newTestEnv(t testing.TB, change ...func(*Options)) *testEnv {
	return newTestEnvOn(t, dbtest.Open(t, db.SQLite), change...)
}

func newTestEnvOn(t testing.TB, d *db.DB, change ...func(*Options)) *testEnv {
	t.Helper()
	ctx := context.Background()
	id := identitytest.Start(t, d)
	opts, cfg := testOptions(t)
	for _, c := range change {
		c(&opts)
	}
	if err := d.Migrate(ctx, Migrations); err != nil {
		t.Fatal(err)
	}
	stores, err := store.FromConfig(cfg, opts.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(ctx, opts, Deps{DB: d, Stores: stores, Validator: id.Service, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(svc.Wait)
	e := &testEnv{t: t, svc: svc, api: apitest.Client{T: t, BaseURL: srv.URL}, id: id, admin: id.Admin,
		dataDir: filepath.Join(opts.StateDir, "images")}
	e.member = id.AddUser("alice", "member", "demo")
	e.other = id.AddUser("bob", "member", "other")
	e.reader = id.AddUser("carol", "reader", "demo")
	e.demo, e.otherP = id.ProjectID("demo"), id.ProjectID("other")
	return e
}

// call sends a JSON request to the image API.
func (e *testEnv) call(method, path, token string, body any, headers ...string) apitest.Response {
	e.t.Helper()
	return e.api.Call(method, path, token, body, headers...)
}

// create makes an image and returns it.
func (e *testEnv) create(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2/images", token, attrs).Must(e.t, http.StatusCreated).Body
}

// upload puts data into an image.
func (e *testEnv) upload(token, id string, data []byte) apitest.Response {
	e.t.Helper()
	return e.call("PUT", "/v2/images/"+id+"/file", token, data, "Content-Type", "application/octet-stream")
}

// patch sends a JSON patch.
func (e *testEnv) patch(token, id string, ops ...map[string]any) apitest.Response {
	e.t.Helper()
	return e.call("PATCH", "/v2/images/"+id, token, ops, "Content-Type", patchV21)
}
