package placement

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

func TestProviderLifecycle(t *testing.T) {
	e := newTestEnv(t)
	id := uuid.NewString()
	res := e.do("POST", "/resource_providers", map[string]any{"name": "compute1", "uuid": id}).Must(t, http.StatusOK)
	oracle(t, "POST", "/resource_providers", res)
	if res.Body["uuid"] != id || res.Body["generation"] != 0.0 || res.Body["root_provider_uuid"] != id || res.Body["parent_provider_uuid"] != nil {
		t.Errorf("created: %s", res.Raw)
	}
	if links := res.Body["links"].([]any); len(links) != 6 {
		t.Errorf("links at 1.39: %v", links)
	}
	if res.Header.Get("Location") != "/resource_providers/"+id {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	// Before 1.20, 201 with no body; before 1.14 no tree fields; 1.0 has 3 links.
	old := e.call("1.19", "POST", "/resource_providers", e.admin, map[string]any{"name": "compute2"}).Must(t, http.StatusCreated)
	if old.Raw != "" || old.Header.Get("Location") == "" {
		t.Errorf("1.19 create: %q %v", old.Raw, old.Header)
	}
	show := e.call("1.0", "GET", "/resource_providers/"+id, e.admin, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers/"+id, show)
	if _, has := show.Body["root_provider_uuid"]; has || len(show.Body["links"].([]any)) != 3 {
		t.Errorf("1.0 show: %s", show.Raw)
	}
	mustError(t, e.do("POST", "/resource_providers", map[string]any{"name": "compute1"}), http.StatusConflict, codeDuplicateName, "compute1")
	mustError(t, e.do("POST", "/resource_providers", map[string]any{"name": "other", "uuid": id}), http.StatusConflict, codeDuplicateName, id)

	upd := e.do("PUT", "/resource_providers/"+id, map[string]any{"name": "renamed"}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/resource_providers/"+id, upd)
	if upd.Body["name"] != "renamed" {
		t.Errorf("update: %s", upd.Raw)
	}
	mustError(t, e.do("PUT", "/resource_providers/"+id, map[string]any{"name": "compute2"}), http.StatusConflict, codeDuplicateName, "compute2")
	list := e.do("GET", "/resource_providers?name=renamed", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/resource_providers", list)
	if got := list.List("resource_providers"); len(got) != 1 || got[0]["uuid"] != id {
		t.Errorf("list by name: %s", list.Raw)
	}
	if got := e.do("GET", "/resource_providers?uuid="+id, nil).List("resource_providers"); len(got) != 1 {
		t.Errorf("list by uuid: %v", got)
	}
	e.do("DELETE", "/resource_providers/"+id, nil).Must(t, http.StatusNoContent)
	e.do("GET", "/resource_providers/"+id, nil).Must(t, http.StatusNotFound)
	e.do("DELETE", "/resource_providers/"+id, nil).Must(t, http.StatusNotFound)
}

func TestProviderBadInput(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{}, "'name' is a required property"},
		{map[string]any{"name": ""}, "1 to 200 characters"},
		{map[string]any{"name": 5}, "'name' must be a string"},
		{map[string]any{"name": "x", "uuid": "nope"}, "not a UUID"},
		{map[string]any{"name": "x", "colour": "red"}, "'colour'"},
		{map[string]any{"name": "x", "parent_provider_uuid": uuid.NewString()}, "parent provider UUID"},
		{"[1,2]", "object"},
		{"{", "Malformed"},
	} {
		mustError(t, e.do("POST", "/resource_providers", c.body), http.StatusBadRequest, codeDefault, c.want)
	}
	mustError(t, e.call("1.13", "POST", "/resource_providers", e.admin, map[string]any{"name": "x", "parent_provider_uuid": uuid.NewString()}),
		http.StatusBadRequest, "", "parent_provider_uuid")
	for _, q := range []struct{ query, want string }{
		{"colour=red", "colour"},
		{"uuid=nope", "not a UUID"},
		{"member_of=nope", "valid UUID"},
		{"resources=VCPU", "CLASS:AMOUNT"},
		{"resources=VCPU:0", "positive integer"},
		{"resources=NOPE:1", "NOPE"},
		{"required=CUSTOM_NOPE", "No such trait"},
		{"required=lower", "invalid trait"},
		{"name=a&name=b", "only once"},
	} {
		mustError(t, e.do("GET", "/resource_providers?"+q.query, nil), http.StatusBadRequest, "", q.want)
	}
	mustError(t, e.call("1.2", "GET", "/resource_providers?member_of="+uuid.NewString(), e.admin, nil), http.StatusBadRequest, "", "member_of")
}

func TestProviderTrees(t *testing.T) {
	e := newTestEnv(t)
	root := e.provider("cn1", "")
	numa0 := e.provider("cn1_numa0", root)
	pf := e.provider("cn1_numa0_pf0", numa0)
	other := e.provider("cn2", "")
	got := e.do("GET", "/resource_providers/"+pf, nil).Must(t, http.StatusOK).Body
	if got["parent_provider_uuid"] != numa0 || got["root_provider_uuid"] != root {
		t.Errorf("pf: %v", got)
	}
	tree := e.do("GET", "/resource_providers?in_tree="+numa0, nil).Must(t, http.StatusOK).List("resource_providers")
	if len(tree) != 3 {
		t.Errorf("in_tree: %v", tree)
	}
	mustError(t, e.do("DELETE", "/resource_providers/"+numa0, nil), http.StatusConflict, codeCannotDeleteParent, "child")
	// Before 1.37 re-parenting is refused; from 1.37 it moves the subtree, never into itself.
	mustError(t, e.call("1.36", "PUT", "/resource_providers/"+numa0, e.admin, map[string]any{"name": "cn1_numa0", "parent_provider_uuid": other}),
		http.StatusBadRequest, "", "re-parenting")
	mustError(t, e.do("PUT", "/resource_providers/"+numa0, map[string]any{"name": "cn1_numa0", "parent_provider_uuid": pf}),
		http.StatusBadRequest, "", "loop")
	e.do("PUT", "/resource_providers/"+numa0, map[string]any{"name": "cn1_numa0", "parent_provider_uuid": other}).Must(t, http.StatusOK)
	if got := e.do("GET", "/resource_providers/"+pf, nil).Body["root_provider_uuid"]; got != other {
		t.Errorf("pf root after move: %v", got)
	}
	e.do("PUT", "/resource_providers/"+numa0, map[string]any{"name": "cn1_numa0", "parent_provider_uuid": nil}).Must(t, http.StatusOK)
	if got := e.do("GET", "/resource_providers/"+pf, nil).Body["root_provider_uuid"]; got != numa0 {
		t.Errorf("pf root after un-parenting: %v", got)
	}
	// A root may get a parent at 1.14.
	e.call("1.14", "PUT", "/resource_providers/"+root, e.admin, map[string]any{"name": "cn1", "parent_provider_uuid": other}).Must(t, http.StatusOK)
}

func TestProviderFilters(t *testing.T) {
	e := newTestEnv(t)
	a, b, c := e.provider("a", ""), e.provider("b", ""), e.provider("c", "")
	agg1, agg2 := uuid.NewString(), uuid.NewString()
	e.do("PUT", "/resource_providers/"+a+"/aggregates", map[string]any{"aggregates": []string{agg1}, "resource_provider_generation": 0}).Must(t, http.StatusOK)
	e.do("PUT", "/resource_providers/"+b+"/aggregates", map[string]any{"aggregates": []string{agg1, agg2}, "resource_provider_generation": 0}).Must(t, http.StatusOK)
	e.do("PUT", "/resource_providers/"+c+"/traits", map[string]any{"traits": []string{"HW_CPU_X86_AVX2", "COMPUTE_STATUS_DISABLED"}, "resource_provider_generation": 0}).Must(t, http.StatusOK)
	e.do("PUT", "/resource_providers/"+b+"/traits", map[string]any{"traits": []string{"HW_CPU_X86_AVX2"}, "resource_provider_generation": e.generation(b)}).Must(t, http.StatusOK)
	e.inventory(a, map[string]int{"VCPU": 4, "MEMORY_MB": 1024})
	e.inventory(b, map[string]int{"VCPU": 2})
	names := func(query string) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, p := range e.do("GET", "/resource_providers?"+query, nil).Must(t, http.StatusOK).List("resource_providers") {
			out[p["name"].(string)] = true
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"member_of=" + agg1, []string{"a", "b"}},
		{"member_of=in:" + agg2 + "," + uuid.NewString(), []string{"b"}},
		{"member_of=" + agg1 + "&member_of=" + agg2, []string{"b"}},
		{"member_of=!" + agg2, []string{"a", "c"}},
		{"required=HW_CPU_X86_AVX2", []string{"b", "c"}},
		{"required=HW_CPU_X86_AVX2,!COMPUTE_STATUS_DISABLED", []string{"b"}},
		{"required=in:COMPUTE_STATUS_DISABLED,HW_CPU_X86_SSE", []string{"c"}},
		{"resources=VCPU:3", []string{"a"}},
		{"resources=VCPU:2,MEMORY_MB:1024", []string{"a"}},
		{"resources=VCPU:2", []string{"a", "b"}},
	} {
		got := names(c.query)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.query, got, c.want)
			continue
		}
		for _, n := range c.want {
			if !got[n] {
				t.Errorf("%s: got %v, want %v", c.query, got, c.want)
			}
		}
	}
}
