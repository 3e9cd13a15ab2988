package placement

import (
	"net/http"
	"testing"
)

func TestReshaper(t *testing.T) {
	e := newTestEnv(t)
	root := e.provider("cn1", "")
	e.inventory(root, map[string]int{"VCPU": 8, "VGPU": 4})
	c, res := e.allocate(map[string]map[string]int{root: {"VCPU": 2, "VGPU": 1}})
	res.Must(t, http.StatusNoContent)
	gpu := e.provider("cn1_pgpu0", root)
	one := 1
	body := func(rootGen int) map[string]any {
		return map[string]any{
			"inventories": map[string]any{
				root: map[string]any{"resource_provider_generation": rootGen, "inventories": map[string]any{"VCPU": map[string]any{"total": 8}}},
				gpu:  map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{"VGPU": map[string]any{"total": 4}}},
			},
			"allocations": map[string]any{c: allocationBody(map[string]map[string]int{root: {"VCPU": 2}, gpu: {"VGPU": 1}}, &one, e.demo)},
		}
	}
	mustError(t, e.do("POST", "/reshaper", body(0)), http.StatusConflict, codeConcurrentUpdate, root)
	// Moving VGPU without its allocation leaves it allocated where no inventory is.
	bad := body(e.generation(root))
	bad["allocations"] = map[string]any{}
	mustError(t, e.do("POST", "/reshaper", bad), http.StatusConflict, codeInventoryInUse, "VGPU")
	e.do("POST", "/reshaper", body(e.generation(root))).Must(t, http.StatusNoContent)
	if u := e.do("GET", "/resource_providers/"+gpu+"/usages", nil).Obj("usages"); u["VGPU"] != 1.0 {
		t.Errorf("gpu usage %v", u)
	}
	if invs := e.do("GET", "/resource_providers/"+root+"/inventories", nil).Obj("inventories"); len(invs) != 1 {
		t.Errorf("root inventories %v", invs)
	}
	if got := e.do("GET", "/allocations/"+c, nil).Body["consumer_generation"]; got != 2.0 {
		t.Errorf("consumer generation %v", got)
	}
	e.call("1.29", "POST", "/reshaper", e.admin, body(0)).Must(t, http.StatusNotFound)
	mustError(t, e.do("POST", "/reshaper", map[string]any{"inventories": map[string]any{}}), http.StatusBadRequest, "", "'allocations'")
}
