package main

import (
	"fmt"
	"github.com/gostack/gostack/bench/internal/harness"
	"os"
	"strconv"
	"strings"
	"time"
)

// machineBusy returns the CPU time all processors have spent busy (everything but idle and
// I/O wait, steal included) since boot, from the first line of /proc/stat.
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return parseProcStatBusy(line)
}

// parseProcStatBusy reads "cpu user nice system idle iowait irq softirq steal ...": guest
// times are already counted in user and nice.
func parseProcStatBusy(line string) (time.Duration, error) {
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat cpu line %q", line)
	}
	var busy int64
	for i, f := range fields[1:9] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat cpu line %q", line)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return time.Duration(busy) * harness.ClockTick, nil
}
