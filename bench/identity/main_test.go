package main

import (
	"context"
	"fmt"
	"github.com/gostack/gostack/bench/internal/harness"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseProcStatBusy(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseProcStatBusy("cpu  100 2 30 5000 40 5 6 7 0 0")
	if want := 150 * harness.ClockTick; err != nil || got != want {
		t.Errorf("parseProcStatBusy = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3", "cpu 1 2 3 4 5 6 x 8"} {
		if _, err := parseProcStatBusy(bad); err == nil {
			t.Errorf("parseProcStatBusy(%q) accepted a malformed line", bad)
		}
	}
}

func TestParseExports(t *testing.T) {
	rc := `# comment
export OS_USERNAME='admin'
export OS_PASSWORD='it'\''s "secret"'
export OS_PROJECT_NAME="admin"
export OS_USER_DOMAIN_NAME=Default
OS_IGNORED=1
export BROKEN
`
	want := map[string]string{"OS_USERNAME": "admin", "OS_PASSWORD": `it's "secret"`, "OS_PROJECT_NAME": "admin", "OS_USER_DOMAIN_NAME": "Default"}
	got := parseExports(rc)
	if len(got) != len(want) {
		t.Errorf("parseExports = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    int
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of unsorted", ms(5, 1, 3, 2, 4), 50, 3 * time.Millisecond},
		{"p99 of 100", ms(seq(100)...), 99, 99 * time.Millisecond},
		{"p99 of 10 is the max", ms(seq(10)...), 99, 10 * time.Millisecond},
		{"p50 of even count", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := percentile(c.in, c.p); got != c.want {
				t.Errorf("percentile(%d) = %v, want %v", c.p, got, c.want)
			}
		})
	}
}

// seq returns 1..n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestParseStatusLine(t *testing.T) {
	cases := []struct {
		line string
		want int
		ok   bool
	}{
		{"HTTP/1.1 200 OK\r\n", 200, true},
		{"HTTP/1.0 404 Not Found\r\n", 404, true},
		{"HTTP/1.1 201\r\n", 201, true},
		{"HTTP/2 200 OK\r\n", 0, false},
		{"HTTP/1.1 abc OK\r\n", 0, false},
		{"garbage\r\n", 0, false},
	}
	for _, c := range cases {
		got, err := parseStatusLine([]byte(c.line))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseStatusLine(%q) = %d, %v", c.line, got, err)
		}
	}
}

// TestLeanDoer drives the lean client against a real server: fixed-length and chunked
// bodies, request headers and bodies, and a server that closes the connection.
func TestLeanDoer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			body := make([]byte, r.ContentLength)
			_, _ = r.Body.Read(body)
			w.Header().Set("Content-Length", fmt.Sprint(len(body)+len(r.Header.Get("X-Auth-Token"))))
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "%s%s", r.Header.Get("X-Auth-Token"), body)
		case "/chunked":
			for i := range 3 {
				fmt.Fprintf(w, "%s", strings.Repeat(fmt.Sprint(i), 5000))
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	d := newLeanDoer(srv.URL)
	defer d.close()
	ctx := context.Background()
	cases := []struct {
		name   string
		c      call
		status int
		body   string
	}{
		{"headers and body", call{method: "POST", path: "/echo", body: []byte(`{"a":1}`), header: [][2]string{{"X-Auth-Token", "tok"}}}, 201, `tok{"a":1}`},
		{"chunked", call{method: "GET", path: "/chunked"}, 200, strings.Repeat("0", 5000) + strings.Repeat("1", 5000) + strings.Repeat("2", 5000)},
		{"connection close", call{method: "GET", path: "/close"}, 200, "bye"},
		{"after a close", call{method: "GET", path: "/missing"}, 404, "404 page not found\n"},
		{"reused", call{method: "POST", path: "/echo", body: []byte(`x`)}, 201, "x"},
	}
	for _, c := range cases {
		status, body, err := d.send(ctx, c.c)
		if err != nil || status != c.status || string(body) != c.body {
			t.Errorf("%s: %d %.80q %v; want %d %.80q", c.name, status, body, err, c.status, c.body)
		}
	}
}

func TestFmtDur(t *testing.T) {
	cases := map[time.Duration]string{
		412 * time.Microsecond:    "0.412ms",
		3250 * time.Microsecond:   "3.25ms",
		264100 * time.Microsecond: "264.1ms",
		13460 * time.Millisecond:  "13.46s",
	}
	for d, want := range cases {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
	if got := fmtSigned(-1100 * time.Microsecond); got != "-1.10ms" {
		t.Errorf("fmtSigned = %q", got)
	}
}

// TestTargets checks the verdicts against measured figures.
func TestTargets(t *testing.T) {
	r := &report{firstReady: 300 * time.Millisecond, ready: 20 * time.Millisecond, firstRSS: 18 << 20, idleRSS: 60 << 20,
		bcrypt: 260 * time.Millisecond, passwordPaired: true,
		passwordOverhead: pairedOverhead{rounds: 12, median: 3 * time.Millisecond, pairs: 10},
		lowCostOverhead:  pairedOverhead{rounds: 4, median: 400 * time.Microsecond, pairs: 500},
		rows: []row{
			{op: opValidate, concurrency: 8, result: result{requests: 100000, elapsed: 4 * time.Second, p99: 2 * time.Millisecond}},
			{op: opToken, concurrency: 8, result: result{requests: 10000, elapsed: 5 * time.Second}},
			{op: opPassword, concurrency: 1, result: result{requests: 19, elapsed: 5 * time.Second, p50: 261 * time.Millisecond}},
		}}
	want := []string{"met", "MISSED", "met", "met", "MISSED", "met"} // ready, RSS, rate, p99, token, password
	got := r.targets()
	if len(got) != len(want) {
		t.Fatalf("%d targets, want %d: %v", len(got), len(want), got)
	}
	for i, tg := range got {
		if tg.verdict != want[i] {
			t.Errorf("%s: %s (%s), want %s", tg.name, tg.verdict, tg.measured, want[i])
		}
	}
}
