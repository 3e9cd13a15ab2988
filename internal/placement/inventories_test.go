package placement

import (
	"net/http"
	"testing"
)

func TestInventories(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	base := "/resource_providers/" + rp + "/inventories"
	put := e.do("PUT", base, map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{
		"VCPU":      map[string]any{"total": 8, "allocation_ratio": 16.0, "max_unit": 8},
		"MEMORY_MB": map[string]any{"total": 4096, "reserved": 512, "step_size": 256, "min_unit": 256},
	}}).Must(t, http.StatusOK)
	oracle(t, "PUT", base, put)
	vcpu := put.Obj("inventories", "VCPU")
	if put.Body["resource_provider_generation"] != 1.0 || vcpu["total"] != 8.0 || vcpu["reserved"] != 0.0 || vcpu["min_unit"] != 1.0 ||
		vcpu["step_size"] != 1.0 || vcpu["allocation_ratio"] != 16.0 {
		t.Errorf("put all: %s", put.Raw)
	}
	got := e.do("GET", base, nil).Must(t, http.StatusOK)
	oracle(t, "GET", base, got)
	if len(got.Obj("inventories")) != 2 {
		t.Errorf("list: %s", got.Raw)
	}
	one := e.do("GET", base+"/MEMORY_MB", nil).Must(t, http.StatusOK)
	oracle(t, "GET", base+"/MEMORY_MB", one)
	if one.Body["reserved"] != 512.0 || one.Body["resource_provider_generation"] != 1.0 {
		t.Errorf("show: %s", one.Raw)
	}
	e.do("GET", base+"/DISK_GB", nil).Must(t, http.StatusNotFound)
	upd := e.do("PUT", base+"/VCPU", map[string]any{"total": 16, "resource_provider_generation": 1}).Must(t, http.StatusOK)
	oracle(t, "PUT", base+"/VCPU", upd)
	if upd.Body["total"] != 16.0 || upd.Body["resource_provider_generation"] != 2.0 || upd.Body["allocation_ratio"] != 1.0 {
		t.Errorf("put one: %s", upd.Raw)
	}
	mustError(t, e.do("PUT", base+"/VCPU", map[string]any{"total": 4, "resource_provider_generation": 1}), http.StatusConflict, codeConcurrentUpdate, "generation")
	mustError(t, e.do("PUT", base, map[string]any{"resource_provider_generation": 1, "inventories": map[string]any{}}), http.StatusConflict, codeConcurrentUpdate, "generation")
	mustError(t, e.do("PUT", base+"/DISK_GB", map[string]any{"total": 4, "resource_provider_generation": 2}), http.StatusBadRequest, "", "No inventory record")
	post := e.do("POST", base, map[string]any{"resource_class": "DISK_GB", "total": 100}).Must(t, http.StatusCreated)
	oracle(t, "POST", base, post)
	if post.Header.Get("Location") != base+"/DISK_GB" || post.Body["resource_provider_generation"] != 3.0 {
		t.Errorf("post: %s %v", post.Raw, post.Header)
	}
	mustError(t, e.do("POST", base, map[string]any{"resource_class": "DISK_GB", "total": 100}), http.StatusConflict, "", "already exists")
	e.do("DELETE", base+"/DISK_GB", nil).Must(t, http.StatusNoContent)
	e.do("DELETE", base+"/DISK_GB", nil).Must(t, http.StatusNotFound)
	e.call("1.4", "DELETE", base, e.admin, nil).Must(t, http.StatusMethodNotAllowed)
	e.do("DELETE", base, nil).Must(t, http.StatusNoContent)
	if got := e.do("GET", base, nil).Obj("inventories"); len(got) != 0 {
		t.Errorf("after delete all: %v", got)
	}
	e.do("GET", "/resource_providers/00000000-0000-0000-0000-000000000000/inventories", nil).Must(t, http.StatusNotFound)
}

func TestInventoryBadInput(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	base := "/resource_providers/" + rp + "/inventories"
	inv := func(fields map[string]any) map[string]any {
		return map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{"VCPU": fields}}
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"inventories": map[string]any{}}, "'resource_provider_generation' is a required property"},
		{map[string]any{"resource_provider_generation": 0}, "'inventories' is a required property"},
		{map[string]any{"resource_provider_generation": "0", "inventories": map[string]any{}}, "must be an integer"},
		{inv(map[string]any{}), "'total' is a required property"},
		{inv(map[string]any{"total": 0}), "between 1 and"},
		{inv(map[string]any{"total": 1.5}), "must be an integer"},
		{inv(map[string]any{"total": "8"}), "must be an integer"},
		{inv(map[string]any{"total": 8, "reserved": -1}), "'reserved'"},
		{inv(map[string]any{"total": 8, "reserved": 9}), "greater than total"},
		{inv(map[string]any{"total": 8, "min_unit": 4, "max_unit": 2}), "min_unit"},
		{inv(map[string]any{"total": 8, "step_size": 0}), "'step_size'"},
		{inv(map[string]any{"total": 8, "allocation_ratio": 0}), "allocation_ratio"},
		{inv(map[string]any{"total": 8, "allocation_ratio": "x"}), "allocation_ratio"},
		{inv(map[string]any{"total": 8, "colour": 1}), "'colour'"},
		{inv(map[string]any{"total": 1 << 40}), "between 1 and"},
		{map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{"vcpu": map[string]any{"total": 1}}}, "not a valid resource class"},
		{map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{"CUSTOM_NOPE": map[string]any{"total": 1}}}, "CUSTOM_NOPE"},
		{map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{"VCPU": 5}}, "inventories"},
	} {
		mustError(t, e.do("PUT", base, c.body), http.StatusBadRequest, "", c.want)
	}
	// reserved == total: refused before 1.26, fine after.
	mustError(t, e.call("1.25", "PUT", base, e.admin, inv(map[string]any{"total": 8, "reserved": 8})), http.StatusBadRequest, "", "1.26")
	e.do("PUT", base, inv(map[string]any{"total": 8, "reserved": 8})).Must(t, http.StatusOK)
}

func TestInventoryInUse(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	e.inventory(rp, map[string]int{"VCPU": 8, "MEMORY_MB": 1024, "DISK_GB": 10})
	_, res := e.allocate(map[string]map[string]int{rp: {"VCPU": 6, "MEMORY_MB": 512}})
	res.Must(t, http.StatusNoContent)
	base := "/resource_providers/" + rp + "/inventories"
	gen := e.generation(rp)
	// Removing a class in use, all of them, or shrinking below what is allocated: 409 inuse.
	mustError(t, e.do("PUT", base, map[string]any{"resource_provider_generation": gen, "inventories": map[string]any{"VCPU": map[string]any{"total": 8}}}),
		http.StatusConflict, codeInventoryInUse, "MEMORY_MB")
	mustError(t, e.do("PUT", base+"/VCPU", map[string]any{"resource_provider_generation": gen, "total": 4}), http.StatusConflict, codeInventoryInUse, "VCPU")
	mustError(t, e.do("PUT", base+"/VCPU", map[string]any{"resource_provider_generation": gen, "total": 8, "reserved": 4}), http.StatusConflict, codeInventoryInUse, "VCPU")
	mustError(t, e.do("DELETE", base+"/VCPU", nil), http.StatusConflict, codeInventoryInUse, "VCPU")
	mustError(t, e.do("DELETE", base, nil), http.StatusConflict, codeInventoryInUse, "in use")
	mustError(t, e.do("DELETE", "/resource_providers/"+rp, nil), http.StatusConflict, codeProviderInUse, "allocations")
	// Shrinking to exactly the usage, or overcommitting by ratio, is fine; unused classes go.
	e.do("PUT", base+"/VCPU", map[string]any{"resource_provider_generation": gen, "total": 3, "allocation_ratio": 2.0}).Must(t, http.StatusOK)
	e.do("DELETE", base+"/DISK_GB", nil).Must(t, http.StatusNoContent)
}

func TestInventoryCapacityBounds(t *testing.T) {
	huge := inventory{Total: maxInt, Ratio: maxFloat, MinUnit: 1, MaxUnit: maxInt, StepSize: 1}
	if huge.capacity() <= 0 || !huge.fits(maxInt, maxInt) {
		t.Errorf("huge ratio: capacity %d", huge.capacity())
	}
	i := inventory{Total: 10, Reserved: 2, Ratio: 1.5, MinUnit: 2, MaxUnit: 6, StepSize: 2}
	if i.capacity() != 12 || !i.fits(10, 2) || i.fits(11, 2) || !i.unitOK(4) || i.unitOK(3) || i.unitOK(8) || i.unitOK(0) {
		t.Errorf("inventory arithmetic: %+v", i)
	}
}
