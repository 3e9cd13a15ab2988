package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// ddRun is one dd: its throughput and the CPU it used.
type ddRun struct {
	rate float64 // bytes per second, as dd measured it
	cpu  time.Duration
}

// ddWrite writes size bytes of zeros to path with dd bs=1M conv=fsync: the disk's write floor.
func ddWrite(ctx context.Context, path string, size int64) (ddRun, error) {
	return dd(ctx, "if=/dev/zero", "of="+path, "bs=1M", "count="+strconv.FormatInt(size>>20, 10), "conv=fsync")
}

// ddRead reads path to /dev/null with dd bs=1M; direct bypasses the page cache (O_DIRECT).
func ddRead(ctx context.Context, path string, direct bool) (ddRun, error) {
	args := []string{"if=" + path, "of=/dev/null", "bs=1M"}
	if direct {
		args = append(args, "iflag=direct")
	}
	return dd(ctx, args...)
}

// dd runs dd in the C locale and reads its summary line.
func dd(ctx context.Context, args ...string) (ddRun, error) {
	cmd := exec.CommandContext(ctx, "dd", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return ddRun{}, fmt.Errorf("dd %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	n, secs, err := parseDD(stderr.String())
	if err != nil {
		return ddRun{}, fmt.Errorf("dd %s: %w", strings.Join(args, " "), err)
	}
	run := ddRun{rate: float64(n) / secs}
	if ps := cmd.ProcessState; ps != nil {
		run.cpu = ps.UserTime() + ps.SystemTime()
	}
	return run, nil
}

// parseDD reads "N bytes (…) copied, S s, R MB/s", the last line GNU dd prints (BusyBox
// writes "seconds").
func parseDD(out string) (bytes int64, secs float64, err error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	fields := strings.Fields(last)
	if len(fields) < 2 || fields[1] != "bytes" {
		return 0, 0, fmt.Errorf("unexpected dd summary %q", last)
	}
	if bytes, err = strconv.ParseInt(fields[0], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("unexpected dd summary %q", last)
	}
	_, rest, ok := strings.Cut(last, "copied, ")
	tail := strings.Fields(rest)
	if !ok || len(tail) < 2 || (tail[1] != "s," && tail[1] != "seconds,") {
		return 0, 0, fmt.Errorf("unexpected dd summary %q", last)
	}
	if secs, err = strconv.ParseFloat(tail[0], 64); err != nil || secs <= 0 {
		return 0, 0, fmt.Errorf("unexpected dd summary %q", last)
	}
	return bytes, secs, nil
}

// residentFraction returns the share of a file's pages in the page cache (mincore(2)), or -1
// when it cannot be told.
func residentFraction(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return -1
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return -1
	}
	defer syscall.Munmap(data)
	page := int64(os.Getpagesize())
	vec := make([]byte, (fi.Size()+page-1)/page)
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return -1
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	return float64(resident) / float64(len(vec))
}
