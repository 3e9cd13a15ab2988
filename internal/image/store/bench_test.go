package store

import (
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkFileAddGet256MiB streams 256 MiB into the file store and back out;
// MB/s counts the image size once per Add+Get round trip, and add-MB/s and
// get-MB/s report each direction.
func BenchmarkFileAddGet256MiB(b *testing.B) {
	const size = 256 << 20
	f := newFileStore(b)
	ctx := context.Background()
	b.SetBytes(size)
	var addTime, getTime time.Duration
	for b.Loop() {
		start := time.Now()
		loc, _, err := f.Add(ctx, "bench", newGen(size), -1)
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		rc, _, err := f.Get(ctx, loc, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		rc.Close()
		getTime += time.Since(mid)
		addTime += mid.Sub(start)
		if err := f.Delete(ctx, loc); err != nil {
			b.Fatal(err)
		}
	}
	mb := float64(size) / 1e6 * float64(b.N)
	b.ReportMetric(mb/addTime.Seconds(), "add-MB/s")
	b.ReportMetric(mb/getTime.Seconds(), "get-MB/s")
}
