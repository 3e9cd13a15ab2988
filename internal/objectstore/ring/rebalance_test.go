package ring

import (
	"slices"
	"testing"
	"time"
)

func TestNewBuilderValidation(t *testing.T) {
	tests := []struct {
		power, replicas, hours int
		ok                     bool
	}{
		{1, 1, 0, true},
		{32, 3, 1, true},
		{0, 3, 1, false},
		{33, 3, 1, false},
		{10, 0, 1, false},
		{10, 256, 1, false},
		{10, 3, -1, false},
		{10, 3, 256, false},
	}
	for _, tt := range tests {
		_, err := NewBuilder(tt.power, tt.replicas, tt.hours)
		if (err == nil) != tt.ok {
			t.Errorf("NewBuilder(%d,%d,%d) err=%v, want ok=%v", tt.power, tt.replicas, tt.hours, err, tt.ok)
		}
	}
}

func TestAddDeviceValidation(t *testing.T) {
	b, _ := newTestBuilder(t, 8, 3, 1, nil)
	good := Device{Region: 1, Zone: 1, IP: "10.0.0.1", Port: 6200, Name: "sdb1", Weight: 100}
	if id, err := b.AddDevice(good); err != nil || id != 0 {
		t.Fatalf("AddDevice = %d, %v", id, err)
	}
	tests := []struct {
		name string
		edit func(*Device)
	}{
		{"duplicate", func(d *Device) {}},
		{"duplicate ipv4 spelled differently", func(d *Device) { d.IP = "10.0.0.01" }},
		{"negative weight", func(d *Device) { d.Name = "sdc"; d.Weight = -1 }},
		{"no ip", func(d *Device) { d.Name = "sdc"; d.IP = "" }},
		{"bad port", func(d *Device) { d.Name = "sdc"; d.Port = 70000 }},
		{"no name", func(d *Device) { d.Name = "" }},
		{"slash in name", func(d *Device) { d.Name = "a/b" }},
		{"dot-dot name", func(d *Device) { d.Name = ".." }},
		{"negative zone", func(d *Device) { d.Name = "sdc"; d.Zone = -1 }},
	}
	for _, tt := range tests {
		d := good
		tt.edit(&d)
		if _, err := b.AddDevice(d); err == nil && tt.name != "duplicate ipv4 spelled differently" {
			t.Errorf("%s: AddDevice succeeded", tt.name)
		}
	}
	if err := b.SetWeight(0, -3); err == nil {
		t.Error("SetWeight(-3) succeeded")
	}
	if err := b.SetWeight(42, 1); err == nil {
		t.Error("SetWeight on unknown device succeeded")
	}
	if err := b.RemoveDevice(42); err == nil {
		t.Error("RemoveDevice on unknown device succeeded")
	}
}

func TestRebalanceLayouts(t *testing.T) {
	tests := []struct {
		name      string
		replicas  int
		specs     []devSpec
		tolerance float64
		warn      bool
	}{
		{"1 device, 3 replicas", 3, layout1, 0.01, true},
		{"3 devices in 3 zones", 3, layout3, 0.01, false},
		{"6 devices in 2 regions, unequal weights", 3, layout6, 1, false},
		{"12 devices in 4 zones, unequal weights", 3, layout12, 1, false},
		{"12 devices, 2 replicas", 2, layout12, 1, false},
		{"6 devices, 5 replicas", 5, layout6, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := newTestBuilder(t, 12, tt.replicas, 1, tt.specs)
			if got := len(b.Warnings()) > 0; got != tt.warn {
				t.Errorf("warnings %q, want some=%v", b.Warnings(), tt.warn)
			}
			moved, bal, err := b.Rebalance(1)
			if err != nil {
				t.Fatal(err)
			}
			if moved != b.partCount() {
				t.Errorf("first rebalance moved %d, want all %d", moved, b.partCount())
			}
			if bal != b.Balance() {
				t.Errorf("returned balance %v != Balance() %v", bal, b.Balance())
			}
			checkInvariants(t, b, tt.tolerance)
			if bal > tt.tolerance {
				t.Errorf("balance %.2f%% > %.2f%%", bal, tt.tolerance)
			}
		})
	}
}

func TestRebalanceZoneSpread(t *testing.T) {
	// Four equal-ish zones and 3 replicas: no partition may have two
	// replicas in one zone, two regions: every partition in both.
	b, _ := newTestBuilder(t, 10, 3, 1, []devSpec{
		{1, 1, "10.0.1.1", 100}, {1, 1, "10.0.1.2", 100},
		{1, 2, "10.0.2.1", 100}, {1, 2, "10.0.2.2", 100},
		{2, 3, "10.1.3.1", 100}, {2, 3, "10.1.3.2", 100},
		{2, 4, "10.1.4.1", 100}, {2, 4, "10.1.4.2", 100},
	})
	if _, _, err := b.Rebalance(7); err != nil {
		t.Fatal(err)
	}
	for p := range b.partCount() {
		zones, regions := map[int]bool{}, map[int]bool{}
		for _, id := range partDevs(b, p) {
			zones[b.devs[id].Zone] = true
			regions[b.devs[id].Region] = true
		}
		if len(zones) != 3 || len(regions) != 2 {
			t.Fatalf("partition %d spans %d zones, %d regions", p, len(zones), len(regions))
		}
	}
	checkInvariants(t, b, 0.5)
}

func TestRebalanceDeterministic(t *testing.T) {
	build := func(seed int64) [][]uint16 {
		b, _ := newTestBuilder(t, 10, 3, 1, layout12)
		if _, _, err := b.Rebalance(seed); err != nil {
			t.Fatal(err)
		}
		return b.r2p2d
	}
	a, c := build(5), build(5)
	for r := range a {
		if !slices.Equal(a[r], c[r]) {
			t.Fatal("same seed gave different rings")
		}
	}
	d := build(6)
	same := true
	for r := range a {
		same = same && slices.Equal(a[r], d[r])
	}
	if same {
		t.Error("different seeds gave identical rings")
	}
}

func TestRebalanceAddDeviceMovesItsShare(t *testing.T) {
	b, clock := newTestBuilder(t, 12, 3, 1, layout12)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	before := b.snapshot()
	*clock = clock.Add(2 * time.Hour)
	id := addSpec(t, b, devSpec{1, 2, "10.0.2.4", 150}, 12)
	moved, _, err := b.Rebalance(2)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, d := range b.weightedDevs() {
		total += d.Weight
	}
	share := 150 / total * float64(b.partCount()*b.replicas) // replicas the new device should hold
	if moved > int(share*1.1) || moved < int(share*0.9) {
		t.Errorf("moved %d partitions, want about the new device's share %.0f", moved, share)
	}
	changedReplicas := 0
	for r := range before {
		for p := range before[r] {
			if before[r][p] != b.r2p2d[r][p] {
				changedReplicas++
				if int(b.r2p2d[r][p]) != id {
					t.Fatalf("partition %d replica %d moved to %d, not to the new device", p, r, b.r2p2d[r][p])
				}
			}
		}
	}
	for p := range b.partCount() {
		n := 0
		for r := range before {
			if before[r][p] != b.r2p2d[r][p] {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("partition %d moved %d replicas in one rebalance", p, n)
		}
	}
	checkInvariants(t, b, 1.5)
	t.Logf("moved %d partitions (%d replicas) for a %.0f-replica share", moved, changedReplicas, share)
}

func TestRebalanceRemoveDevice(t *testing.T) {
	b, clock := newTestBuilder(t, 12, 3, 24, layout12)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	held := b.Usage()[4].Parts
	// Removal ignores min_part_hours: no time has passed.
	if err := b.RemoveDevice(4); err != nil {
		t.Fatal(err)
	}
	if u := b.Usage()[4]; !u.Removing || u.Weight != 0 || u.Balance != maxBalance {
		t.Errorf("usage of removed device = %+v", u)
	}
	moved, _, err := b.Rebalance(3)
	if err != nil {
		t.Fatal(err)
	}
	if moved != held {
		t.Errorf("moved %d partitions, want the %d the removed device held", moved, held)
	}
	if _, err := b.Device(4); err == nil {
		t.Error("removed device still present after rebalance")
	}
	for _, row := range b.r2p2d {
		if slices.Contains(row, 4) {
			t.Fatal("removed device still holds partitions")
		}
	}
	for p := range b.partCount() {
		ids := partDevs(b, p)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != b.replicas {
			t.Fatalf("partition %d lost replica distinctness: %v", p, partDevs(b, p))
		}
	}
	if d := b.Dispersion(); d != 0 {
		t.Errorf("dispersion %.2f after removal", d)
	}
	// The removed id is free again and balance settles once parts may move.
	*clock = clock.Add(25 * time.Hour)
	if _, _, err := b.Rebalance(4); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, b, 1.5)
	if id := addSpec(t, b, devSpec{1, 2, "10.0.2.9", 100}, 40); id != 4 {
		t.Errorf("new device got id %d, want the freed id 4", id)
	}
}

func TestRebalanceMinPartHours(t *testing.T) {
	b, clock := newTestBuilder(t, 10, 3, 24, layout12)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	if err := b.SetWeight(5, 50); err != nil {
		t.Fatal(err)
	}
	*clock = clock.Add(23 * time.Hour)
	moved, _, err := b.Rebalance(2)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 0 {
		t.Fatalf("moved %d partitions within min_part_hours", moved)
	}
	*clock = clock.Add(1 * time.Hour)
	before3 := b.snapshot()
	moved, _, err = b.Rebalance(3)
	if err != nil || moved == 0 {
		t.Fatalf("after min_part_hours moved %d, err %v", moved, err)
	}
	// The partitions just moved are pinned for another 24 hours.
	var justMoved []int
	for p := range b.partCount() {
		if b.changedSince(before3, p) {
			justMoved = append(justMoved, p)
		}
	}
	if err := b.SetWeight(5, 300); err != nil {
		t.Fatal(err)
	}
	before4 := b.snapshot()
	*clock = clock.Add(2 * time.Hour)
	if moved, _, err = b.Rebalance(4); err != nil || moved == 0 {
		t.Fatalf("moved %d, err %v", moved, err)
	}
	for _, p := range justMoved {
		if b.changedSince(before4, p) {
			t.Fatalf("partition %d moved twice within min_part_hours", p)
		}
	}
	b.PretendMinPartHoursPassed()
	if _, _, err := b.Rebalance(5); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, b, 1.5)
}

// changedSince reports whether partition p differs from before.
func (b *Builder) changedSince(before [][]uint16, p int) bool {
	for r := range before {
		if before[r][p] != b.r2p2d[r][p] {
			return true
		}
	}
	return false
}

func TestRebalanceWeightChangeConverges(t *testing.T) {
	b, _ := newTestBuilder(t, 12, 3, 0, layout6)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	if err := b.SetWeight(0, 400); err != nil {
		t.Fatal(err)
	}
	if err := b.SetWeight(4, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, _, err := b.Rebalance(int64(10 + i)); err != nil {
			t.Fatal(err)
		}
	}
	if u := b.Usage()[4]; u.Parts != 0 {
		t.Errorf("zero-weight device still holds %d parts", u.Parts)
	}
	checkInvariants(t, b, 1.5)
	moved, _, err := b.Rebalance(99)
	if err != nil || moved != 0 {
		t.Errorf("rebalance of a balanced ring moved %d (err %v)", moved, err)
	}
}

func TestRebalanceNoDevices(t *testing.T) {
	b, _ := newTestBuilder(t, 4, 3, 1, nil)
	if _, _, err := b.Rebalance(1); err == nil {
		t.Error("rebalance without devices succeeded")
	}
	if _, err := b.Ring(); err == nil {
		t.Error("Ring() before rebalance succeeded")
	}
}
