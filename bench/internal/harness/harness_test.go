package harness

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	cases := map[string]int64{
		"Name:\tgostack\nVmRSS:\t   16976 kB\n": 16976 * 1024,
		"Name:\tgostack\n":                      0,
		"VmRSS:\t16976 MB\n":                    0,
		"VmRSS:\tmany kB\n":                     0,
	}
	for in, want := range cases {
		if got := parseVmRSS([]byte(in)); got != want {
			t.Errorf("parseVmRSS(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseStatCPU(t *testing.T) {
	line := "4242 (go stack (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
	if got, err := parseStatCPU(line); err != nil || got != 300*ClockTick {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, 300*ClockTick)
	}
	for _, bad := range []string{"", "4242 (gostack) S 1 2 3", "4242 (g) S 1 2 3 4 5 6 7 8 9 10 x y"} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q) accepted it", bad)
		}
	}
}

func TestPercentileAndMedian(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	if got := Percentile(ms(5, 1, 3, 2, 4), 50); got != 3*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := Percentile(ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99); got != 10*time.Millisecond {
		t.Errorf("p99 of 10 = %v", got)
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %v", got)
	}
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3 = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of 4 = %v", got)
	}
}

func TestPrintTable(t *testing.T) {
	var out bytes.Buffer
	PrintTable(&out, []string{"figure", "measured"}, [][]string{{"a", "1"}, {"longer figure", "22"}})
	want := "figure         measured\n-------------  --------\na              1\nlonger figure  22\n"
	if out.String() != want {
		t.Errorf("PrintTable wrote\n%s\nwant\n%s", &out, want)
	}
}

func TestFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{FormatDuration(1500 * time.Microsecond), "1.50ms"},
		{FormatDuration(250 * time.Millisecond), "250.0ms"},
		{FormatDuration(12 * time.Second), "12.00s"},
		{FormatDuration(500 * time.Microsecond), "0.500ms"},
		{FormatBytes(512), "512 B"},
		{FormatBytes(100 << 10), "100 KiB"},
		{FormatBytes(12 << 20), "12.0 MiB"},
		{FormatMiB(0), "?"},
		{FormatMiB(3 << 20), "3.0 MiB"},
		{FormatSize(1 << 30), "1 GiB"},
		{FormatSize(8 << 20), "8 MiB"},
		{CPUTimes{Server: time.Second, Client: 250 * time.Millisecond}.String(), "1.00 / 0.25"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
	if !strings.Contains(Verdict(false), "NOT") || Verdict(true) != Met {
		t.Error("Verdict")
	}
}
