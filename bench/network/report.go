package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// Targets from issue 4, item 7.
const (
	targetCreateRate = 500                   // port creates per second at concurrency 8
	targetListP50    = 50 * time.Millisecond // list p50 at 10,000 ports (and security groups)
	flatFactor       = 2                     // a later p50 may be this many times the first
	flatFloor        = time.Millisecond      // below this, differences are noise
)

// phaseRow is one step of the run with what the server used during it.
type phaseRow struct {
	name string
	harness.Phase
	rss int64 // the server's VmRSS when it ended
}

// report is everything the benchmark measured.
type report struct {
	c               config
	dir, fsType     string
	idleRSS, endRSS int64
	phases          []phaseRow
	first           creation
	firstCheck      addressCheck
	firstPools      string
	grows           []creation
	allCheck        addressCheck
	walk            walkResult
	checkpoints     []checkpoint
	groups          creation
	groupList       timing
}

// print writes the phases, then the summary table and its notes.
func (r *report) print(w io.Writer) {
	scale := "no -scale"
	if r.c.scalePorts > 0 {
		scale = fmt.Sprintf("-scale to %d", r.c.scalePorts)
	}
	fmt.Fprintf(w, "gostack network benchmark: %d ports (%s), %d security groups, %d CPUs shared by server and client, %s\n",
		r.c.ports, scale, r.c.groups, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "state in %s (%s), SQLite\n\n", r.dir, r.fsType)
	rows := make([][]string, 0, len(r.phases))
	for _, p := range r.phases {
		rows = append(rows, []string{p.name, harness.FormatDuration(p.Elapsed), p.CPU.String(),
			harness.FormatMiB(p.PeakRSS), harness.FormatMiB(p.rss)})
	}
	harness.PrintTable(w, []string{"phase", "wall", "CPU s server / client", "server RSS peak", "RSS at end"}, rows)
	fmt.Fprintln(w)
	harness.PrintTable(w, []string{"figure", "measured", "target", "verdict"}, r.lines())
	for _, n := range r.notes() {
		fmt.Fprintln(w, "  "+n)
	}
}

// lines are the summary's rows.
func (r *report) lines() [][]string {
	rows := [][]string{r.createLine(), r.checkLine(fmt.Sprintf("fixed IPs and MACs of those %d ports", r.first.n), r.firstCheck, "all in "+r.firstPools)}
	for _, g := range r.grows {
		rows = append(rows, []string{fmt.Sprintf("grow by %d ports to %d (%d more networks, one /22 each)", g.n, g.total, g.networks),
			creationText(g, "port"), "", harness.Info})
	}
	rows = append(rows, r.checkLine(fmt.Sprintf("fixed IPs and MACs of all %d ports", r.allCheck.want), r.allCheck, "all in their pools"), r.walkLine())
	for _, cp := range r.checkpoints {
		if cp.full != nil {
			rows = append(rows, r.fullLine(cp))
		}
	}
	for _, pick := range []func(checkpoint) timing{
		func(cp checkpoint) timing { return cp.page },
		func(cp checkpoint) timing { return cp.device },
		func(cp checkpoint) timing { return cp.fixedIP },
	} {
		rows = append(rows, r.flatLines(pick)...)
	}
	rows = append(rows,
		[]string{fmt.Sprintf("create %d security groups, %d in parallel", r.groups.n, r.groups.conc), creationText(r.groups, "group"), "", harness.Info},
		r.judged(fmt.Sprintf("GET /v2.0/security-groups (%d groups)", r.groupList.items), r.groupList))
	return rows
}

// createLine judges the rate of the first creates.
func (r *report) createLine() []string {
	return []string{fmt.Sprintf("create %d ports on one /22, %d in parallel", r.first.n, r.first.conc),
		creationText(r.first, "port"), fmt.Sprintf(">= %d/s", targetCreateRate), harness.Verdict(r.first.rate() >= targetCreateRate)}
}

// creationText is a batch's rate, request latencies and server CPU per create.
func creationText(c creation, unit string) string {
	return fmt.Sprintf("%.0f/s (%s; request p50 %s, p99 %s; server CPU %s/%s)", c.rate(), harness.FormatDuration(c.elapsed),
		harness.FormatDuration(harness.Percentile(c.latencies, 50)), harness.FormatDuration(harness.Percentile(c.latencies, 99)),
		harness.FormatDuration(c.cpu.Server/time.Duration(max(1, c.n))), unit)
}

// checkLine reports an address check.
func (r *report) checkLine(figure string, a addressCheck, where string) []string {
	measured := fmt.Sprintf("%d ports, %d distinct addresses %s, %d distinct MACs", a.ports, a.addrs, where, a.macs)
	if !a.ok() {
		measured = fmt.Sprintf("%d problems: %s", a.count, strings.Join(a.problems, "; "))
	}
	return []string{figure, measured, "one address each, none twice, in the pools", harness.Verdict(a.ok())}
}

// walkLine reports the walk through the pages.
func (r *report) walkLine() []string {
	w := r.walk
	measured := fmt.Sprintf("%d pages, %d of %d ports, each once (%s)", w.pages, w.seen, w.want, harness.FormatDuration(w.elapsed))
	if !w.ok() {
		measured = fmt.Sprintf("%d pages, %d of %d ports seen, %d repeated, %d unknown", w.pages, w.seen, w.want, w.repeats, w.unknown)
	}
	return []string{fmt.Sprintf("every page of GET /v2.0/ports?limit=%d by next links", pageSize), measured, "every port once", harness.Verdict(w.ok())}
}

// fullLine is the whole list at one checkpoint, judged at c.ports.
func (r *report) fullLine(cp checkpoint) []string {
	name := fmt.Sprintf("GET /v2.0/ports (all %d, no limit)", cp.ports)
	if cp.ports != r.c.ports {
		return []string{name, timingText(*cp.full), "", harness.Info}
	}
	return r.judged(name, *cp.full)
}

// judged is a timing held to the list target.
func (r *report) judged(name string, t timing) []string {
	p50 := harness.Percentile(t.latencies, 50)
	return []string{name, timingText(t), "p50 < " + harness.FormatDuration(targetListP50), harness.Verdict(p50 < targetListP50)}
}

// flatLines are one query at every checkpoint: the first held to the list target, the later
// ones also to the first's p50.
func (r *report) flatLines(pick func(checkpoint) timing) [][]string {
	var rows [][]string
	var base time.Duration
	for i, cp := range r.checkpoints {
		t := pick(cp)
		name := fmt.Sprintf("%s at %d ports", t.query, cp.ports)
		p50 := harness.Percentile(t.latencies, 50)
		if i == 0 {
			base = p50
			rows = append(rows, r.judged(name, t))
			continue
		}
		limit := flatFactor * max(base, flatFloor)
		target := fmt.Sprintf("p50 < %s and <= %s (%dx at %d)", harness.FormatDuration(targetListP50), harness.FormatDuration(limit),
			flatFactor, r.checkpoints[0].ports)
		rows = append(rows, []string{name, timingText(t), target, harness.Verdict(p50 < targetListP50 && p50 <= limit)})
	}
	return rows
}

// timingText is a timing's percentiles, answer size and server CPU per request.
func timingText(t timing) string {
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s (%d requests, %s/answer, server CPU %s/req)",
		harness.FormatDuration(harness.Percentile(t.latencies, 50)), harness.FormatDuration(harness.Percentile(t.latencies, 90)),
		harness.FormatDuration(harness.Percentile(t.latencies, 99)), len(t.latencies), harness.FormatBytes(int64(t.bytes)),
		harness.FormatDuration(t.cpu.Server/time.Duration(max(1, len(t.latencies)))))
}

// notes explain what the table cannot say in a cell.
func (r *report) notes() []string {
	return []string{
		fmt.Sprintf("server RSS idle before the first create: %s; idle at the end: %s", harness.FormatMiB(r.idleRSS), harness.FormatMiB(r.endRSS)),
		"CPU s: user+system seconds of gostack serve / of this client; latencies are client-side, to the last byte of the answer",
		fmt.Sprintf("pages start at %d markers drawn at random from all ports; the filters each match one port", r.c.lists),
		fmt.Sprintf("flat: a later p50 within %dx the first checkpoint's (differences under %s count as noise)", flatFactor, harness.FormatDuration(flatFloor)),
	}
}
