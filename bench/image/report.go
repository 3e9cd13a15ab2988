package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// Targets from issue 3, item 8.
const (
	targetShare   = 0.90     // upload and download throughput, as a share of the dd floor
	targetRSSGrow = 32 << 20 // server RSS growth during a transfer
	targetListP50 = 20 * time.Millisecond
)

// report is everything the benchmark measured.
type report struct {
	size     int64
	dir      string
	fsType   string
	baseRSS  int64 // before the first upload
	afterRSS int64 // idle after the last round
	rounds   []roundResult
	list     listResult
}

// line is one row of the summary: a figure, what was measured, its target and the verdict.
type line struct {
	figure, measured, target, verdict string
}

// print writes the per-round figures, then the summary table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "gostack image benchmark: %s image, %d rounds, %d CPUs shared by server and client, %s\n",
		harness.FormatSize(r.size), len(r.rounds), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "state and dd file in %s (%s); MB/s = 10^6 bytes/s\n\n", r.dir, r.fsType)
	r.printRounds(w)
	fmt.Fprintln(w)
	harness.PrintTable(w, []string{"figure", "measured", "target", "verdict"}, r.lines())
	for _, n := range r.notes() {
		fmt.Fprintln(w, "  "+n)
	}
}

// printRounds writes one row per round.
func (r *report) printRounds(w io.Writer) {
	rows := make([][]string, 0, len(r.rounds))
	for i, x := range r.rounds {
		rows = append(rows, []string{
			fmt.Sprint(i + 1), fmtRate(x.ddWrite.rate), fmtRate(x.ddRead.rate) + " (" + fmtShare(x.ddResident) + " cached)",
			fmtDirect(x), fmtRate(rate(x.upload, r.size)), fmtRate(rate(x.download, r.size)), fmtRate(rate(x.downloadMD5, r.size)),
			harness.FormatMiB(x.upload.PeakRSS) + " / " + harness.FormatMiB(max(x.download.PeakRSS, x.downloadMD5.PeakRSS)),
			x.upload.CPU.String(), x.download.CPU.String(), x.downloadMD5.CPU.String(),
		})
	}
	harness.PrintTable(w, []string{"round", "dd write", "dd read", "dd read O_DIRECT", "upload", "download", "download+md5",
		"RSS peak up / down", "CPU s srv/cli: up", "down", "down+md5"}, rows)
}

// lines evaluates the targets.
func (r *report) lines() [][]string {
	ls := []line{
		{"dd write bs=1M conv=fsync (write floor)", bestMedian(r.rates(func(x roundResult) float64 { return x.ddWrite.rate }), fmtRate), "floor", harness.Info},
		{"dd read bs=1M, " + r.cacheNote(func(x roundResult) float64 { return x.ddResident }) + " (read floor)",
			bestMedian(r.rates(func(x roundResult) float64 { return x.ddRead.rate }), fmtRate), "floor", harness.Info},
		{"dd read iflag=direct (disk, no cache)", r.directSummary(), "context", harness.Info},
		r.transferLine("upload PUT /v2/images/{id}/file", func(x roundResult) float64 { return rate(x.upload, r.size) },
			func(x roundResult) float64 { return x.ddWrite.rate }, "dd write"),
		// The disk's read floor is the uncached read: a read from the page cache is memory
		// bandwidth, which no transfer over a socket approaches, so it is shown for context.
		r.transferLine("download GET …/file, "+r.cacheNote(func(x roundResult) float64 { return x.imageResident }),
			func(x roundResult) float64 { return rate(x.download, r.size) }, func(x roundResult) float64 { return x.ddDirect.rate }, "dd read from disk"),
		r.info(r.transferLine("download, against the page-cache read",
			func(x roundResult) float64 { return rate(x.download, r.size) }, func(x roundResult) float64 { return x.ddRead.rate }, "dd read")),
		r.info(r.transferLine("download again through md5 (checked)",
			func(x roundResult) float64 { return rate(x.downloadMD5, r.size) }, func(x roundResult) float64 { return x.ddRead.rate }, "dd read")),
		r.rssLine("server RSS growth during upload", func(x roundResult) int64 { return x.upload.PeakRSS }),
		r.rssLine("server RSS growth during downloads", func(x roundResult) int64 { return max(x.download.PeakRSS, x.downloadMD5.PeakRSS) }),
		{"CPU s per upload, server / client (median)", r.medianCPU(func(x roundResult) harness.CPUTimes { return x.upload.CPU }), "", harness.Info},
		{"CPU s per download, server / client (median)", r.medianCPU(func(x roundResult) harness.CPUTimes { return x.download.CPU }), "", harness.Info},
		{"CPU s per download+md5, server / client (median)", r.medianCPU(func(x roundResult) harness.CPUTimes { return x.downloadMD5.CPU }), "", harness.Info},
		{fmt.Sprintf("create %d images, %d in parallel", r.list.images, r.list.conc),
			fmt.Sprintf("%s, %.0f/s", harness.FormatDuration(r.list.create), float64(r.list.images)/r.list.create.Seconds()), "", harness.Info},
	}
	for i, q := range r.list.queries {
		ls = append(ls, r.listLine(q, i == 0))
	}
	out := make([][]string, len(ls))
	for i, l := range ls {
		out[i] = []string{l.figure, l.measured, l.target, l.verdict}
	}
	return out
}

// transferLine judges the median transfer rate against the median floor.
func (r *report) transferLine(figure string, rate, floor func(roundResult) float64, floorName string) line {
	got, fl := r.rates(rate), r.rates(floor)
	best, med := slices.Max(got), harness.Median(got)
	bestFloor, medFloor := slices.Max(fl), harness.Median(fl)
	measured := fmt.Sprintf("best %s (%s of best floor), median %s (%s of median floor)",
		fmtRate(best), fmtPct(best/bestFloor), fmtRate(med), fmtPct(med/medFloor))
	return line{figure, measured, fmt.Sprintf(">= %.0f%% of %s (median)", targetShare*100, floorName), harness.Verdict(med >= targetShare*medFloor)}
}

// info turns a judged line into an informational one.
func (r *report) info(l line) line {
	l.target, l.verdict = "", harness.Info
	return l
}

// rssLine judges the largest peak over the rounds against the RSS before the first upload.
func (r *report) rssLine(figure string, peak func(roundResult) int64) line {
	var top int64
	for _, x := range r.rounds {
		top = max(top, peak(x))
	}
	if r.baseRSS == 0 || top == 0 {
		return line{figure, "unknown (/proc unreadable)", "< 32 MiB", harness.NotMet}
	}
	grow := top - r.baseRSS
	return line{figure, fmt.Sprintf("%+.1f MiB (%s before, peak %s)", float64(grow)/(1<<20), harness.FormatMiB(r.baseRSS), harness.FormatMiB(top)),
		"< 32 MiB", harness.Verdict(grow < targetRSSGrow)}
}

// listLine gives the percentiles of one list query; the first (the whole set) has the target.
func (r *report) listLine(q listQuery, judged bool) line {
	name := "GET /v2/images (default page, " + fmt.Sprint(q.want) + ")"
	if q.query != "" {
		name = "GET /v2/images?" + q.query
	}
	p50 := harness.Percentile(q.latencies, 50)
	measured := fmt.Sprintf("p50 %s, p90 %s, p99 %s (%d requests, %s/page, server CPU %s/req)",
		harness.FormatDuration(p50), harness.FormatDuration(harness.Percentile(q.latencies, 90)), harness.FormatDuration(harness.Percentile(q.latencies, 99)),
		len(q.latencies), harness.FormatBytes(int64(q.bytes)), harness.FormatDuration(q.cpu.Server/time.Duration(max(1, len(q.latencies)))))
	if !judged {
		return line{name, measured, "", harness.Info}
	}
	return line{name, measured, "p50 < 20 ms", harness.Verdict(p50 < targetListP50)}
}

// notes explain what the table cannot say in a cell.
func (r *report) notes() []string {
	notes := []string{
		fmt.Sprintf("server RSS idle after the rounds: %s; CPU s: user+system of gostack serve / of this client (dd excluded)", harness.FormatMiB(r.afterRSS)),
		"the server hashes md5 and " + "the os_hash (sha512) of every upload and fsyncs it, as dd conv=fsync does",
	}
	if r.cached(func(x roundResult) float64 { return x.ddResident }) {
		notes = append(notes, "dd read is from the page cache (the file was just written): memory bandwidth, not the disk; "+
			"the download reads its just-written image from the page cache too")
	}
	notes = append(notes, "download: the body goes to io.Discard as it arrives; download+md5 hashes it on the client, whose single-core md5 bounds it")
	return notes
}

// cached reports whether every round's file was mostly in the page cache before its read.
func (r *report) cached(share func(roundResult) float64) bool {
	for _, x := range r.rounds {
		if share(x) < 0.9 {
			return false
		}
	}
	return true
}

// cacheNote says how much of the file was cached before its reads.
func (r *report) cacheNote(share func(roundResult) float64) string {
	lo := 1.0
	for _, x := range r.rounds {
		lo = min(lo, share(x))
	}
	switch {
	case lo < 0:
		return "cache state unknown"
	case lo >= 0.995:
		return "from page cache (100% resident)"
	case lo >= 0.5:
		return "mostly from page cache (>= " + fmtShare(lo) + " resident)"
	}
	return "partly from page cache (>= " + fmtShare(lo) + " resident)"
}

// directSummary is the uncached read floor, or why there is none.
func (r *report) directSummary() string {
	var rates []float64
	for _, x := range r.rounds {
		if x.directErr != "" {
			return "n/a: " + x.directErr
		}
		rates = append(rates, x.ddDirect.rate)
	}
	return bestMedian(rates, fmtRate)
}

// rates collects one figure of every round.
func (r *report) rates(f func(roundResult) float64) []float64 {
	out := make([]float64, len(r.rounds))
	for i, x := range r.rounds {
		out[i] = f(x)
	}
	return out
}

// medianCPU is the median server and client CPU of a phase over the rounds.
func (r *report) medianCPU(f func(roundResult) harness.CPUTimes) string {
	var s, c []float64
	for _, x := range r.rounds {
		s, c = append(s, f(x).Server.Seconds()), append(c, f(x).Client.Seconds())
	}
	return fmt.Sprintf("%.2f / %.2f", harness.Median(s), harness.Median(c))
}

// bestMedian writes "best X, median Y".
func bestMedian(v []float64, f func(float64) string) string {
	if len(v) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("best %s, median %s", f(slices.Max(v)), f(harness.Median(v)))
}

func fmtRate(bps float64) string {
	if bps >= 10e9 {
		return fmt.Sprintf("%.1f GB/s", bps/1e9)
	}
	return fmt.Sprintf("%.0f MB/s", bps/1e6)
}

func fmtPct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// fmtShare writes a fraction as a percentage; negative means unknown.
func fmtShare(f float64) string {
	if f < 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func fmtDirect(x roundResult) string {
	if x.directErr != "" {
		return "n/a"
	}
	return fmtRate(x.ddDirect.rate)
}
