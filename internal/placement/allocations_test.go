package placement

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

func TestAllocationsLifecycle(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	e.inventory(rp, map[string]int{"VCPU": 4, "MEMORY_MB": 2048})
	c := uuid.NewString()
	path := "/allocations/" + c
	put := e.do("PUT", path, allocationBody(map[string]map[string]int{rp: {"VCPU": 2, "MEMORY_MB": 1024}}, nil, e.demo)).Must(t, http.StatusNoContent)
	oracle(t, "PUT", path, put)
	got := e.do("GET", path, nil).Must(t, http.StatusOK)
	oracle(t, "GET", path, got)
	if got.Body["consumer_generation"] != 1.0 || got.Body["project_id"] != e.demo || got.Body["user_id"] != "u1" || got.Body["consumer_type"] != "INSTANCE" {
		t.Errorf("get: %s", got.Raw)
	}
	if res := got.Obj("allocations", rp, "resources"); res["VCPU"] != 2.0 || res["MEMORY_MB"] != 1024.0 {
		t.Errorf("resources: %s", got.Raw)
	}
	if g := got.Obj("allocations", rp)["generation"]; g != float64(e.generation(rp)) {
		t.Errorf("provider generation in allocations %v", g)
	}
	// A stale or missing consumer generation is a 409 concurrent_update.
	mustError(t, e.do("PUT", path, allocationBody(map[string]map[string]int{rp: {"VCPU": 1}}, nil, e.demo)), http.StatusConflict, codeConcurrentUpdate, "consumer generation conflict")
	zero := 0
	mustError(t, e.do("PUT", path, allocationBody(map[string]map[string]int{rp: {"VCPU": 1}}, &zero, e.demo)), http.StatusConflict, codeConcurrentUpdate, "consumer generation conflict")
	one := 1
	e.do("PUT", path, allocationBody(map[string]map[string]int{rp: {"VCPU": 1}}, &one, e.demo)).Must(t, http.StatusNoContent)
	usages := e.do("GET", "/resource_providers/"+rp+"/usages", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers/"+rp+"/usages", usages)
	if u := usages.Obj("usages"); u["VCPU"] != 1.0 || u["MEMORY_MB"] != 0.0 {
		t.Errorf("usages: %s", usages.Raw)
	}
	rpAllocs := e.do("GET", "/resource_providers/"+rp+"/allocations", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers/"+rp+"/allocations", rpAllocs)
	if res := rpAllocs.Obj("allocations", c, "resources"); res["VCPU"] != 1.0 {
		t.Errorf("provider allocations: %s", rpAllocs.Raw)
	}
	total := e.do("GET", "/usages?project_id="+e.demo, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/usages", total)
	if g := total.Obj("usages", "INSTANCE"); g["consumer_count"] != 1.0 || g["VCPU"] != 1.0 {
		t.Errorf("total usages 1.38: %s", total.Raw)
	}
	if u := e.call("1.9", "GET", "/usages?project_id="+e.demo, e.admin, nil).Must(t, http.StatusOK).Obj("usages"); u["VCPU"] != 1.0 {
		t.Errorf("total usages 1.9: %v", u)
	}
	// An empty allocations object with the generation deletes safely.
	two := 2
	e.do("PUT", path, allocationBody(nil, &two, e.demo)).Must(t, http.StatusNoContent)
	if got := e.do("GET", path, nil).Must(t, http.StatusOK); len(got.Obj("allocations")) != 0 {
		t.Errorf("after clearing: %s", got.Raw)
	}
	c2, res := e.allocate(map[string]map[string]int{rp: {"VCPU": 4}})
	res.Must(t, http.StatusNoContent)
	e.do("DELETE", "/allocations/"+c2, nil).Must(t, http.StatusNoContent)
	e.do("DELETE", "/allocations/"+c2, nil).Must(t, http.StatusNotFound)
}

func TestAllocationCapacity(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	base := "/resource_providers/" + rp + "/inventories"
	e.do("PUT", base, map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{
		"VCPU":      map[string]any{"total": 4, "reserved": 1, "allocation_ratio": 2.0, "max_unit": 4},
		"MEMORY_MB": map[string]any{"total": 2048, "min_unit": 256, "step_size": 256},
	}}).Must(t, http.StatusOK)
	// (4 - 1) * 2 = 6 VCPU in all, at most 4 at a time.
	_, res := e.allocate(map[string]map[string]int{rp: {"VCPU": 4}})
	res.Must(t, http.StatusNoContent)
	_, res = e.allocate(map[string]map[string]int{rp: {"VCPU": 3}})
	mustError(t, res, http.StatusConflict, codeDefault, "exceed the capacity")
	_, res = e.allocate(map[string]map[string]int{rp: {"VCPU": 2}})
	res.Must(t, http.StatusNoContent)
	for _, c := range []struct {
		res  map[string]int
		want string
	}{
		{map[string]int{"MEMORY_MB": 100}, "min_unit"},
		{map[string]int{"MEMORY_MB": 300}, "step_size"},
	} {
		_, res = e.allocate(map[string]map[string]int{rp: c.res})
		mustError(t, res, http.StatusConflict, "", c.want)
	}
	_, res = e.allocate(map[string]map[string]int{rp: {"DISK_GB": 1}})
	mustError(t, res, http.StatusConflict, "", "DISK_GB")
	_, res = e.allocate(map[string]map[string]int{uuid.NewString(): {"VCPU": 1}})
	mustError(t, res, http.StatusBadRequest, "", "does not exist")
	_, res = e.allocate(map[string]map[string]int{rp: {"CUSTOM_NOPE": 1}})
	mustError(t, res, http.StatusBadRequest, "", "CUSTOM_NOPE")
}

func TestAllocationBadInput(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	e.inventory(rp, map[string]int{"VCPU": 4})
	path := "/allocations/" + uuid.NewString()
	good := func() map[string]any { return allocationBody(map[string]map[string]int{rp: {"VCPU": 1}}, nil, "p") }
	with := func(k string, v any) map[string]any {
		b := good()
		b[k] = v
		return b
	}
	without := func(k string) map[string]any {
		b := good()
		delete(b, k)
		return b
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{without("consumer_generation"), "'consumer_generation' is a required property"},
		{without("project_id"), "'project_id' is a required property"},
		{without("consumer_type"), "'consumer_type' is a required property"},
		{with("consumer_type", "instance"), "consumer_type"},
		{with("colour", "red"), "'colour'"},
		{with("allocations", []any{}), "keyed by resource provider UUID"},
		{with("allocations", map[string]any{"x": map[string]any{"resources": map[string]any{"VCPU": 1}}}), "not a resource provider UUID"},
		{with("allocations", map[string]any{rp: map[string]any{"resources": map[string]any{}}}), "must not be empty"},
		{with("allocations", map[string]any{rp: map[string]any{"resources": map[string]any{"VCPU": 0}}}), "from 1 to"},
		{with("allocations", map[string]any{rp: map[string]any{"resources": map[string]any{"VCPU": "1"}}}), "must be an integer"},
		{with("allocations", map[string]any{rp: map[string]any{}}), "'resources' is a required property"},
		{with("consumer_generation", "1"), "must be an integer"},
	} {
		mustError(t, e.do("PUT", path, c.body), http.StatusBadRequest, codeDefault, c.want)
	}
	mustError(t, e.do("PUT", "/allocations/nope", good()), http.StatusBadRequest, "", "not a UUID")
	// Older formats: a list before 1.12, project and user optional before 1.8.
	list := map[string]any{"allocations": []any{map[string]any{"resource_provider": map[string]any{"uuid": rp}, "resources": map[string]any{"VCPU": 1}}}}
	e.call("1.7", "PUT", path, e.admin, list).Must(t, http.StatusNoContent)
	mustError(t, e.call("1.8", "PUT", path, e.admin, list), http.StatusBadRequest, "", "project_id")
	list["project_id"], list["user_id"] = "p", "u"
	mustError(t, e.call("1.12", "PUT", path, e.admin, list), http.StatusBadRequest, "", "keyed by resource provider UUID")
	if got := e.call("1.12", "GET", path, e.admin, nil).Must(t, http.StatusOK); got.Body["project_id"] != incompleteConsumer {
		t.Errorf("incomplete consumer: %s", got.Raw)
	}
}

func TestPostAllocations(t *testing.T) {
	e := newTestEnv(t)
	a, b := e.provider("a", ""), e.provider("b", "")
	e.inventory(a, map[string]int{"VCPU": 4})
	e.inventory(b, map[string]int{"VCPU": 4})
	c1, c2 := uuid.NewString(), uuid.NewString()
	body := map[string]any{
		c1: allocationBody(map[string]map[string]int{a: {"VCPU": 2}}, nil, e.demo),
		c2: allocationBody(map[string]map[string]int{b: {"VCPU": 3}}, nil, e.demo),
	}
	res := e.do("POST", "/allocations", body).Must(t, http.StatusNoContent)
	oracle(t, "POST", "/allocations", res)
	// A move: c1 to b fails as a whole when b lacks room, leaving c2's change undone too.
	one := 1
	bad := map[string]any{
		c1: allocationBody(map[string]map[string]int{b: {"VCPU": 2}}, &one, e.demo),
		c2: allocationBody(map[string]map[string]int{b: {"VCPU": 3}}, &one, e.demo),
	}
	mustError(t, e.do("POST", "/allocations", bad), http.StatusConflict, "", "capacity")
	if u := e.do("GET", "/resource_providers/"+b+"/usages", nil).Obj("usages"); u["VCPU"] != 3.0 {
		t.Errorf("b usage after failed post: %v", u)
	}
	ok := map[string]any{
		c1: allocationBody(map[string]map[string]int{b: {"VCPU": 2}}, &one, e.demo),
		c2: allocationBody(map[string]map[string]int{b: {"VCPU": 2}}, &one, e.demo),
	}
	e.do("POST", "/allocations", ok).Must(t, http.StatusNoContent)
	if u := e.do("GET", "/resource_providers/"+a+"/usages", nil).Obj("usages"); u["VCPU"] != 0.0 {
		t.Errorf("a usage after move: %v", u)
	}
	mustError(t, e.do("POST", "/allocations", map[string]any{}), http.StatusBadRequest, "", "at least one consumer")
	e.call("1.12", "POST", "/allocations", e.admin, ok).Must(t, http.StatusNotFound)
}
