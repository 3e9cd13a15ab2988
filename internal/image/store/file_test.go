package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

// gen is a reader of size deterministic bytes that never holds them all. If
// failAt >= 0, reading past failAt bytes returns errBoom; if hook is set it is
// called once when hookAt bytes have been read.
type gen struct {
	pos, size int64
	failAt    int64
	hookAt    int64
	hook      func()
}

var errBoom = errors.New("boom")

func newGen(size int64) *gen { return &gen{size: size, failAt: -1, hookAt: -1} }

func patternByte(i int64) byte { return byte(i*31 + i>>9) }

func (g *gen) Read(p []byte) (int, error) {
	if g.hook != nil && g.pos >= g.hookAt {
		g.hook()
		g.hook = nil
	}
	if g.failAt >= 0 && g.pos >= g.failAt {
		return 0, errBoom
	}
	if g.pos >= g.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), g.size-g.pos, 64<<10))
	for i := range n {
		p[i] = patternByte(g.pos + int64(i))
	}
	g.pos += int64(n)
	return n, nil
}

// sumOf hashes a reader's bytes.
func sumOf(t testing.TB, r io.Reader) ([32]byte, int64) {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s, n
}

func newFileStore(t testing.TB) *File {
	t.Helper()
	f, err := NewFile(filepath.Join(t.TempDir(), "images"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// entries lists the names in the store's directory, hidden ones included.
func entries(t *testing.T, f *File) []string {
	t.Helper()
	des, err := os.ReadDir(f.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

func TestFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int64{0, 1, 4096, 1<<20 + 3, 10 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := newFileStore(t)
			want, _ := sumOf(t, newGen(size))
			loc, n, err := f.Add(ctx, "img-1", newGen(size), -1)
			if err != nil || n != size {
				t.Fatalf("Add = %d, %v; want %d", n, err, size)
			}
			if loc.URL != "file://"+filepath.Join(f.Dir(), "img-1") {
				t.Errorf("URL = %q", loc.URL)
			}
			rc, total, err := f.Get(ctx, loc, 0, -1)
			if err != nil || total != size {
				t.Fatalf("Get total = %d, %v", total, err)
			}
			defer rc.Close()
			got, m := sumOf(t, rc)
			if got != want || m != size {
				t.Errorf("read %d bytes, digest mismatch=%v", m, got != want)
			}
			fi, err := os.Stat(filepath.Join(f.Dir(), "img-1"))
			if err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("file mode = %v, %v", fi.Mode(), err)
			}
			if names := entries(t, f); len(names) != 1 {
				t.Errorf("dir holds %v, want only the image", names)
			}
		})
	}
}

func TestFileDataDirMode(t *testing.T) {
	f := newFileStore(t)
	fi, err := os.Stat(f.Dir())
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("data dir mode = %v, %v", fi.Mode(), err)
	}
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o600)
	if _, err := NewFile(file); err == nil {
		t.Error("NewFile on a regular file succeeded")
	}
}

func TestFileRange(t *testing.T) {
	ctx := context.Background()
	f := newFileStore(t)
	const size = 1000
	loc, _, err := f.Add(ctx, "r", newGen(size), -1)
	if err != nil {
		t.Fatal(err)
	}
	empty, _, err := f.Add(ctx, "empty", newGen(0), -1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		loc            Location
		offset, length int64
		wantLen        int64
		wantErr        error
	}{
		{"all", loc, 0, -1, size, nil},
		{"head", loc, 0, 10, 10, nil},
		{"middle", loc, 100, 50, 50, nil},
		{"tail", loc, 990, -1, 10, nil},
		{"past end shortened", loc, 990, 100, 10, nil},
		{"zero length", loc, 5, 0, 0, nil},
		{"offset at end", loc, size, -1, 0, ErrRange},
		{"offset past end", loc, size + 1, 1, 0, ErrRange},
		{"negative offset", loc, -1, 1, 0, ErrRange},
		{"empty object", empty, 0, -1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, total, err := f.Get(ctx, tt.loc, tt.offset, tt.length)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil || int64(len(b)) != tt.wantLen {
				t.Fatalf("read %d bytes (%v), want %d", len(b), err, tt.wantLen)
			}
			for i := range b {
				if b[i] != patternByte(tt.offset+int64(i)) {
					t.Fatalf("byte %d wrong", i)
				}
			}
			if tt.loc.URL == loc.URL && total != size {
				t.Errorf("total = %d", total)
			}
		})
	}
}

func TestFileInterruptedAddLeavesNothing(t *testing.T) {
	tests := []struct {
		name    string
		reader  func(cancel func()) io.Reader
		maxSize int64
		wantErr error
	}{
		{"size limit mid-stream", func(func()) io.Reader { return newGen(3 << 20) }, 1<<20 + 1, ErrSizeLimit},
		{"size limit exact fits", func(func()) io.Reader { return newGen(1 << 20) }, 1 << 20, nil},
		{"size limit zero", func(func()) io.Reader { return newGen(1) }, 0, ErrSizeLimit},
		{"reader error mid-stream", func(func()) io.Reader {
			g := newGen(4 << 20)
			g.failAt = 2 << 20
			return g
		}, -1, errBoom},
		{"context cancelled mid-stream", func(cancel func()) io.Reader {
			g := newGen(8 << 20)
			g.hookAt, g.hook = 1<<20, cancel
			return g
		}, -1, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFileStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, _, err := f.Add(ctx, "img", tt.reader(cancel), tt.maxSize)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			names := entries(t, f)
			if tt.wantErr != nil && len(names) != 0 {
				t.Errorf("dir holds %v after a failed Add", names)
			}
			if tt.wantErr == nil && len(names) != 1 {
				t.Errorf("dir holds %v after Add", names)
			}
		})
	}
}

func TestFileCancelledBeforeStart(t *testing.T) {
	f := newFileStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.Add(ctx, "x", newGen(10), -1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Add err = %v", err)
	}
	if n := entries(t, f); len(n) != 0 {
		t.Errorf("dir holds %v", n)
	}
	loc := Location{URL: "file://" + filepath.Join(f.Dir(), "x")}
	if _, _, err := f.Get(ctx, loc, 0, -1); !errors.Is(err, context.Canceled) {
		t.Errorf("Get err = %v", err)
	}
}

func TestFileConcurrentAdds(t *testing.T) {
	f := newFileStore(t)
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = f.Add(ctx, fmt.Sprintf("img-%d", i), newGen(int64(i+1)<<18), -1)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Add %d: %v", i, err)
		}
		rc, total, err := f.Get(ctx, Location{URL: "file://" + filepath.Join(f.Dir(), fmt.Sprintf("img-%d", i))}, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := sumOf(t, rc)
		rc.Close()
		want, _ := sumOf(t, newGen(int64(i+1)<<18))
		if got != want || total != int64(i+1)<<18 {
			t.Errorf("image %d: size %d, digest ok=%v", i, total, got == want)
		}
	}
}

func TestFileConcurrentAddsSameImage(t *testing.T) {
	f := newFileStore(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, _, errs[i] = f.Add(context.Background(), "same", newGen(1<<20), -1) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d Adds succeeded, want exactly 1", ok)
	}
	if names := entries(t, f); len(names) != 1 {
		t.Errorf("dir holds %v", names)
	}
	if _, _, err := f.Add(context.Background(), "same", newGen(1), -1); !errors.Is(err, ErrExists) {
		t.Errorf("Add over existing = %v, want ErrExists", err)
	}
}

func TestFileDelete(t *testing.T) {
	ctx := context.Background()
	f := newFileStore(t)
	loc, _, err := f.Add(ctx, "d", bytes.NewReader([]byte("data")), -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(ctx, loc); err != nil {
		t.Fatalf("first Delete: %v", err)
	}
	if err := f.Delete(ctx, loc); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	if _, _, err := f.Get(ctx, loc, 0, -1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
}

func TestFileBadInput(t *testing.T) {
	ctx := context.Background()
	f := newFileStore(t)
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "secret"), []byte("x"), 0o600)
	for _, id := range []string{"", ".", "..", ".hidden", "a/b", "../x", "a\x00b"} {
		if _, _, err := f.Add(ctx, id, newGen(1), -1); err == nil {
			t.Errorf("Add(%q) succeeded", id)
		}
	}
	for _, u := range []string{
		"file://" + filepath.Join(other, "secret"),
		"file://" + f.Dir() + "/../secret",
		"file://" + f.Dir(),
		"file://otherhost" + f.Dir() + "/x",
		"http://example.com/x",
		"%zz",
	} {
		if f.Owns(u) {
			t.Errorf("Owns(%q) = true", u)
		}
		if _, _, err := f.Get(ctx, Location{URL: u}, 0, -1); !errors.Is(err, ErrBadLocation) {
			t.Errorf("Get(%q) = %v, want ErrBadLocation", u, err)
		}
		if err := f.Delete(ctx, Location{URL: u}); !errors.Is(err, ErrBadLocation) {
			t.Errorf("Delete(%q) = %v, want ErrBadLocation", u, err)
		}
	}
}

func TestDiskError(t *testing.T) {
	pe := func(e error) error { return &fs.PathError{Op: "write", Path: "/x", Err: e} }
	tests := []struct {
		in   error
		want error
	}{
		{pe(syscall.ENOSPC), ErrStorageFull},
		{pe(syscall.EDQUOT), ErrStorageFull},
		{pe(syscall.EACCES), ErrWriteDenied},
		{pe(syscall.EROFS), ErrWriteDenied},
		{pe(syscall.ENOENT), ErrNotFound},
	}
	for _, tt := range tests {
		got := diskError(tt.in)
		if !errors.Is(got, tt.want) || !errors.Is(got, tt.in) {
			t.Errorf("diskError(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := diskError(errBoom); got != errBoom {
		t.Errorf("diskError(other) = %v", got)
	}
}

// TestFileMemoryFlat checks Add and Get stream: 64 MiB through the store
// allocates a small, fixed amount.
func TestFileMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	f := newFileStore(t)
	ctx := context.Background()
	const size = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	loc, _, err := f.Add(ctx, "big", newGen(size), -1)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := f.Get(ctx, loc, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d bytes streaming %d", alloc, size)
	}
}
