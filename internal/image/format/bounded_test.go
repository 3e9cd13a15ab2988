package format

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// boundedPeak is the most captured data an Inspector may ever hold.
const boundedPeak = 256 << 10

// streamPadded feeds prefix then zeros up to total bytes, in 1 MiB chunks.
func streamPadded(i *Inspector, prefix []byte, total int64) {
	chunk := make([]byte, 1<<20)
	for written := int64(0); written < total; {
		n := int(min(int64(len(chunk)), total-written))
		clear(chunk)
		if written < int64(len(prefix)) {
			copy(chunk, prefix[written:])
		}
		i.Write(chunk[:n])
		written += int64(n)
	}
}

// TestMemoryBounded streams 512 MiB images through the inspector and checks
// it never holds more than a few hundred KiB, nor allocates per chunk.
func TestMemoryBounded(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	run(t, dir, "qemu-img", "create", "-q", "-f", "vhdx", "a.vhdx", "512M")
	run(t, dir, "qemu-img", "create", "-q", "-f", "qcow2", "a.qcow2", "512M")
	run(t, dir, "qemu-img", "create", "-q", "-f", "vmdk", "a.vmdk", "512M")
	const total = 512 << 20
	for _, name := range []string{"a.vhdx", "a.qcow2", "a.vmdk", "raw"} {
		t.Run(name, func(t *testing.T) {
			var prefix []byte
			if name != "raw" {
				var err error
				if prefix, err = os.ReadFile(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			i := NewInspector()
			streamPadded(i, prefix, total)
			info := i.Info()
			runtime.ReadMemStats(&after)
			if info.Unsafe != "" {
				t.Fatalf("unexpected verdict %+v", info)
			}
			if i.peak > boundedPeak {
				t.Errorf("peak captured bytes = %d, want <= %d", i.peak, boundedPeak)
			}
			// The 1 MiB chunk buffer is the test's; everything else is the
			// inspector's and must stay far below the image size.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Errorf("allocated %d bytes inspecting %d", alloc, total)
			}
			t.Logf("%s: %+v, peak captured %d bytes", name, info, i.peak)
		})
	}
}

// FuzzInspector checks that arbitrary bytes in arbitrary chunks never panic,
// that the verdict does not depend on the chunking, and that memory stays
// bounded.
func FuzzInspector(f *testing.F) {
	sparse := vmdkDescriptorText("monolithicSparse", `RW 2048 SPARSE "disk.vmdk"`)
	seeds := [][]byte{
		nil,
		[]byte("QFI\xfb"),
		qcow2Image(1024, func(h []byte) {
			h[79] = qcow2FeatureDataFile
			binary.BigEndian.PutUint64(h[8:], 400)
			binary.BigEndian.PutUint32(h[16:], 9)
			copy(h[400:], "/etc/hosts")
		}),
		vmdkImage(2048, sparse, nil)[:12<<10],
		[]byte(vmdkDescriptorText("monolithicFlat", `RW 2048 FLAT "x-flat.vmdk" 0`)),
		append(vhdFooterBytes(3, 1<<30), make([]byte, 512)...),
		append(make([]byte, 1024), vhdFooterBytes(2, 1024)...),
		vdiImage(1, 1<<30),
		isoImage(20, nil),
		vhdxImage(1<<30, 256<<10, true),
		[]byte("QED\x00"),
	}
	for n, s := range seeds {
		f.Add(s, uint64(n))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		whole, _ := inspect(data, max(len(data), 1))
		rng := rand.New(rand.NewPCG(seed, uint64(len(data))))
		i := NewInspector()
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(1+rng.IntN(70000)))
			i.Write(rest[:n])
			rest = rest[n:]
		}
		if got := i.Info(); got != whole {
			t.Fatalf("chunked %+v, whole %+v", got, whole)
		}
		if i.peak > boundedPeak {
			t.Fatalf("peak captured bytes %d > %d", i.peak, boundedPeak)
		}
		if whole.Format == "" || whole.VirtualSize < 0 {
			t.Fatalf("bad info %+v", whole)
		}
	})
}

// BenchmarkInspect streams 256 MiB in 1 MiB chunks; the inspector must run
// far faster than any disk.
func BenchmarkInspect(b *testing.B) {
	const total = 256 << 20
	for _, bc := range []struct {
		name   string
		prefix []byte
	}{
		{"raw", nil},
		{"qcow2", qcow2Image(0, nil)},
		{"vhdx", vhdxImage(1<<30, 1<<20, false)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			chunk := make([]byte, 1<<20)
			first := make([]byte, 1<<20)
			copy(first, bc.prefix)
			var second []byte
			if len(bc.prefix) > len(first) {
				second = make([]byte, 1<<20)
				copy(second, bc.prefix[len(first):])
			}
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				i := NewInspector()
				i.Write(first)
				n := 1
				if second != nil {
					i.Write(second)
					n++
				}
				for ; n < total/len(chunk); n++ {
					i.Write(chunk)
				}
				if i.Info().Format != bc.name {
					b.Fatal("wrong format")
				}
			}
		})
	}
}
