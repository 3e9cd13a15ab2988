package placement

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestResourceClasses(t *testing.T) {
	e := newTestEnv(t)
	list := e.do("GET", "/resource_classes", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_classes", list)
	if n := len(list.List("resource_classes")); n != len(standardClasses) {
		t.Errorf("%d classes", n)
	}
	res := e.do("POST", "/resource_classes", map[string]any{"name": "CUSTOM_GOLD"}).Must(t, http.StatusCreated)
	if res.Header.Get("Location") != "/resource_classes/CUSTOM_GOLD" {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	mustError(t, e.do("POST", "/resource_classes", map[string]any{"name": "CUSTOM_GOLD"}), http.StatusConflict, codeDuplicateName, "CUSTOM_GOLD")
	mustError(t, e.do("POST", "/resource_classes", map[string]any{"name": "GOLD"}), http.StatusBadRequest, codeDefault, "CUSTOM_")
	show := e.do("GET", "/resource_classes/CUSTOM_GOLD", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_classes/CUSTOM_GOLD", show)
	if show.Body["name"] != "CUSTOM_GOLD" {
		t.Errorf("show: %s", show.Raw)
	}
	e.do("GET", "/resource_classes/VCPU", nil).Must(t, http.StatusOK)
	e.do("GET", "/resource_classes/CUSTOM_NOPE", nil).Must(t, http.StatusNotFound)
	// 1.7+: PUT creates (201) or confirms (204).
	e.do("PUT", "/resource_classes/CUSTOM_SILVER", nil).Must(t, http.StatusCreated)
	e.do("PUT", "/resource_classes/CUSTOM_SILVER", nil).Must(t, http.StatusNoContent)
	mustError(t, e.do("PUT", "/resource_classes/silver", nil), http.StatusBadRequest, "", "CUSTOM_")
	mustError(t, e.do("PUT", "/resource_classes/VCPU", nil), http.StatusBadRequest, "", "CUSTOM_")
	// 1.2–1.6: PUT renames, inventories follow.
	rp := e.provider("cn1", "")
	e.inventory(rp, map[string]int{"CUSTOM_GOLD": 5})
	e.call("1.6", "PUT", "/resource_classes/CUSTOM_GOLD", e.admin, map[string]any{"name": "CUSTOM_PLATINUM"}).Must(t, http.StatusOK)
	if invs := e.do("GET", "/resource_providers/"+rp+"/inventories", nil).Obj("inventories"); invs["CUSTOM_PLATINUM"] == nil {
		t.Errorf("inventory after rename: %v", invs)
	}
	mustError(t, e.call("1.6", "PUT", "/resource_classes/VCPU", e.admin, map[string]any{"name": "CUSTOM_X"}), http.StatusBadRequest, "", "standard")
	mustError(t, e.do("DELETE", "/resource_classes/CUSTOM_PLATINUM", nil), http.StatusConflict, "", "in use")
	mustError(t, e.do("DELETE", "/resource_classes/VCPU", nil), http.StatusBadRequest, "", "standard")
	e.do("DELETE", "/resource_classes/CUSTOM_SILVER", nil).Must(t, http.StatusNoContent)
	e.do("DELETE", "/resource_classes/CUSTOM_SILVER", nil).Must(t, http.StatusNotFound)
	e.call("1.1", "GET", "/resource_classes", e.admin, nil).Must(t, http.StatusNotFound)
}

func TestTraits(t *testing.T) {
	e := newTestEnv(t)
	all := e.do("GET", "/traits", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/traits", all)
	names := func(r map[string]any) []string {
		var out []string
		for _, n := range r["traits"].([]any) {
			out = append(out, n.(string))
		}
		return out
	}
	if got := names(all.Body); len(got) != len(standardTraits) || !slices.Contains(got, "COMPUTE_VOLUME_MULTI_ATTACH") || !slices.Contains(got, "HW_CPU_X86_AVX2") {
		t.Errorf("%d standard traits", len(got))
	}
	e.do("PUT", "/traits/CUSTOM_FAST", nil).Must(t, http.StatusCreated)
	e.do("PUT", "/traits/CUSTOM_FAST", nil).Must(t, http.StatusNoContent)
	e.do("GET", "/traits/CUSTOM_FAST", nil).Must(t, http.StatusNoContent)
	e.do("GET", "/traits/HW_CPU_X86_AVX2", nil).Must(t, http.StatusNoContent)
	e.do("GET", "/traits/CUSTOM_SLOW", nil).Must(t, http.StatusNotFound)
	mustError(t, e.do("PUT", "/traits/FAST", nil), http.StatusBadRequest, "", "CUSTOM_")
	if got := names(e.do("GET", "/traits?name=startswith:CUSTOM_", nil).Must(t, http.StatusOK).Body); !slices.Equal(got, []string{"CUSTOM_FAST"}) {
		t.Errorf("startswith: %v", got)
	}
	if got := names(e.do("GET", "/traits?name=in:CUSTOM_FAST,HW_CPU_X86_SSE", nil).Body); len(got) != 2 {
		t.Errorf("in: %v", got)
	}
	mustError(t, e.do("GET", "/traits?name=CUSTOM_FAST", nil), http.StatusBadRequest, codeQueryBadValue, "Badly formatted name")

	rp := e.provider("cn1", "")
	got := e.do("GET", "/resource_providers/"+rp+"/traits", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers/"+rp+"/traits", got)
	if got.Body["resource_provider_generation"] != 0.0 || len(got.Body["traits"].([]any)) != 0 {
		t.Errorf("no traits: %s", got.Raw)
	}
	put := e.do("PUT", "/resource_providers/"+rp+"/traits", map[string]any{"traits": []string{"CUSTOM_FAST", "HW_CPU_X86_AVX2"}, "resource_provider_generation": 0}).Must(t, http.StatusOK)
	if put.Body["resource_provider_generation"] != 1.0 || len(put.Body["traits"].([]any)) != 2 {
		t.Errorf("put traits: %s", put.Raw)
	}
	mustError(t, e.do("PUT", "/resource_providers/"+rp+"/traits", map[string]any{"traits": []string{}, "resource_provider_generation": 0}),
		http.StatusConflict, codeConcurrentUpdate, "generation")
	mustError(t, e.do("PUT", "/resource_providers/"+rp+"/traits", map[string]any{"traits": []string{"CUSTOM_NOPE"}, "resource_provider_generation": 1}),
		http.StatusBadRequest, "", "CUSTOM_NOPE")
	mustError(t, e.do("PUT", "/resource_providers/"+rp+"/traits", map[string]any{"traits": []string{"CUSTOM_FAST"}}),
		http.StatusBadRequest, "", "resource_provider_generation")
	if got := names(e.do("GET", "/traits?associated=true", nil).Body); len(got) != 2 {
		t.Errorf("associated: %v", got)
	}
	mustError(t, e.do("DELETE", "/traits/CUSTOM_FAST", nil), http.StatusConflict, "", "in use")
	mustError(t, e.do("DELETE", "/traits/HW_CPU_X86_AVX2", nil), http.StatusBadRequest, "", "standard")
	e.do("DELETE", "/resource_providers/"+rp+"/traits", nil).Must(t, http.StatusNoContent)
	if g := e.generation(rp); g != 2 {
		t.Errorf("generation after delete traits %d", g)
	}
	e.do("DELETE", "/traits/CUSTOM_FAST", nil).Must(t, http.StatusNoContent)
	e.do("DELETE", "/traits/CUSTOM_FAST", nil).Must(t, http.StatusNotFound)
	e.call("1.5", "GET", "/traits", e.admin, nil).Must(t, http.StatusNotFound)
}

func TestAggregates(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	agg := uuid.NewString()
	got := e.do("GET", "/resource_providers/"+rp+"/aggregates", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers/"+rp+"/aggregates", got)
	put := e.do("PUT", "/resource_providers/"+rp+"/aggregates", map[string]any{"aggregates": []string{agg}, "resource_provider_generation": 0}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/resource_providers/"+rp+"/aggregates", put)
	if put.Body["resource_provider_generation"] != 1.0 || put.Body["aggregates"].([]any)[0] != agg {
		t.Errorf("put: %s", put.Raw)
	}
	mustError(t, e.do("PUT", "/resource_providers/"+rp+"/aggregates", map[string]any{"aggregates": []string{}, "resource_provider_generation": 0}),
		http.StatusConflict, codeConcurrentUpdate, "generation")
	mustError(t, e.do("PUT", "/resource_providers/"+rp+"/aggregates", map[string]any{"aggregates": []string{"x"}, "resource_provider_generation": 1}),
		http.StatusBadRequest, "", "not a UUID")
	// Before 1.19: a bare list, no generation in the answer.
	old := e.call("1.18", "PUT", "/resource_providers/"+rp+"/aggregates", e.admin, []string{agg, uuid.NewString()}).Must(t, http.StatusOK)
	if _, has := old.Body["resource_provider_generation"]; has || len(old.Body["aggregates"].([]any)) != 2 {
		t.Errorf("1.18 put: %s", old.Raw)
	}
	mustError(t, e.call("1.18", "PUT", "/resource_providers/"+rp+"/aggregates", e.admin, map[string]any{"aggregates": []string{}}),
		http.StatusBadRequest, "", "array")
	e.call("1.0", "GET", "/resource_providers/"+rp+"/aggregates", e.admin, nil).Must(t, http.StatusNotFound)
}
