package placement

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// seedCloud stores n compute nodes straight into the database: each with VCPU, MEMORY_MB and
// DISK_GB, a few traits, an aggregate of 50 and, on every other node, an instance's
// allocations. With nested, each node also has two NUMA children holding its VCPU and memory.
func seedCloud(tb testing.TB, d *db.DB, n int, nested bool) {
	tb.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		exec := func(q string, args ...any) error { _, err := tx.Exec(ctx, q, args...); return err }
		inv := func(p, rc string, total int64, ratio float64) error {
			return exec(`INSERT INTO placement_inventory (provider_uuid, resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio)
				VALUES (?, ?, ?, 0, 1, ?, 1, ?)`, p, rc, total, total, ratio)
		}
		prov := func(id, name, parent, root string, i int) error {
			return exec("INSERT INTO placement_provider ("+providerCols+") VALUES (?, ?, 1, ?, ?, ?, ?)", id, name, nullString(parent), root, i, i)
		}
		for i := range n {
			cn := uuid.NewString()
			if err := prov(cn, fmt.Sprintf("compute%04d", i), "", cn, i); err != nil {
				return err
			}
			cpuHolders := []string{cn}
			if nested {
				cpuHolders = []string{uuid.NewString(), uuid.NewString()}
				for j, c := range cpuHolders {
					if err := prov(c, fmt.Sprintf("compute%04d_numa%d", i, j), cn, cn, i); err != nil {
						return err
					}
				}
			}
			for _, c := range cpuHolders {
				if err := inv(c, "VCPU", int64(32/len(cpuHolders)), 4); err != nil {
					return err
				}
				if err := inv(c, "MEMORY_MB", int64(131072/len(cpuHolders)), 1.5); err != nil {
					return err
				}
			}
			if err := inv(cn, "DISK_GB", 1000, 1); err != nil {
				return err
			}
			for _, t := range []string{"COMPUTE_NET_ATTACH_INTERFACE", "COMPUTE_VOLUME_MULTI_ATTACH", "HW_CPU_X86_AVX2"}[:1+i%3] {
				if err := exec("INSERT INTO placement_provider_trait (provider_uuid, trait) VALUES (?, ?)", cn, t); err != nil {
					return err
				}
			}
			if err := exec("INSERT INTO placement_provider_aggregate (provider_uuid, aggregate_uuid) VALUES (?, ?)", cn, fmt.Sprintf("00000000-0000-0000-0000-%012d", i/50)); err != nil {
				return err
			}
			if i%2 == 0 {
				c := uuid.NewString()
				if err := exec(`INSERT INTO placement_consumer (uuid, project_id, user_id, consumer_type, generation, created_at, updated_at)
					VALUES (?, 'p', 'u', 'INSTANCE', 1, 0, 0)`, c); err != nil {
					return err
				}
				for rc, amount := range map[string]int64{"VCPU": 4, "MEMORY_MB": 8192} {
					if err := exec(`INSERT INTO placement_allocation (consumer_uuid, provider_uuid, resource_class, used, created_at)
						VALUES (?, ?, ?, ?, 0)`, c, cpuHolders[0], rc, amount); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkAllocationCandidates times GET /allocation_candidates over 1,000 compute nodes,
// through the whole handler (token validation, policy, queries, search, JSON), as Nova's
// scheduler calls it on every boot.
func BenchmarkAllocationCandidates(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		for _, nested := range []bool{false, true} {
			shape := string(dialect) + "/flat"
			if nested {
				shape = string(dialect) + "/nested"
			}
			b.Run(shape, func(b *testing.B) { benchCandidates(b, dialect, nested) })
		}
	}
}

// benchCandidates times the requests over one seeded cloud.
func benchCandidates(b *testing.B, dialect db.Dialect, nested bool) {
	{
		d := dbtest.Open(b, dialect)
		e := newTestEnvOn(b, d)
		seedCloud(b, d, 1000, nested)
		h := e.svc.Handler()
		for _, c := range []struct{ name, query string }{
			{"all", "resources=VCPU:2,MEMORY_MB:4096,DISK_GB:20"},
			{"limit50", "resources=VCPU:2,MEMORY_MB:4096,DISK_GB:20&limit=50"},
			{"traits", "resources=VCPU:2,MEMORY_MB:4096,DISK_GB:20&required=HW_CPU_X86_AVX2,!COMPUTE_STATUS_DISABLED"},
			{"member_of", "resources=VCPU:2,MEMORY_MB:4096,DISK_GB:20&member_of=in:00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002"},
		} {
			b.Run(c.name, func(b *testing.B) {
				count := 0
				for b.Loop() {
					req := httptest.NewRequest("GET", "/allocation_candidates?"+c.query, nil)
					req.Header.Set("X-Auth-Token", e.service)
					req.Header.Set("OpenStack-API-Version", "placement "+latest)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					count = rec.Body.Len()
				}
				b.ReportMetric(float64(count), "bytes/resp")
			})
		}
		// cold: the topology changed since the last request, so it is read again.
		b.Run("cold_limit50", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if _, err := d.Exec(context.Background(), "UPDATE placement_topology SET version = version + 1"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				req := httptest.NewRequest("GET", "/allocation_candidates?resources=VCPU:2,MEMORY_MB:4096&limit=50", nil)
				req.Header.Set("X-Auth-Token", e.service)
				req.Header.Set("OpenStack-API-Version", "placement "+latest)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
