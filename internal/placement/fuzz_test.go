package placement

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// FuzzPutInventories sends arbitrary bodies to PUT /resource_providers/{uuid}/inventories:
// the answer must never be a 5xx, errors must be in Placement's format, and an accepted
// inventory must read back as what was stored and respect its own invariants.
func FuzzPutInventories(f *testing.F) {
	for _, seed := range []string{
		`{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}}`,
		`{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8, "reserved": 8}, "MEMORY_MB": {"total": 1024, "step_size": 256, "min_unit": 256, "max_unit": 1024, "allocation_ratio": 1.5}}}`,
		`{"resource_provider_generation": 0, "inventories": {"DISK_GB": {"total": 2147483647, "allocation_ratio": 3.4e38}}}`,
		`{"resource_provider_generation": 0, "inventories": {}}`,
		`{"resource_provider_generation": 1, "inventories": {"VCPU": {"total": 1}}}`,
		`{"resource_provider_generation": 0, "inventories": {"VCPU": {"total": -1, "min_unit": 5, "max_unit": 1}}}`,
		`{"resource_provider_generation": 0, "inventories": {"vcpu": {"total": 1}}}`,
		`{"resource_provider_generation": 0, "inventories": {"VCPU": null}}`,
		`{"resource_provider_generation": null}`, `[]`, `null`, `{`, ``,
	} {
		f.Add(seed)
	}
	e := newTestEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		e := e.on(t)
		rp := e.provider("fuzz-"+uuid.NewString(), "")
		path := "/resource_providers/" + rp + "/inventories"
		res := e.do("PUT", path, body)
		checkFuzzAnswer(t, res.Status, res.Raw, errorCode(res))
		if res.Status != http.StatusOK {
			return
		}
		back := e.do("GET", path, nil).Must(t, http.StatusOK)
		if back.Body["resource_provider_generation"] != res.Body["resource_provider_generation"] {
			t.Errorf("generation %v then %v", res.Body["resource_provider_generation"], back.Body["resource_provider_generation"])
		}
		for rc, raw := range back.Obj("inventories") {
			inv := raw.(map[string]any)
			if inv["reserved"].(float64) > inv["total"].(float64) || inv["min_unit"].(float64) > inv["max_unit"].(float64) ||
				inv["step_size"].(float64) < 1 || inv["allocation_ratio"].(float64) <= 0 {
				t.Errorf("stored an invalid inventory of %s: %v (body %q)", rc, inv, body)
			}
		}
	})
}

// FuzzPutAllocations sends arbitrary bodies to PUT /allocations/{consumer} against a provider
// with a small inventory: never a 5xx, and never more allocated than the capacity.
func FuzzPutAllocations(f *testing.F) {
	const rp = "6b7f6cbe-4a7c-4d1e-9c49-2b4a0c4e1f00"
	for _, seed := range []string{
		`{"allocations": {"` + rp + `": {"resources": {"VCPU": 1}}}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "INSTANCE"}`,
		`{"allocations": {"` + rp + `": {"resources": {"VCPU": 9, "MEMORY_MB": 512}}}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "INSTANCE"}`,
		`{"allocations": {"` + rp + `": {"resources": {"MEMORY_MB": 100}}}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "MIGRATION"}`,
		`{"allocations": {}, "project_id": "p", "user_id": "u", "consumer_generation": 3, "consumer_type": "INSTANCE"}`,
		`{"allocations": [{"resource_provider": {"uuid": "` + rp + `"}, "resources": {"VCPU": 1}}]}`,
		`{"allocations": {"x": {"resources": {"VCPU": 1}}}, "project_id": "", "user_id": "u", "consumer_generation": null}`,
		`{"allocations": {"` + rp + `": {"resources": {"VCPU": 1e3}}}, "project_id": "p", "user_id": "u", "consumer_generation": null, "consumer_type": "INSTANCE"}`,
		`{"allocations": null}`, `[]`, `"x"`, `{`,
	} {
		f.Add(seed)
	}
	e := newTestEnv(f)
	e.do("POST", "/resource_providers", map[string]any{"name": "cn", "uuid": rp}).Must(f, http.StatusOK)
	e.do("PUT", "/resource_providers/"+rp+"/inventories", map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{
		"VCPU":      map[string]any{"total": 8, "max_unit": 8},
		"MEMORY_MB": map[string]any{"total": 2048, "min_unit": 256, "step_size": 256},
	}}).Must(f, http.StatusOK)
	f.Fuzz(func(t *testing.T, body string) {
		e := e.on(t)
		res := e.do("PUT", "/allocations/"+uuid.NewString(), body)
		checkFuzzAnswer(t, res.Status, res.Raw, errorCode(res))
		usages := e.do("GET", "/resource_providers/"+rp+"/usages", nil).Must(t, http.StatusOK).Obj("usages")
		if usages["VCPU"].(float64) > 8 || usages["MEMORY_MB"].(float64) > 2048 {
			t.Errorf("overcommitted after %q: %v", body, usages)
		}
	})
}

// checkFuzzAnswer fails on a server error or an error outside Placement's format.
func checkFuzzAnswer(t *testing.T, status int, raw, code string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("status %d: %s", status, raw)
	}
	if status >= 400 && (code == "" || !strings.Contains(raw, `"errors"`)) {
		t.Errorf("error not in Placement's format: %d %s", status, raw)
	}
}
