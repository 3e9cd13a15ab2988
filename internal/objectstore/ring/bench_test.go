package ring

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkRebalanceInitial builds a part power 16, 3-replica ring over
// 12 devices from scratch.
func BenchmarkRebalanceInitial(b *testing.B) {
	for b.Loop() {
		bld, _ := newTestBuilder(b, 16, 3, 1, layout12)
		if _, _, err := bld.Rebalance(1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRebalanceAddDevice adds a 13th device to a part power 16 ring
// and rebalances.
func BenchmarkRebalanceAddDevice(b *testing.B) {
	base, _ := newTestBuilder(b, 16, 3, 1, layout12)
	if _, _, err := base.Rebalance(1); err != nil {
		b.Fatal(err)
	}
	var moved int
	for b.Loop() {
		b.StopTimer()
		bld := &Builder{}
		*bld = *base
		bld.r2p2d = base.snapshot()
		bld.lastMoves = append([]uint8(nil), base.lastMoves...)
		bld.devs = append([]*Device(nil), base.devs...)
		bld.removing = map[int]bool{}
		bld.now = func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }
		addSpec(b, bld, devSpec{1, 2, "10.0.2.4", 150}, 12)
		b.StartTimer()
		var err error
		if moved, _, err = bld.Rebalance(2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(moved), "parts-moved")
}

// BenchmarkGetNodes looks up object paths in a part power 16 ring.
func BenchmarkGetNodes(b *testing.B) {
	_, rg := builtRing(b, 16, 3, layout12)
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("object-%d", i)
	}
	i := 0
	for b.Loop() {
		if _, _, err := rg.GetNodes("AUTH_test", "bench", names[i%len(names)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkHandoffs takes the first two handoffs of a partition.
func BenchmarkHandoffs(b *testing.B) {
	_, rg := builtRing(b, 16, 3, layout12)
	part := uint32(0)
	for b.Loop() {
		n := 0
		for range rg.Handoffs(part % uint32(rg.PartitionCount())) {
			if n++; n == 2 {
				break
			}
		}
		part += 7919
	}
}
