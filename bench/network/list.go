package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// pageSize is the limit of the paginated port list.
const pageSize = 100

// timing is one list query timed over many requests.
type timing struct {
	query     string // how the report names it
	items     int    // items in the first answer
	bytes     int    // size of the first answer
	latencies []time.Duration
	cpu       harness.CPUTimes
}

// count is how many items an answer holds.
type count func(items int) error

// exactly wants n items.
func exactly(n int) count {
	return func(items int) error {
		if items != n {
			return fmt.Errorf("%d items, want %d", items, n)
		}
		return nil
	}
}

// between wants lo to hi items.
func between(lo, hi int) count {
	return func(items int) error {
		if items < lo || items > hi {
			return fmt.Errorf("%d items, want %d to %d", items, lo, hi)
		}
		return nil
	}
}

// timeQuery sends url(-1) once to warm the connection and check the answer's key holds the
// right number of items, then times reps requests of url(0) … url(reps-1).
func (b *bench) timeQuery(ctx context.Context, name, key string, u func(i int) string, reps int, want count) (timing, error) {
	t := timing{query: name}
	_, body, err := b.cl.GetTimed(ctx, u(-1))
	if err != nil {
		return t, err
	}
	var answer map[string]json.RawMessage
	var items []json.RawMessage
	if err := json.Unmarshal(body, &answer); err != nil {
		return t, fmt.Errorf("GET %s: %w", u(-1), err)
	}
	if err := json.Unmarshal(answer[key], &items); err != nil {
		return t, fmt.Errorf("GET %s: %q: %w", u(-1), key, err)
	}
	if err := want(len(items)); err != nil {
		return t, fmt.Errorf("GET %s: %w", u(-1), err)
	}
	t.items, t.bytes = len(items), len(body)
	mark := harness.MarkCPU(b.srv.PID())
	for i := range reps {
		took, _, err := b.cl.GetTimed(ctx, u(i))
		if err != nil {
			return t, err
		}
		t.latencies = append(t.latencies, took)
	}
	t.cpu = mark.Since()
	return t, nil
}

// checkpoint is the list timings at one number of ports.
type checkpoint struct {
	ports   int
	full    *timing // the whole list; nil when not timed
	page    timing  // limit=100 from markers spread over the set
	device  timing  // ?device_id= matching one port
	fixedIP timing  // ?fixed_ips=ip_address= matching one port
}

// measureCheckpoint times the port lists with len(b.ports) ports: the whole list fullReps
// times (none if 0), and pages and filters c.lists times each.
func (b *bench) measureCheckpoint(ctx context.Context, fullReps int) (checkpoint, error) {
	n := len(b.ports)
	cp := checkpoint{ports: n}
	base := b.cl.base + "/ports"
	if fullReps > 0 {
		full, err := b.timeQuery(ctx, "GET /v2.0/ports", "ports", func(int) string { return base }, fullReps, exactly(n))
		if err != nil {
			return cp, err
		}
		cp.full = &full
	}
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	markers := make([]string, b.c.lists)
	for i := range markers {
		markers[i] = b.ports[rng.IntN(n)].ID
	}
	var err error
	page := func(i int) string {
		q := url.Values{"limit": {fmt.Sprint(pageSize)}}
		if i >= 0 {
			q.Set("marker", markers[i])
		}
		return base + "?" + q.Encode()
	}
	if cp.page, err = b.timeQuery(ctx, fmt.Sprintf("GET /v2.0/ports?limit=%d&marker=…", pageSize), "ports", page, b.c.lists, between(0, pageSize)); err != nil {
		return cp, err
	}
	device := func(int) string { return base + "?" + url.Values{"device_id": {probeDevice}}.Encode() }
	if cp.device, err = b.timeQuery(ctx, "GET /v2.0/ports?device_id=…", "ports", device, b.c.lists, exactly(1)); err != nil {
		return cp, err
	}
	ip := b.ports[0].FixedIPs[0].IPAddress
	fixed := func(int) string { return base + "?" + url.Values{"fixed_ips": {"ip_address=" + ip}}.Encode() }
	cp.fixedIP, err = b.timeQuery(ctx, "GET /v2.0/ports?fixed_ips=ip_address=…", "ports", fixed, b.c.lists, exactly(1))
	return cp, err
}

// walkResult is a walk through every page of the port list by its next links.
type walkResult struct {
	pages      int
	seen, want int // distinct ports seen, ports created
	repeats    int // ports seen on more than one page
	unknown    int // ports the benchmark did not create
	elapsed    time.Duration
}

// ok reports whether the walk saw every created port exactly once.
func (w walkResult) ok() bool { return w.seen == w.want && w.repeats == 0 && w.unknown == 0 }

// walk follows the port list's next links from the first page of 100 to the last.
func (b *bench) walk(ctx context.Context) (walkResult, error) {
	w := walkResult{want: len(b.ports)}
	created := make(map[string]bool, len(b.ports))
	for _, p := range b.ports {
		created[p.ID] = true
	}
	seen := make(map[string]bool, len(b.ports))
	start := time.Now()
	next := b.cl.base + "/ports?" + url.Values{"limit": {fmt.Sprint(pageSize)}}.Encode()
	for next != "" {
		page, err := b.cl.portsAt(ctx, next)
		if err != nil {
			return w, err
		}
		w.pages++
		if w.pages > len(b.ports)/pageSize+2 {
			return w, fmt.Errorf("the port list's next links go on past %d pages", w.pages-1)
		}
		for _, p := range page.Ports {
			switch {
			case seen[p.ID]:
				w.repeats++
			case !created[p.ID]:
				w.unknown++
			}
			seen[p.ID] = true
		}
		next = page.next()
	}
	w.elapsed = time.Since(start)
	w.seen = len(seen) - w.unknown
	return w, nil
}

// timeGroups times the security-group list, which holds at least c.groups groups.
func (b *bench) timeGroups(ctx context.Context) (timing, error) {
	u := func(int) string { return b.cl.base + "/security-groups" }
	return b.timeQuery(ctx, "GET /v2.0/security-groups", "security_groups", u, b.c.lists, between(b.c.groups, b.c.groups+2))
}
