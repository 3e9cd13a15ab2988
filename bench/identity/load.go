package main

import (
	"context"
	"fmt"
	"github.com/gostack/gostack/bench/internal/harness"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Operation names, also used to find rows for the targets.
const (
	opPassword = "issue: password (project)"
	opToken    = "issue: token (rescope)"
	opAppCred  = "issue: app credential"
	opValidate = "validate (GET)"
	opCatalog  = "catalog (GET)"
)

// operation is one kind of request the benchmark measures.
type operation struct {
	name        string
	short       string           // the name -ops takes
	want        int              // the status of success
	next        func(i int) call // the i-th request a worker sends
	unavailable string           // non-empty: not measured, and why
}

// operations are the measured requests, built on the fixtures.
func operations(fx *fixtures) []operation {
	password := passwordBody(fx.access, true)
	rescope := tokenBody(fx.unscoped, fx.projectID)
	issue := func(body []byte) func(int) call {
		return func(int) call { return call{method: http.MethodPost, path: "/v3/auth/tokens", body: body} }
	}
	ops := []operation{
		{name: opPassword, short: "password", want: http.StatusCreated, next: issue(password)},
		{name: opToken, short: "token", want: http.StatusCreated, next: issue(rescope)},
		{name: opAppCred, short: "appcred", want: http.StatusCreated, unavailable: fx.appCredNote},
		{name: opValidate, short: "validate", want: http.StatusOK, next: func(i int) call {
			return call{method: http.MethodGet, path: "/v3/auth/tokens", header: [][2]string{
				{"X-Auth-Token", fx.admin}, {"X-Subject-Token", fx.tokens[i%len(fx.tokens)]}}}
		}},
		{name: opCatalog, short: "catalog", want: http.StatusOK, next: func(i int) call {
			return call{method: http.MethodGet, path: "/v3/auth/catalog", header: [][2]string{
				{"X-Auth-Token", fx.tokens[i%len(fx.tokens)]}}}
		}},
	}
	if fx.appCredID != "" {
		ops[2].next = issue(appCredBody(fx.appCredID, fx.appSecret))
	}
	return ops
}

// result is what one operation did at one concurrency.
type result struct {
	requests int
	errors   int
	firstErr string
	elapsed  time.Duration
	p50, p99 time.Duration
	// serverCPU and genCPU are the CPU time the server and this load generator used;
	// otherCPU is what every other process on the machine used meanwhile.
	serverCPU, genCPU, otherCPU time.Duration
}

// others is how many CPUs other processes kept busy on average during the run.
func (r result) others() float64 {
	if r.elapsed <= 0 || r.otherCPU < 0 {
		return 0
	}
	return r.otherCPU.Seconds() / r.elapsed.Seconds()
}

// capacity is the throughput the CPU cost per request would allow with cpus processors free
// for this server and load generator alone: a projection, not a measurement.
func (r result) capacity(cpus int) float64 {
	perRequest := r.perRequest(r.serverCPU + r.genCPU)
	if perRequest <= 0 {
		return 0
	}
	return float64(cpus) / perRequest.Seconds()
}

// perRequest is a CPU time divided over the requests, 0 when there were none.
func (r result) perRequest(cpu time.Duration) time.Duration {
	if r.requests == 0 {
		return 0
	}
	return cpu / time.Duration(r.requests)
}

// throughput is completed requests per second.
func (r result) throughput() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// measure runs o with n workers: a warm-up of a tenth of d (not counted), then d.
// serverPID is the server's process, whose CPU time is read around the run.
func measure(ctx context.Context, newDoer func() doer, o operation, n int, d time.Duration, serverPID int) result {
	_ = drive(ctx, newDoer, o, n, d/10)
	srv0, _ := harness.ProcessCPU(serverPID)
	gen0 := harness.SelfCPU()
	all0, _ := machineBusy()
	res := drive(ctx, newDoer, o, n, d)
	all1, err1 := machineBusy()
	srv1, err2 := harness.ProcessCPU(serverPID)
	res.genCPU = harness.SelfCPU() - gen0
	if err2 == nil {
		res.serverCPU = srv1 - srv0
	}
	if err1 == nil && err2 == nil {
		res.otherCPU = max(all1-all0-res.serverCPU-res.genCPU, 0)
	}
	return res
}

// workerStats is what one worker saw.
type workerStats struct {
	latencies []time.Duration
	errors    int
	firstErr  string
}

// drive runs n workers that each send requests back to back until d has passed.
func drive(ctx context.Context, newDoer func() doer, o operation, n int, d time.Duration) result {
	stats := make([]workerStats, n)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			d := newDoer()
			defer d.close()
			stats[w] = work(ctx, d, o, w, n, deadline)
		})
	}
	wg.Wait()
	res := result{elapsed: time.Since(start)}
	var all []time.Duration
	for _, s := range stats {
		all = append(all, s.latencies...)
		res.errors += s.errors
		if res.firstErr == "" {
			res.firstErr = s.firstErr
		}
	}
	res.requests = len(all)
	res.p50, res.p99 = percentile(all, 50), percentile(all, 99)
	return res
}

// work is one worker: worker w of n sends requests w, w+n, w+2n … so workers spread over
// the token set.
func work(ctx context.Context, d doer, o operation, w, n int, deadline time.Time) workerStats {
	var s workerStats
	for i := w; ctx.Err() == nil; i += n {
		t0 := time.Now()
		if !t0.Before(deadline) {
			break
		}
		status, body, err := d.send(ctx, o.next(i))
		s.latencies = append(s.latencies, time.Since(t0))
		if err == nil && status != o.want {
			err = fmt.Errorf("status %d: %.200s", status, body)
		}
		if err != nil {
			s.errors++
			if s.firstErr == "" {
				s.firstErr = err.Error()
			}
		}
	}
	return s
}

// percentile returns the nearest-rank p-th percentile of ds (which it sorts), 0 when empty.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := (len(ds)*p + 99) / 100 // ceil(n·p/100)
	if rank < 1 {
		rank = 1
	}
	return ds[rank-1]
}
