// Command network benchmarks gostack's network service (Neutron v2.0) at the sizes clouds
// reach: it starts its own `gostack serve` on free loopback ports with a temporary state
// directory (quotas off), creates a network with one /22 subnet and 1,000 ports on it, 8
// requests in flight, and checks that no address was handed out twice and every address is
// inside the subnet's pools; then it grows to 10,000 ports (one more network and /22 per
// 1,000 ports) and times the whole port list, pages of 100 and filtered lists; then it creates
// 1,000 security groups and times their list. With -scale it grows on to 100,000 ports and
// times the pages and filters again, to show they stay flat. It prints the server's CPU and
// memory per phase and a table of figures, targets and verdicts; timing never makes it exit
// non-zero.
//
//	go run ./bench/network [-creates 1000] [-ports 10000] [-groups 1000] [-scale] [-lists 100] [-full-lists 20] [-dir DIR] [-gostack PATH] [-keep]
//
// The client shares the machine's CPUs with the server, so the CPU seconds of both are shown.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gostack/gostack/bench/internal/harness"
)

// subnetCapacity is the number of addresses a /22 hands out: 1,024 less the network and
// broadcast addresses and the gateway.
const subnetCapacity = 1021

// config is the benchmark's command line.
type config struct {
	creates     int // ports created and timed on the first network's /22
	ports       int // ports in all before the 10,000-port timings
	scalePorts  int // ports in all before the last timings; 0: no scale phase
	perNetwork  int // ports per network (one /22 each) while growing
	groups      int // security groups created before their list is timed
	lists       int // timed requests per page, filter and security-group list query
	fullLists   int // timed requests per whole port list
	concurrency int // requests in flight while creating
	dir         string
	gostack     string // the binary; "" builds ./cmd/gostack
	keep        bool   // keep the temporary directory
	progress    io.Writer
}

func main() {
	c := config{progress: os.Stderr}
	scale := flag.Bool("scale", false, "grow to -scale-ports ports and time pages and filters there too")
	flag.IntVar(&c.creates, "creates", 1000, "ports created (and timed) on the first network's /22")
	flag.IntVar(&c.ports, "ports", 10000, "ports in all before the list timings")
	scalePorts := flag.Int("scale-ports", 100000, "ports in all with -scale")
	flag.IntVar(&c.perNetwork, "per-network", 1000, "ports per network (one /22 subnet each) while growing")
	flag.IntVar(&c.groups, "groups", 1000, "security groups created before timing their list")
	flag.IntVar(&c.lists, "lists", 100, "timed requests for each page, filter and security-group list query")
	flag.IntVar(&c.fullLists, "full-lists", 20, "timed requests for each whole port list")
	flag.IntVar(&c.concurrency, "concurrency", 8, "parallel requests while creating")
	flag.StringVar(&c.dir, "dir", "", "directory to hold the temporary state (default: the temp dir if it is on the working directory's disk and not tmpfs, else the module's parent)")
	flag.StringVar(&c.gostack, "gostack", "", "the gostack binary to run (default: build ./cmd/gostack)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (state, config, server log)")
	flag.Parse()
	if *scale {
		c.scalePorts = *scalePorts
	}
	if err := c.validate(); err != nil {
		fail(2, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fail(1, err)
	}
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "network bench:", err)
	os.Exit(code)
}

// validate checks the figures of the command line.
func (c config) validate() error {
	switch {
	case c.perNetwork < 1 || c.perNetwork > subnetCapacity:
		return fmt.Errorf("-per-network must be within 1..%d (what a /22 holds)", subnetCapacity)
	case c.creates < 1 || c.creates > c.perNetwork:
		return fmt.Errorf("-creates must be within 1..-per-network (%d): they share one /22", c.perNetwork)
	case c.ports < c.creates:
		return fmt.Errorf("-ports must be at least -creates")
	case c.scalePorts != 0 && c.scalePorts <= c.ports:
		return fmt.Errorf("-scale-ports must be more than -ports")
	case (max(c.ports, c.scalePorts)+c.perNetwork-1)/c.perNetwork > 1000:
		return fmt.Errorf("more than 1,000 networks needed (the default VXLAN range); raise -per-network")
	case c.groups < 1:
		return fmt.Errorf("-groups must be at least 1")
	case c.lists < 1 || c.fullLists < 1:
		return fmt.Errorf("-lists and -full-lists must be at least 1")
	case c.concurrency < 1:
		return fmt.Errorf("-concurrency must be at least 1")
	}
	return nil
}

// neutronExtra is neutron.conf past its bind address: no quota stops the benchmark.
const neutronExtra = "[quotas]\nquota_network = -1\nquota_subnet = -1\nquota_port = -1\n" +
	"quota_security_group = -1\nquota_security_group_rule = -1\n"

// run is the whole benchmark: directory, server, measurements, report.
func run(ctx context.Context, c config, out io.Writer) error {
	if c.progress == nil {
		c.progress = io.Discard
	}
	need := int64(512 << 20)
	if c.scalePorts > 0 {
		need = 2 << 30
	}
	w, err := harness.NewWorkDir(c.dir, "gostack-bench-network-", need)
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(c.progress, "state, config and server log kept in %s\n", w.Path)
	} else {
		defer os.RemoveAll(w.Path)
	}
	bin := c.gostack
	if bin == "" {
		fmt.Fprintln(c.progress, "building gostack …")
		if bin, err = harness.Build(ctx, w.Path); err != nil {
			return err
		}
	}
	srv, err := harness.Start(ctx, harness.Options{Binary: bin, Dir: w.Path, Extra: map[string]string{"network": neutronExtra}})
	if err != nil {
		return err
	}
	defer srv.Stop()
	cl := newClient(srv.URL("network"), c.concurrency)
	if err := cl.Login(ctx, srv.IdentityURL, srv.Password); err != nil {
		return srv.Explain(err)
	}
	b := &bench{c: c, cl: cl, srv: srv, r: &report{c: c, dir: w.Path, fsType: w.FSType}}
	if err := b.all(ctx); err != nil {
		return srv.Explain(err)
	}
	b.r.print(out)
	return nil
}
