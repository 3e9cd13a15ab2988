package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// TestSmoke runs the whole benchmark at a tiny size: build, serve, dd, upload, download,
// list, report, clean-up.
func TestSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc and runs dd")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	c := config{size: 8 << 20, rounds: 1, images: 20, lists: 5, concurrency: 4, dir: dir, progress: &progress}
	if err := run(ctx, c, &out); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, &progress)
	}
	for _, want := range []string{"dd write", "upload PUT /v2/images/{id}/file", "download again through md5",
		"server RSS growth during upload", "GET /v2/images?limit=20", "GET /v2/images (default page, 20)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, &out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the temporary directory was left behind: %v", entries)
	}
}

func TestGeneratorIsIndependentOfReadSizes(t *testing.T) {
	const size = 1<<16 + 13
	whole, err := io.ReadAll(io.LimitReader(newGenerator(size), size+10))
	if err != nil || len(whole) != size {
		t.Fatalf("ReadAll: %d bytes, %v", len(whole), err)
	}
	var pieces []byte
	g := newGenerator(size)
	for i := 1; ; i = i%11 + 1 { // reads of 1..11 bytes cross every word boundary
		buf := make([]byte, i)
		n, err := g.Read(buf)
		pieces = append(pieces, buf[:n]...)
		if err == io.EOF {
			break
		}
	}
	if !bytes.Equal(whole, pieces) {
		t.Error("small reads give other bytes than one large read")
	}
	sum := md5.Sum(whole)
	if got := expectedMD5(size); got != hex.EncodeToString(sum[:]) {
		t.Errorf("expectedMD5 = %s, want %x", got, sum)
	}
	if bytes.Equal(whole[:8], []byte("QFI\xfb\x00\x00\x00\x03")) || bytes.Count(whole, []byte{0}) > size/100 {
		t.Error("the generated data does not look like random raw data")
	}
}

func TestParseDD(t *testing.T) {
	gnu := "1024+0 records in\n1024+0 records out\n1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.0722 s, 518 MB/s\n"
	n, secs, err := parseDD(gnu)
	if err != nil || n != 1<<30 || secs != 2.0722 {
		t.Errorf("parseDD(GNU) = %d, %v, %v", n, secs, err)
	}
	busybox := "1073741824 bytes (1.0GB) copied, 1.500000 seconds, 682.7MB/s\n"
	if n, secs, err := parseDD(busybox); err != nil || n != 1<<30 || secs != 1.5 {
		t.Errorf("parseDD(BusyBox) = %d, %v, %v", n, secs, err)
	}
	for _, bad := range []string{"", "dd: error", "12 bytes copied", "12 bytes (12 B) copied, 0 s, x", "x bytes (1) copied, 1 s, 1 B/s"} {
		if _, _, err := parseDD(bad); err == nil {
			t.Errorf("parseDD(%q) accepted it", bad)
		}
	}
}

func TestParseSize(t *testing.T) {
	cases := map[string]int64{"1GiB": 1 << 30, "8MiB": 8 << 20, "8M": 8 << 20, "512K": 512 << 10, "4096": 4096, " 2 GiB ": 2 << 30}
	for in, want := range cases {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "-1MiB", "1.5GiB", "1TiB", "99999999999GiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted it", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := config{size: 1 << 30, rounds: 3, images: 1000, lists: 100, concurrency: 8}
	if err := good.validate(); err != nil {
		t.Errorf("validate(good) = %v", err)
	}
	for _, bad := range []func(*config){
		func(c *config) { c.size = 1<<20 + 1 }, func(c *config) { c.rounds = 0 }, func(c *config) { c.images = 1001 },
		func(c *config) { c.lists = 0 }, func(c *config) { c.concurrency = 0 },
	} {
		c := good
		bad(&c)
		if err := c.validate(); err == nil {
			t.Errorf("validate(%+v) accepted it", c)
		}
	}
}

func TestResidentFraction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := residentFraction(path); got < 0.99 { // just written: cached
		t.Errorf("residentFraction of a file just written = %v", got)
	}
	if got := residentFraction(filepath.Join(t.TempDir(), "missing")); got != -1 {
		t.Errorf("residentFraction of a missing file = %v, want -1", got)
	}
}

// TestVerdicts checks the targets against figures on both sides of them.
func TestVerdicts(t *testing.T) {
	sec := func(bytes float64, rate float64) time.Duration {
		return time.Duration(bytes / rate * float64(time.Second))
	}
	const size = 1 << 30
	round := func(up, down float64) roundResult {
		return roundResult{ddWrite: ddRun{rate: 500e6}, ddRead: ddRun{rate: 10e9}, ddResident: 1, imageResident: 1,
			upload:      harness.Phase{Elapsed: sec(size, up), PeakRSS: 40 << 20},
			download:    harness.Phase{Elapsed: sec(size, down), PeakRSS: 60 << 20},
			downloadMD5: harness.Phase{Elapsed: sec(size, 5e8), PeakRSS: 30 << 20}}
	}
	r := &report{size: size, baseRSS: 20 << 20, rounds: []roundResult{round(460e6, 9.5e9), round(455e6, 9.2e9), round(300e6, 8e9)},
		list: listResult{images: 1000, conc: 8, create: time.Second, queries: []listQuery{
			{query: "limit=1000", want: 1000, latencies: []time.Duration{19 * time.Millisecond, 25 * time.Millisecond, 18 * time.Millisecond}},
			{want: 25, latencies: []time.Duration{time.Millisecond}}}}}
	want := map[string]string{
		"upload PUT /v2/images/{id}/file":    harness.Met,    // median 455 of 500 MB/s
		"download GET …/file, from page":     harness.Met,    // median 9.2 of 10 GB/s
		"download again through md5":         harness.Info,   // informational
		"server RSS growth during upload":    harness.Met,    // +20 MiB
		"server RSS growth during downloads": harness.NotMet, // +40 MiB
		"GET /v2/images?limit=1000":          harness.Met,    // p50 19 ms
		"GET /v2/images (default page, 25)":  harness.Info,
	}
	seen := 0
	for _, l := range r.lines() {
		for prefix, v := range want {
			if strings.HasPrefix(l[0], prefix) {
				seen++
				if l[3] != v {
					t.Errorf("%s: %s (%s), want %s", l[0], l[3], l[1], v)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of the %d judged lines", seen, len(want))
	}
	var out bytes.Buffer
	r.print(&out)
	if !strings.Contains(out.String(), "from the page cache") {
		t.Errorf("the report does not say the reads were cached:\n%s", &out)
	}
}
