package placement

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/apitest"
)

// candidates asks for allocation candidates at a microversion.
func (e *testEnv) candidates(version, query string) apitest.Response {
	e.t.Helper()
	return e.call(version, "GET", "/allocation_candidates?"+query, e.admin, nil)
}

// requestProviders returns, per allocation request, the set of providers it uses.
func requestProviders(t testing.TB, res apitest.Response) []map[string]map[string]any {
	t.Helper()
	var out []map[string]map[string]any
	for _, ar := range res.List("allocation_requests") {
		m := map[string]map[string]any{}
		for p, a := range ar["allocations"].(map[string]any) {
			m[p] = a.(map[string]any)["resources"].(map[string]any)
		}
		out = append(out, m)
	}
	return out
}

func TestAllocationCandidatesFlat(t *testing.T) {
	e := newTestEnv(t)
	cn1, cn2, cn3 := e.provider("cn1", ""), e.provider("cn2", ""), e.provider("cn3", "")
	e.inventory(cn1, map[string]int{"VCPU": 8, "MEMORY_MB": 4096, "DISK_GB": 100})
	e.inventory(cn2, map[string]int{"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 100})
	e.inventory(cn3, map[string]int{"VCPU": 8, "MEMORY_MB": 4096, "DISK_GB": 100})
	e.do("PUT", "/resource_providers/"+cn3+"/traits", map[string]any{"traits": []string{"HW_CPU_X86_AVX2"}, "resource_provider_generation": e.generation(cn3)}).Must(t, http.StatusOK)
	agg := uuid.NewString()
	e.do("PUT", "/resource_providers/"+cn1+"/aggregates", map[string]any{"aggregates": []string{agg}, "resource_provider_generation": e.generation(cn1)}).Must(t, http.StatusOK)
	_, res := e.allocate(map[string]map[string]int{cn1: {"VCPU": 2}})
	res.Must(t, http.StatusNoContent)

	res = e.candidates(latest, "resources=VCPU:4,MEMORY_MB:1024").Must(t, http.StatusOK)
	oracle(t, "GET", "/allocation_candidates", res)
	reqs := requestProviders(t, res)
	if len(reqs) != 2 || reqs[0][cn2] != nil || reqs[1][cn2] != nil {
		t.Fatalf("candidates: %s", res.Raw)
	}
	sum := res.Obj("provider_summaries", cn1)
	vcpu := sum["resources"].(map[string]any)["VCPU"].(map[string]any)
	if vcpu["capacity"] != 8.0 || vcpu["used"] != 2.0 {
		t.Errorf("summary: %v", sum)
	}
	if _, has := sum["resources"].(map[string]any)["DISK_GB"]; !has {
		t.Errorf("1.27+ summary lacks unrequested classes: %v", sum)
	}
	if sum["root_provider_uuid"] != cn1 || sum["parent_provider_uuid"] != nil {
		t.Errorf("1.29 summary: %v", sum)
	}
	if ar := res.List("allocation_requests")[0]; ar["mappings"].(map[string]any)[""] == nil {
		t.Errorf("mappings: %v", ar)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"resources=VCPU:4&required=HW_CPU_X86_AVX2", []string{cn3}},
		{"resources=VCPU:4&required=!HW_CPU_X86_AVX2", []string{cn1}},
		{"resources=VCPU:1&member_of=" + agg, []string{cn1}},
		{"resources=VCPU:1&member_of=!" + agg, []string{cn2, cn3}},
		{"resources=VCPU:1&in_tree=" + cn2, []string{cn2}},
		{"resources=VCPU:7", []string{cn3}},
		{"resources=VCPU:1&limit=1", []string{cn1}},
		{"resources=VCPU:100", nil},
	} {
		reqs := requestProviders(t, e.candidates(latest, c.query).Must(t, http.StatusOK))
		if len(reqs) != len(c.want) {
			t.Errorf("%s: %d candidates, want %d", c.query, len(reqs), len(c.want))
			continue
		}
		for i, p := range c.want {
			if reqs[i][p] == nil {
				t.Errorf("%s: candidate %d is %v, want %s", c.query, i, reqs[i], p)
			}
		}
	}
	// Older shapes: a list of allocations before 1.12, no traits before 1.17.
	old := e.candidates("1.10", "resources=VCPU:1").Must(t, http.StatusOK)
	ar := old.List("allocation_requests")[0]
	if _, isList := ar["allocations"].([]any); !isList {
		t.Errorf("1.10 request: %v", ar)
	}
	if _, has := old.Obj("provider_summaries", cn1)["traits"]; has {
		t.Errorf("1.10 summary has traits")
	}
}

func TestAllocationCandidatesNestedAndShared(t *testing.T) {
	e := newTestEnv(t)
	cn := e.provider("cn", "")
	numa0, numa1 := e.provider("cn_numa0", cn), e.provider("cn_numa1", cn)
	pf := e.provider("cn_pf0", numa0)
	e.inventory(cn, map[string]int{"DISK_GB": 50})
	e.inventory(numa0, map[string]int{"VCPU": 4, "MEMORY_MB": 2048})
	e.inventory(numa1, map[string]int{"VCPU": 4, "MEMORY_MB": 2048})
	e.inventory(pf, map[string]int{"SRIOV_NET_VF": 8})
	e.do("PUT", "/resource_providers/"+pf+"/traits", map[string]any{"traits": []string{"HW_NIC_SRIOV"}, "resource_provider_generation": e.generation(pf)}).Must(t, http.StatusOK)

	// Unsuffixed: VCPU and MEMORY_MB may come from different NUMA nodes of the tree.
	res := e.candidates(latest, "resources=VCPU:2,MEMORY_MB:512,DISK_GB:10").Must(t, http.StatusOK)
	if n := len(res.List("allocation_requests")); n != 4 {
		t.Errorf("unsuffixed nested: %d requests: %s", n, res.Raw)
	}
	if len(res.Obj("provider_summaries")) != 4 {
		t.Errorf("summaries lack tree members: %v", res.Obj("provider_summaries"))
	}
	// Granular: each group from one provider; isolate keeps the NUMA groups apart.
	q := url.Values{"resources1": {"VCPU:2,MEMORY_MB:512"}, "resources2": {"VCPU:2,MEMORY_MB:512"},
		"resources3": {"SRIOV_NET_VF:1"}, "required3": {"HW_NIC_SRIOV"}, "group_policy": {"isolate"}}
	res = e.candidates(latest, q.Encode()).Must(t, http.StatusOK)
	reqs := requestProviders(t, res)
	if len(reqs) != 1 { // the two ways to place groups 1 and 2 allocate the same: one request
		t.Fatalf("isolate: %s", res.Raw)
	}
	for _, r := range reqs {
		if r[numa0] == nil || r[numa1] == nil || r[pf] == nil {
			t.Errorf("isolated request %v", r)
		}
	}
	m := res.List("allocation_requests")[0]["mappings"].(map[string]any)
	if len(m) != 3 || m["3"].([]any)[0] != pf {
		t.Errorf("mappings %v", m)
	}
	q.Set("group_policy", "none")
	if n := len(requestProviders(t, e.candidates(latest, q.Encode()).Must(t, http.StatusOK))); n != 3 {
		t.Errorf("group_policy=none: %d requests", n)
	}
	// String suffixes from 1.33.
	res = e.candidates(latest, "resources_COMPUTE=VCPU:4&resources_NET=SRIOV_NET_VF:1&group_policy=none").Must(t, http.StatusOK)
	if n := len(res.List("allocation_requests")); n != 2 {
		t.Errorf("string suffixes: %s", res.Raw)
	}
	// A sharing provider serves trees in its aggregate.
	agg := uuid.NewString()
	nfs := e.provider("nfs", "")
	e.inventory(nfs, map[string]int{"DISK_GB": 1000})
	e.do("PUT", "/resource_providers/"+nfs+"/traits", map[string]any{"traits": []string{"MISC_SHARES_VIA_AGGREGATE"}, "resource_provider_generation": e.generation(nfs)}).Must(t, http.StatusOK)
	for _, p := range []string{nfs, cn} {
		e.do("PUT", "/resource_providers/"+p+"/aggregates", map[string]any{"aggregates": []string{agg}, "resource_provider_generation": e.generation(p)}).Must(t, http.StatusOK)
	}
	reqs = requestProviders(t, e.candidates(latest, "resources=VCPU:1,DISK_GB:100").Must(t, http.StatusOK))
	shared := 0
	for _, r := range reqs {
		if r[nfs] != nil {
			shared++
		}
	}
	if len(reqs) != 2 || shared != 2 {
		t.Errorf("sharing: %v", reqs)
	}
	// same_subtree: a VF and CPUs under the same NUMA node.
	vfNuma1 := e.provider("cn_pf1", numa1)
	e.inventory(vfNuma1, map[string]int{"SRIOV_NET_VF": 8})
	q = url.Values{"resources_CPU": {"VCPU:1"}, "resources_NET": {"SRIOV_NET_VF:1"}, "group_policy": {"none"}}
	if n := len(requestProviders(t, e.candidates(latest, q.Encode()).Must(t, http.StatusOK))); n != 4 {
		t.Errorf("without same_subtree: %d requests", n)
	}
	q.Set("same_subtree", "_CPU,_NET")
	reqs = requestProviders(t, e.candidates(latest, q.Encode()).Must(t, http.StatusOK))
	if len(reqs) != 2 || (reqs[0][numa0] != nil) != (reqs[0][pf] != nil) || (reqs[1][numa1] != nil) != (reqs[1][vfNuma1] != nil) {
		t.Errorf("same_subtree: %v", reqs)
	}
	mustError(t, e.candidates(latest, "resources_CPU=VCPU:1&same_subtree=_CPU,_X"), http.StatusBadRequest, "", "_X")
	// root_required filters on the root's traits.
	if n := len(e.candidates(latest, "resources=VCPU:1&root_required=HW_NIC_SRIOV").Must(t, http.StatusOK).List("allocation_requests")); n != 0 {
		t.Errorf("root_required: %d", n)
	}
}

func TestAllocationCandidatesBadInput(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct{ version, query, want string }{
		{latest, "", "At least one resources parameter"},
		{latest, "resources=VCPU", "CLASS:AMOUNT"},
		{latest, "resources=VCPU:-1", "positive integer"},
		{latest, "resources=CUSTOM_NOPE:1", "No such resource class"},
		{latest, "resources=VCPU:1&required=CUSTOM_NOPE", "No such trait"},
		{latest, "resources=VCPU:1&limit=0", "limit"},
		{latest, "resources=VCPU:1&colour=red", "colour"},
		{latest, "resources1=VCPU:1&resources2=VCPU:1", "group_policy"},
		{latest, "resources=VCPU:1&group_policy=maybe", "group_policy"},
		{latest, "resources=VCPU:1&required1=HW_CPU_X86_AVX2", "resources"},
		{latest, "resources=VCPU:1&member_of=nope", "UUID"},
		{latest, "resources=VCPU:1&in_tree=nope", "UUID"},
		{latest, "resources=VCPU:1&resources=DISK_GB:1", "only once"},
		{"1.16", "resources=VCPU:1&required=HW_CPU_X86_AVX2", "required"},
		{"1.24", "resources1=VCPU:1", "resources1"},
		{"1.32", "resources_X=VCPU:1", "resources_X"},
		{"1.38", "resources=VCPU:1&required=in:HW_CPU_X86_AVX2,HW_CPU_X86_SSE", "invalid trait"},
	} {
		mustError(t, e.candidates(c.version, c.query), http.StatusBadRequest, "", c.want)
	}
	e.candidates("1.9", "resources=VCPU:1").Must(t, http.StatusNotFound)
}
