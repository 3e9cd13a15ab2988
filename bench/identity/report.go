package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Targets from the issue, for this two-core machine with the load generator on it.
const (
	targetReady         = time.Second
	targetIdleRSS       = 50 << 20
	targetValidateRate  = 20000.0
	targetValidateP99   = 5 * time.Millisecond
	targetTokenRate     = 5000.0
	targetPasswordExtra = time.Millisecond
	targetConcurrency   = 8
)

// row is one line of the table.
type row struct {
	op          string
	concurrency int
	result      result
	unavailable string
}

// report is everything the benchmark measured.
type report struct {
	rounds      int
	duration    time.Duration
	client      string
	firstReady  time.Duration
	firstRSS    int64
	ready       time.Duration
	idleRSS     int64
	loadedRSS   int64
	bcrypt      time.Duration
	appCredNote string
	rows        []row
	// passwordOverhead is the paired measurement of what a password issue adds to bcrypt.
	passwordOverhead pairedOverhead
	lowCostOverhead  pairedOverhead // the same at overheadRounds (or the same measurement)
	passwordPaired   bool
}

// print writes the table, then the targets and whether each is met.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "gostack identity benchmark: bcrypt cost %d, %s per row, %s client, %d CPUs, %s\n\n",
		r.rounds, r.duration, r.client, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "server  first start: ready %s, idle RSS %s\n", fmtDur(r.firstReady), fmtMiB(r.firstRSS))
	fmt.Fprintf(w, "        restart:     ready %s, idle RSS %s; RSS after the load %s\n", fmtDur(r.ready), fmtMiB(r.idleRSS), fmtMiB(r.loadedRSS))
	fmt.Fprintf(w, "bcrypt  one check at cost %d, in-process: %s\n\n", r.rounds, fmtDur(r.bcrypt))

	fmt.Fprintf(w, "%-27s %4s %9s %7s %9s %10s %10s %11s %11s %7s\n",
		"operation", "conc", "requests", "errors", "req/s", "p50", "p99", "server-cpu", "client-cpu", "others")
	for _, x := range r.rows {
		if x.unavailable != "" {
			fmt.Fprintf(w, "%-27s %4d %9s %7s %9s %10s %10s %11s %11s %7s\n", x.op, x.concurrency, "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a", "n/a")
			continue
		}
		res := x.result
		fmt.Fprintf(w, "%-27s %4d %9d %7d %9.0f %10s %10s %11s %11s %7.2f\n", x.op, x.concurrency, res.requests, res.errors,
			res.throughput(), fmtDur(res.p50), fmtDur(res.p99), fmtDur(res.perRequest(res.serverCPU)), fmtDur(res.perRequest(res.genCPU)), res.others())
	}
	fmt.Fprintln(w, "  server-cpu, client-cpu: CPU time per request of the server and of this load generator;")
	fmt.Fprintln(w, "  others: CPUs other processes kept busy meanwhile (the machine is shared)")
	for _, x := range r.rows {
		if x.result.firstErr != "" {
			fmt.Fprintf(w, "  first error, %s at c=%d: %s\n", x.op, x.concurrency, x.result.firstErr)
		}
	}
	if r.appCredNote != "" {
		fmt.Fprintf(w, "  %s: n/a because %s\n", opAppCred, r.appCredNote)
	}

	fmt.Fprintln(w, "\ntargets (informational; verdicts judge the measured figures, projections are for context)")
	for _, t := range r.targets() {
		fmt.Fprintf(w, "  %-6s  %-40s %s\n", t.verdict, t.name, t.measured)
	}
}

// target is one goal with its measured value and verdict.
type target struct {
	name, measured, verdict string
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// targets evaluates the goals against what was measured.
func (r *report) targets() []target {
	var out []target
	out = append(out, target{"ready < 1s (first start, restart)",
		fmt.Sprintf("%s, %s", fmtDur(r.firstReady), fmtDur(r.ready)),
		verdict(r.firstReady < targetReady && r.ready < targetReady)})
	out = append(out, target{"idle RSS < 50 MiB (first start, restart)",
		fmt.Sprintf("%s, %s", fmtMiB(r.firstRSS), fmtMiB(r.idleRSS)),
		verdict(r.firstRSS > 0 && r.idleRSS > 0 && r.firstRSS < targetIdleRSS && r.idleRSS < targetIdleRSS)})
	if v, ok := r.find(opValidate, targetConcurrency); ok {
		out = append(out, target{"validate >= 20000/s at c=8", fmt.Sprintf("%.0f/s (%.0f/s if the CPUs were free)", v.throughput(), v.capacity(runtime.NumCPU())),
			verdict(v.errors == 0 && v.throughput() >= targetValidateRate)})
		out = append(out, target{"validate p99 < 5ms at c=8", fmtDur(v.p99), verdict(v.errors == 0 && v.p99 < targetValidateP99)})
	}
	if v, ok := r.find(opToken, targetConcurrency); ok {
		out = append(out, target{"token-method issue >= 5000/s at c=8", fmt.Sprintf("%.0f/s (%.0f/s if the CPUs were free)", v.throughput(), v.capacity(runtime.NumCPU())),
			verdict(v.errors == 0 && v.throughput() >= targetTokenRate)})
	}
	if v, ok := r.find(opPassword, 1); ok && r.passwordPaired {
		lo, po := r.lowCostOverhead, r.passwordOverhead
		measured := fmt.Sprintf("%s at cost %d (median of %d pairs, noise ±%s)", fmtSigned(lo.median), lo.rounds, lo.pairs, fmtDur(lo.spread))
		if lo.rounds != po.rounds {
			measured += fmt.Sprintf("; at cost %d: %s (median of %d pairs, noise ±%s; unpaired p50 %s - bcrypt %s = %s)",
				po.rounds, fmtSigned(po.median), po.pairs, fmtDur(po.spread), fmtDur(v.p50), fmtDur(r.bcrypt), fmtSigned(v.p50-r.bcrypt))
		}
		failed := lo.err + po.err
		if failed != "" {
			measured = "failed: " + failed
		}
		out = append(out, target{"password issue - bcrypt < 1ms", measured,
			verdict(failed == "" && v.errors == 0 && lo.median < targetPasswordExtra)})
	}
	return out
}

// find returns the measured result of an operation at a concurrency.
func (r *report) find(op string, concurrency int) (result, bool) {
	for _, x := range r.rows {
		if x.op == op && x.concurrency == concurrency && x.unavailable == "" {
			return x.result, true
		}
	}
	return result{}, false
}

// fmtDur writes a duration in milliseconds with sensible precision, or seconds past 10s.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case ms >= 100:
		return fmt.Sprintf("%.1fms", ms)
	case ms >= 1:
		return fmt.Sprintf("%.2fms", ms)
	default:
		return fmt.Sprintf("%.3fms", ms)
	}
}

// fmtSigned is fmtDur with an explicit sign.
func fmtSigned(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}

// fmtMiB writes a byte count in MiB; 0 means it could not be read.
func fmtMiB(b int64) string {
	if b <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
