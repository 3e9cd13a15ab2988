package harness

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClockTick is the unit of /proc/PID/stat CPU times (USER_HZ, 100 on Linux).
const ClockTick = 10 * time.Millisecond

// rssInterval is how often Watch samples the server's VmRSS.
const rssInterval = 50 * time.Millisecond

// ReadRSS returns the VmRSS of a process in bytes; 0 if unreadable.
func ReadRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return parseVmRSS(data)
}

// parseVmRSS returns the VmRSS line of /proc/PID/status in bytes, or 0.
func parseVmRSS(status []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest) // "16976", "kB"
		if len(fields) != 2 || fields[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// ProcessCPU returns the user+system CPU time a process has used, from /proc/PID/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat line. The command
// name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line")
	}
	fields := strings.Fields(stat[i+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc stat line")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed CPU times in /proc stat line")
	}
	return time.Duration(utime+stime) * ClockTick, nil
}

// SelfCPU returns the user+system CPU time this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUTimes is the CPU the server and this client used over some work.
type CPUTimes struct {
	Server, Client time.Duration
}

// String writes both as seconds: "server / client".
func (c CPUTimes) String() string {
	return fmt.Sprintf("%.2f / %.2f", c.Server.Seconds(), c.Client.Seconds())
}

// CPUMark is a reading of both processes' CPU clocks.
type CPUMark struct {
	pid            int
	server, client time.Duration
}

// MarkCPU reads the server's (pid) and this process's CPU time now.
func MarkCPU(pid int) CPUMark {
	s, _ := ProcessCPU(pid) // 0 if unreadable; the figure is informational
	return CPUMark{pid: pid, server: s, client: SelfCPU()}
}

// Since returns the CPU each used after m.
func (m CPUMark) Since() CPUTimes {
	now := MarkCPU(m.pid)
	return CPUTimes{Server: now.server - m.server, Client: now.client - m.client}
}

// Phase is one timed piece of work and what the server used during it.
type Phase struct {
	Elapsed time.Duration
	PeakRSS int64 // largest VmRSS sampled while it ran
	CPU     CPUTimes
}

// Watch runs fn while sampling the server's (pid) VmRSS every 50 ms, and times it.
func Watch(pid int, fn func() error) (Phase, error) {
	stop := make(chan struct{})
	peak := make(chan int64)
	go func() {
		top := ReadRSS(pid)
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				top = max(top, ReadRSS(pid))
			case <-stop:
				peak <- max(top, ReadRSS(pid))
				return
			}
		}
	}()
	mark := MarkCPU(pid)
	start := time.Now()
	err := fn()
	p := Phase{Elapsed: time.Since(start), CPU: mark.Since()}
	close(stop)
	p.PeakRSS = <-peak
	return p, err
}
