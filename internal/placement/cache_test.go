package placement

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// TestTopologyCacheFollowsOtherProcesses runs two placement services over one database: what
// one changes, the other's allocation candidates see at once.
func TestTopologyCacheFollowsOtherProcesses(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newTestEnvOn(t, d)
	other, err := New(context.Background(), testOptions(t), Deps{DB: d, Validator: e.validator, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(other.Handler())
	t.Cleanup(srv.Close)
	second := e.on(t)
	second.api = apitest.Client{T: t, BaseURL: srv.URL}

	rp := e.provider("cn1", "")
	count := func(query string) int {
		t.Helper()
		return len(second.do("GET", "/allocation_candidates?"+query, nil).Must(t, http.StatusOK).List("allocation_requests"))
	}
	if n := count("resources=VCPU:1"); n != 0 {
		t.Fatalf("%d candidates before any inventory", n)
	}
	e.inventory(rp, map[string]int{"VCPU": 4})
	if n := count("resources=VCPU:1"); n != 1 {
		t.Errorf("inventory not seen: %d", n)
	}
	e.do("PUT", "/resource_providers/"+rp+"/traits", map[string]any{"traits": []string{"HW_CPU_X86_AVX2"}, "resource_provider_generation": e.generation(rp)}).Must(t, http.StatusOK)
	if n := count("resources=VCPU:1&required=HW_CPU_X86_AVX2"); n != 1 {
		t.Errorf("traits not seen: %d", n)
	}
	_, res := e.allocate(map[string]map[string]int{rp: {"VCPU": 4}})
	res.Must(t, http.StatusNoContent)
	if n := count("resources=VCPU:1"); n != 0 {
		t.Errorf("usage not seen: %d", n)
	}
}
