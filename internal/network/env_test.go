package network

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gostack/gostack/internal/identity/identitytest"
	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// testEnv is a running network service with a real identity service, over a real database.
type testEnv struct {
	t      testing.TB
	svc    *Service
	api    apitest.Client
	admin  string // admin on project admin
	member string // alice: member of project demo
	other  string // bob: member of project other
	demo   string // project ids
	otherP string
}

// testOptions are the defaults with a VLAN physical network and small tenant ranges.
func testOptions(t testing.TB) Options {
	schema := config.NewSchema()
	schema.Register("DEFAULT",
		config.Opt{Name: "state_path", Type: config.String, Default: t.TempDir()},
		config.Opt{Name: "max_request_body_size", Type: config.Int, Default: "114688"})
	schema.Register("oslo_policy", config.Opt{Name: "policy_file", Type: config.String, Default: "$state_path/policy.yaml"})
	RegisterOptions(schema)
	cfg := schema.Defaults()
	if err := cfg.Set("ml2_type_vlan", "network_vlan_ranges", "physnet1:100:102,public"); err != nil {
		t.Fatal(err)
	}
	opts, err := OptionsFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// newTestEnv starts identity and network on SQLite; change adjusts the options.
func newTestEnv(t testing.TB, change ...func(*Options)) *testEnv {
	return newTestEnvOn(t, dbtest.Open(t, db.SQLite), change...)
}

func newTestEnvOn(t testing.TB, d *db.DB, change ...func(*Options)) *testEnv {
	t.Helper()
	id := identitytest.Start(t, d)
	opts := testOptions(t)
	for _, c := range change {
		c(&opts)
	}
	if err := d.Migrate(context.Background(), Migrations); err != nil {
		t.Fatal(err)
	}
	svc, err := New(context.Background(), opts, Deps{DB: d, Validator: id.Service, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	e := &testEnv{t: t, svc: svc, api: apitest.Client{T: t, BaseURL: srv.URL}, admin: id.Admin}
	e.member = id.AddUser("alice", "member", "demo")
	e.other = id.AddUser("bob", "member", "other")
	e.demo, e.otherP = id.ProjectID("demo"), id.ProjectID("other")
	return e
}

func (e *testEnv) call(method, path, token string, body any) apitest.Response {
	e.t.Helper()
	return e.api.Call(method, path, token, body)
}

// network creates a network and returns it.
func (e *testEnv) network(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2.0/networks", token, map[string]any{"network": attrs}).Must(e.t, http.StatusCreated).Obj("network")
}

// neutronType is the NeutronError type of an error response.
func neutronType(r apitest.Response) string {
	t, _ := r.Obj("NeutronError")["type"].(string)
	return t
}
