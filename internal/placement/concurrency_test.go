package placement

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// TestConcurrentAllocationsNeverOvercommit races many consumers for a provider's last units
// on every engine: exactly capacity of them may win, the others get 409, and the usage must
// equal what the winners hold.
func TestConcurrentAllocationsNeverOvercommit(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		rp := e.provider("cn1", "")
		shared := e.provider("cn2", "")
		e.do("PUT", "/resource_providers/"+rp+"/inventories", map[string]any{"resource_provider_generation": 0, "inventories": map[string]any{
			"VCPU":      map[string]any{"total": 8, "allocation_ratio": 2.0},
			"MEMORY_MB": map[string]any{"total": 100000},
		}}).Must(t, http.StatusOK)
		e.inventory(shared, map[string]int{"DISK_GB": 1000})
		const workers = 40
		const capacity = 16
		var mu sync.Mutex
		statuses := map[int]int{}
		var winners []string
		var wg sync.WaitGroup
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				allocs := map[string]map[string]int{rp: {"VCPU": 1, "MEMORY_MB": 128}}
				if i%2 == 0 { // half of them span two providers
					allocs[shared] = map[string]int{"DISK_GB": 10}
				}
				c := uuid.NewString()
				res := e.do("PUT", "/allocations/"+c, allocationBody(allocs, nil, e.demo))
				mu.Lock()
				statuses[res.Status]++
				if res.Status == http.StatusNoContent {
					winners = append(winners, c)
				}
				mu.Unlock()
				if res.Status != http.StatusNoContent && res.Status != http.StatusConflict {
					t.Errorf("status %d: %s", res.Status, res.Raw)
				}
			}()
		}
		wg.Wait()
		usages := e.do("GET", "/resource_providers/"+rp+"/usages", nil).Must(t, http.StatusOK).Obj("usages")
		won := statuses[http.StatusNoContent]
		t.Logf("%s: %v, usage %v", d.Dialect(), statuses, usages)
		if usages["VCPU"] != float64(won) || usages["MEMORY_MB"] != float64(128*won) {
			t.Errorf("usage %v does not match %d winners", usages, won)
		}
		if won > capacity {
			t.Errorf("overcommitted: %d allocations of 1 VCPU on a capacity of %d", won, capacity)
		}
		if won < capacity {
			t.Errorf("only %d of %d units allocated: concurrency lost requests that fit (%v)", won, capacity, statuses)
		}
		if got, want := e.generation(rp), 1+won; got != want {
			t.Errorf("generation %d, want %d", got, want)
		}
		mixedRace(t, e, rp, winners)
	})
}

// mixedRace frees some units while new consumers, grown consumers and an inventory shrink
// race for them; whatever wins, the provider's usage must match its allocations and stay
// within its capacity.
func mixedRace(t *testing.T, e *testEnv, rp string, winners []string) {
	var wg sync.WaitGroup
	run := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	one := 1
	for i, c := range winners {
		switch i % 3 {
		case 0:
			run(func() { e.do("DELETE", "/allocations/"+c, nil) })
		case 1:
			run(func() {
				e.do("PUT", "/allocations/"+c, allocationBody(map[string]map[string]int{rp: {"VCPU": 3, "MEMORY_MB": 128}}, &one, e.demo))
			})
		}
	}
	for range 10 {
		run(func() {
			e.do("PUT", "/allocations/"+uuid.NewString(), allocationBody(map[string]map[string]int{rp: {"VCPU": 1}}, nil, e.demo))
		})
	}
	run(func() { // the scheduler keeps asking meanwhile
		for range 5 {
			if res := e.do("GET", "/allocation_candidates?resources=VCPU:1", nil); res.Status != http.StatusOK {
				t.Errorf("candidates during the race: %d %s", res.Status, res.Raw)
			}
		}
	})
	run(func() {
		for range 5 {
			gen, _ := e.do("GET", "/resource_providers/"+rp, nil).Body["generation"].(float64)
			e.do("PUT", "/resource_providers/"+rp+"/inventories/VCPU", map[string]any{"total": 7, "allocation_ratio": 2.0, "resource_provider_generation": gen})
		}
	})
	wg.Wait()
	usages := e.do("GET", "/resource_providers/"+rp+"/usages", nil).Must(t, http.StatusOK).Obj("usages")
	allocs := e.do("GET", "/resource_providers/"+rp+"/allocations", nil).Must(t, http.StatusOK).Obj("allocations")
	sum := 0.0
	for _, a := range allocs {
		sum += a.(map[string]any)["resources"].(map[string]any)["VCPU"].(float64)
	}
	inv := e.do("GET", "/resource_providers/"+rp+"/inventories/VCPU", nil).Must(t, http.StatusOK).Body
	capacity := (inv["total"].(float64) - inv["reserved"].(float64)) * inv["allocation_ratio"].(float64)
	t.Logf("after the mixed race: %d consumers, %v VCPU used of %v", len(allocs), usages["VCPU"], capacity)
	if usages["VCPU"] != sum || sum > capacity {
		t.Errorf("usage %v, allocations sum %v, capacity %v", usages["VCPU"], sum, capacity)
	}
}
