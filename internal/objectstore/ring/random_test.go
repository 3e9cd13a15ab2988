package ring

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRebalanceRandomLayouts checks the invariants on random layouts,
// including heavily skewed weights, through adds, weight changes and
// removals.
func TestRebalanceRandomLayouts(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			replicas := 1 + rng.IntN(4)
			var specs []devSpec
			for i := range replicas + rng.IntN(14) {
				specs = append(specs, devSpec{
					region: 1 + rng.IntN(2), zone: 1 + rng.IntN(3),
					ip:     fmt.Sprintf("10.0.0.%d", 1+i/2),
					weight: float64(1 + rng.IntN(1000)),
				})
			}
			b, clock := newTestBuilder(t, 10, replicas, 1, specs)
			step := func(what string) {
				t.Helper()
				*clock = clock.Add(2 * time.Hour)
				for i := range 3 { // a few rounds, as an operator would
					if _, _, err := b.Rebalance(int64(seed)*10 + int64(i)); err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					b.PretendMinPartHoursPassed()
				}
				t.Logf("%s: %d devices, %d replicas, balance %.2f%%, dispersion %.2f%%", what, len(b.weightedDevs()), replicas, b.Balance(), b.Dispersion())
				checkInvariants(t, b, 2)
			}
			step("initial")
			addSpec(t, b, devSpec{1 + rng.IntN(2), 1 + rng.IntN(3), "10.9.9.9", float64(1 + rng.IntN(1000))}, 99)
			step("add")
			devs := b.weightedDevs()
			if err := b.SetWeight(devs[rng.IntN(len(devs))].ID, float64(1+rng.IntN(1000))); err != nil {
				t.Fatal(err)
			}
			step("reweight")
			if len(devs) > replicas {
				if err := b.RemoveDevice(devs[rng.IntN(len(devs))].ID); err != nil {
					t.Fatal(err)
				}
				step("remove")
			}
		})
	}
}

func TestSkewedWeightsCapOneReplicaPerDevice(t *testing.T) {
	b, _ := newTestBuilder(t, 10, 3, 1, []devSpec{
		{1, 1, "10.0.0.1", 1000}, {1, 2, "10.0.0.2", 1}, {1, 3, "10.0.0.3", 1}, {1, 4, "10.0.0.4", 1},
	})
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, b, 1)
	if u := b.Usage()[0]; u.Parts != b.partCount() {
		t.Errorf("heavy device holds %d parts, want one replica of each of %d", u.Parts, b.partCount())
	}
}

func TestSetInfoAndWarnings(t *testing.T) {
	b, _ := newTestBuilder(t, 4, 3, 1, layout3[:2])
	if w := b.Warnings(); len(w) != 1 {
		t.Errorf("warnings for 2 devices, 3 replicas: %q", w)
	}
	if err := b.SetInfo(1, "10.0.1.1", 6200, "", 0, "sda0", "dup"); err == nil {
		t.Error("SetInfo to another device's endpoint succeeded")
	}
	if err := b.SetInfo(1, "10.0.9.9", 6201, "", 0, "sdz", "moved"); err != nil {
		t.Fatal(err)
	}
	d, _ := b.Device(1)
	if d.IP != "10.0.9.9" || d.ReplicationPort != 6201 || d.Name != "sdz" || d.Meta != "moved" || d.Weight != 100 {
		t.Errorf("after SetInfo: %+v", d)
	}
	if err := b.SetMinPartHours(300); err == nil {
		t.Error("SetMinPartHours(300) succeeded")
	}
	if err := b.RemoveDevice(0); err != nil {
		t.Fatal(err)
	}
	if err := b.SetWeight(0, 5); err == nil {
		t.Error("reweighting a removed device succeeded")
	}
}
