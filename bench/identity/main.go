// Command identity benchmarks gostack's identity service the way clients use it: it starts
// its own `gostack serve` on a free loopback port with a temporary state directory, measures
// how fast it becomes ready and how much memory it holds idle, then drives token issue (by
// password, token and application credential), token validation and the catalog over real
// HTTP at concurrency 1 and 8, and prints a table of throughput and latency percentiles with
// the targets and whether each is met. Timing never makes it exit non-zero.
//
//	go run ./bench/identity [-duration 5s] [-rounds 12] [-gostack PATH] [-client nethttp|lean] [-ops validate,...]
//
// The load generator shares the machine's CPUs with the server, so each row also shows the
// CPU time per request of both and how busy other processes kept the machine. The default
// client is Go's net/http (what gophercloud uses); -client lean is a minimal keep-alive
// HTTP/1.1 client, in the manner of wrk, that leaves more of the CPUs to the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/gostack/gostack/bench/internal/harness"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is the benchmark's command line.
type config struct {
	duration    time.Duration
	rounds      int
	gostack     string
	concurrency []int
	tokens      int
	keep        bool
	ops         map[string]bool // operations to run by short name; nil means all
	lean        bool            // load with the lean HTTP/1.1 client instead of net/http
}

func main() {
	var c config
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "how long each operation runs at each concurrency")
	flag.IntVar(&c.rounds, "rounds", 12, "[identity] password_hash_rounds (bcrypt cost) of the server")
	flag.StringVar(&c.gostack, "gostack", "", "the gostack binary to run (default: build ./cmd/gostack)")
	flag.IntVar(&c.tokens, "tokens", 100, "how many distinct tokens validation and catalog requests rotate over")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary state directory and server log")
	clientKind := flag.String("client", "nethttp", "the load generator's HTTP client: nethttp (Go's net/http, as gophercloud uses) or lean (a minimal keep-alive HTTP/1.1 client, like wrk)")
	ops := flag.String("ops", "", "comma-separated operations to run (password, token, appcred, validate, catalog); default all")
	flag.Parse()
	if *ops != "" {
		c.ops = map[string]bool{}
		for _, name := range strings.Split(*ops, ",") {
			c.ops[strings.TrimSpace(name)] = true
		}
	}
	c.concurrency = []int{1, 8}
	switch *clientKind {
	case "nethttp":
	case "lean":
		c.lean = true
	default:
		fmt.Fprintln(os.Stderr, "identity bench: -client must be nethttp or lean")
		os.Exit(2)
	}
	if c.duration <= 0 || c.rounds < 4 || c.rounds > 31 || c.tokens < 1 {
		fmt.Fprintln(os.Stderr, "identity bench: -duration must be positive, -rounds within 4..31 and -tokens at least 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "identity bench:", err)
		os.Exit(1)
	}
}

// run is the whole benchmark: server, setup, load, report.
func run(ctx context.Context, c config) error {
	work, err := os.MkdirTemp("", "gostack-bench-identity-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Printf("state and logs kept in %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	bin := c.gostack
	if bin == "" {
		if bin, err = harness.Build(ctx, work); err != nil {
			return err
		}
	}
	r := &report{rounds: c.rounds, duration: c.duration, client: "net/http"}
	if c.lean {
		r.client = "lean HTTP/1.1"
	}

	// First start: creates the database, keys and admin (one bcrypt hash at the configured cost).
	srv, err := startServer(ctx, bin, work, c.rounds)
	if err != nil {
		return err
	}
	r.firstReady, r.firstRSS = srv.ready, srv.idleRSS()
	if err := srv.stop(); err != nil {
		return err
	}
	// Restart on the same state: what an operator sees after an upgrade or reboot.
	if srv, err = startServer(ctx, bin, work, c.rounds); err != nil {
		return err
	}
	defer srv.stop()
	r.ready, r.idleRSS = srv.ready, srv.idleRSS()

	r.bcrypt, err = bcryptCost(c.rounds)
	if err != nil {
		return err
	}
	cl := newClient(srv.url, c.concurrency[len(c.concurrency)-1])
	fx, err := setup(ctx, cl, srv.access, c.tokens)
	if err != nil {
		return err
	}
	r.appCredNote = fx.appCredNote
	newDoer := func() doer { return netHTTPDoer{cl} }
	if c.lean {
		newDoer = func() doer { return newLeanDoer(srv.url) }
	}
	for _, o := range operations(fx) {
		if c.ops != nil && !c.ops[o.short] {
			continue
		}
		for _, n := range c.concurrency {
			if o.unavailable != "" {
				r.rows = append(r.rows, row{op: o.name, concurrency: n, unavailable: o.unavailable})
				continue
			}
			res := measure(ctx, newDoer, o, n, c.duration, srv.cmd.Process.Pid)
			r.rows = append(r.rows, row{op: o.name, concurrency: n, result: res})
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	r.loadedRSS = srv.idleRSS()
	if c.ops == nil || c.ops["password"] {
		if err := measureOverheads(ctx, c, r, bin, work, fx, newDoer); err != nil {
			return err
		}
	}
	r.print(os.Stdout)
	return nil
}

// measureOverheads measures what a password issue adds to its bcrypt check: paired at the
// configured cost, and, when that is above overheadRounds, precisely on a second server.
func measureOverheads(ctx context.Context, c config, r *report, bin, work string, fx *fixtures, newDoer func() doer) error {
	var password operation
	for _, o := range operations(fx) {
		if o.short == "password" {
			password = o
		}
	}
	d := newDoer()
	var err error
	r.passwordOverhead, err = measurePasswordOverhead(ctx, d, password, c.rounds, c.duration)
	d.close()
	if err != nil {
		return err
	}
	r.passwordPaired = true
	r.lowCostOverhead = r.passwordOverhead
	if c.rounds > overheadRounds {
		r.lowCostOverhead, err = measureOverheadAtLowCost(ctx, bin, work, c.lean, c.duration/2)
	}
	return err
}
