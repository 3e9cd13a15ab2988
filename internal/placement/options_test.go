package placement

import (
	"net/http"
	"testing"

	"github.com/gostack/gostack/internal/platform/config"
)

func TestOptions(t *testing.T) {
	o := testOptions(t)
	if o.Port != DefaultPort || o.Randomize || o.MaxCandidates != 0 || ConfigFile != "placement.conf" {
		t.Errorf("defaults: %+v", o)
	}
	schema := config.NewSchema()
	schema.Register("DEFAULT", config.Opt{Name: "max_request_body_size", Type: config.Int, Default: "1000"})
	schema.Register("oslo_policy", config.Opt{Name: "policy_file", Type: config.String})
	RegisterOptions(schema)
	cfg := schema.Defaults()
	for _, kv := range [][3]string{{"placement", "randomize_allocation_candidates", "true"}, {"placement", "max_allocation_candidates", "500"}, {"DEFAULT", "bind_port", "18778"}} {
		if err := cfg.Set(kv[0], kv[1], kv[2]); err != nil {
			t.Fatal(err)
		}
	}
	o, err := OptionsFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Randomize || o.MaxCandidates != 500 || o.Port != 18778 || o.MaxBodySize != 1000 {
		t.Errorf("set: %+v", o)
	}
}

func TestPolicyDefaults(t *testing.T) {
	seen := map[string]string{}
	for _, r := range Policies() {
		if _, dup := seen[r.Name]; dup {
			t.Errorf("rule %s twice", r.Name)
		}
		seen[r.Name] = r.Check
	}
	for _, name := range []string{ruleProviderList, ruleInventoryUpdate, ruleAllocUpdate, ruleCandidatesList, ruleTraitsUpdate, ruleReshape} {
		if seen[name] != adminOrService {
			t.Errorf("%s: %q", name, seen[name])
		}
	}
	if seen[ruleTotalUsages] != adminOrReaderOrService || seen["admin_or_service_api"] != "role:admin or role:service" {
		t.Errorf("usages %q", seen[ruleTotalUsages])
	}
}

func TestCacheHeadersAndRandomize(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("1.15", "GET", "/resource_providers", e.admin, nil).Must(t, http.StatusOK)
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Last-Modified") == "" {
		t.Errorf("1.15 headers: %v", res.Header)
	}
	res = e.call("1.14", "GET", "/resource_providers", e.admin, nil).Must(t, http.StatusOK)
	if res.Header.Get("Cache-Control") != "" {
		t.Errorf("1.14 headers: %v", res.Header)
	}
	for i := range 5 {
		e.inventory(e.provider(string(rune('a'+i)), ""), map[string]int{"VCPU": 4})
	}
	e.svc.opts.Randomize = true
	if n := len(e.do("GET", "/allocation_candidates?resources=VCPU:1&limit=2", nil).Must(t, http.StatusOK).List("allocation_requests")); n != 2 {
		t.Errorf("randomized limit: %d", n)
	}
	e.svc.opts.Randomize, e.svc.opts.MaxCandidates = false, 3
	if n := len(e.do("GET", "/allocation_candidates?resources=VCPU:1", nil).Must(t, http.StatusOK).List("allocation_requests")); n != 3 {
		t.Errorf("max_allocation_candidates: %d", n)
	}
}
