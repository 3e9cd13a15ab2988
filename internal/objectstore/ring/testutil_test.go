package ring

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// devSpec describes a device for test layouts.
type devSpec struct {
	region, zone int
	ip           string
	weight       float64
}

// newTestBuilder builds a builder with the given devices and a fixed clock.
func newTestBuilder(t testing.TB, partPower, replicas, minPartHours int, specs []devSpec) (*Builder, *time.Time) {
	t.Helper()
	b, err := NewBuilder(partPower, replicas, minPartHours)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return clock }
	for i, s := range specs {
		addSpec(t, b, s, i)
	}
	return b, &clock
}

func addSpec(t testing.TB, b *Builder, s devSpec, i int) int {
	t.Helper()
	id, err := b.AddDevice(Device{Region: s.region, Zone: s.zone, IP: s.ip, Port: 6200, Name: fmt.Sprintf("sd%c", 'a'+i%26) + fmt.Sprint(i/26), Weight: s.weight})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// layouts used by several tests.
var (
	layout1 = []devSpec{{1, 1, "10.0.0.1", 100}}
	layout3 = []devSpec{
		{1, 1, "10.0.1.1", 100}, {1, 2, "10.0.2.1", 100}, {1, 3, "10.0.3.1", 100},
	}
	layout6 = []devSpec{ // two regions, unequal weights
		{1, 1, "10.1.1.1", 100}, {1, 1, "10.1.1.2", 200},
		{1, 2, "10.1.2.1", 150}, {1, 2, "10.1.2.1", 150},
		{2, 1, "10.2.1.1", 300}, {2, 2, "10.2.2.1", 100},
	}
	layout12 = []devSpec{ // four zones, three hosts per zone, unequal weights
		{1, 1, "10.0.1.1", 100}, {1, 1, "10.0.1.2", 200}, {1, 1, "10.0.1.3", 100},
		{1, 2, "10.0.2.1", 100}, {1, 2, "10.0.2.2", 100}, {1, 2, "10.0.2.3", 300},
		{1, 3, "10.0.3.1", 150}, {1, 3, "10.0.3.2", 150}, {1, 3, "10.0.3.3", 100},
		{1, 4, "10.0.4.1", 200}, {1, 4, "10.0.4.2", 100}, {1, 4, "10.0.4.2", 100},
	}
)

// partDevs returns the device ids of partition p.
func partDevs(b *Builder, p int) []int {
	var out []int
	for _, row := range b.r2p2d {
		out = append(out, int(row[p]))
	}
	return out
}

// checkInvariants asserts distinct devices per partition (when possible),
// zero dispersion and part counts within tolerance percent (or one part)
// of wanted.
func checkInvariants(t *testing.T, b *Builder, tolerance float64) {
	t.Helper()
	devs := b.weightedDevs()
	for p := range b.partCount() {
		seen := map[int]bool{}
		for _, id := range partDevs(b, p) {
			if id == noDev {
				t.Fatalf("partition %d has an unassigned replica", p)
			}
			if seen[id] && len(devs) >= b.replicas {
				t.Fatalf("partition %d has two replicas on device %d", p, id)
			}
			seen[id] = true
		}
	}
	if d := b.Dispersion(); d != 0 {
		t.Errorf("dispersion = %.2f%%, want 0", d)
	}
	// Part counts are whole numbers: allow one part of rounding.
	for _, u := range b.Usage() {
		if math.Abs(float64(u.Parts)-u.Wanted) > max(tolerance/100*u.Wanted, 1) {
			t.Errorf("device %d: %d parts, wanted %.1f (%.2f%% off)", u.ID, u.Parts, u.Wanted, u.Balance)
		}
	}
}
