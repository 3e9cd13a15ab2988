// Command image benchmarks gostack's image service (Glance v2) the way clients use it: it
// starts its own `gostack serve` on free loopback ports with a temporary state directory on
// the same disk as the working directory, then, round after round, measures the floor with dd
// (a 1 GiB write with conv=fsync and its read back), uploads an image of the same size through
// PUT /v2/images/{id}/file from a generator and downloads it again with its md5 checked, while
// sampling the server's resident memory every 50 ms. Each download runs twice: into io.Discard
// as it arrives (the transfer), and through md5 (the check, bound by the client's hashing). Then it creates 1,000 images and times
// the image list. It prints a table of figures, targets and verdicts; timing never makes it
// exit non-zero.
//
//	go run ./bench/image [-size 1GiB] [-rounds 3] [-images 1000] [-lists 100] [-dir DIR] [-gostack PATH] [-keep]
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

// config is the benchmark's command line.
type config struct {
	size        int64  // bytes of the uploaded image and of the dd file
	rounds      int    // dd, upload and download repetitions
	images      int    // images created for the list timings
	lists       int    // timed requests per list query
	concurrency int    // parallel image creations
	dir         string // where the temporary directory goes; "" picks one on the working directory's disk
	gostack     string // the binary; "" builds ./cmd/gostack
	keep        bool   // keep the temporary directory
	progress    io.Writer
}

func main() {
	c := config{progress: os.Stderr}
	size := flag.String("size", "1GiB", "image and dd size, a whole number of MiB (e.g. 8MiB, 1GiB)")
	flag.IntVar(&c.rounds, "rounds", 3, "how many times dd, the upload and the download run")
	flag.IntVar(&c.images, "images", 1000, "how many images to create before timing the list")
	flag.IntVar(&c.lists, "lists", 100, "timed requests for each list query")
	flag.IntVar(&c.concurrency, "concurrency", 8, "parallel requests while creating images")
	flag.StringVar(&c.dir, "dir", "", "directory to hold the temporary state (default: the temp dir if it is on the working directory's disk and not tmpfs, else the module's parent)")
	flag.StringVar(&c.gostack, "gostack", "", "the gostack binary to run (default: build ./cmd/gostack)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (state, server log)")
	flag.Parse()
	var err error
	if c.size, err = parseSize(*size); err != nil {
		fail(2, err)
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
	fmt.Fprintln(os.Stderr, "image bench:", err)
	os.Exit(code)
}

// validate checks the figures of the command line.
func (c config) validate() error {
	switch {
	case c.size <= 0 || c.size%(1<<20) != 0:
		return fmt.Errorf("-size must be a positive whole number of MiB")
	case c.rounds < 1:
		return fmt.Errorf("-rounds must be at least 1")
	case c.images < 1 || c.images > 1000:
		return fmt.Errorf("-images must be within 1..1000 (the API's largest page)")
	case c.lists < 1:
		return fmt.Errorf("-lists must be at least 1")
	case c.concurrency < 1:
		return fmt.Errorf("-concurrency must be at least 1")
	}
	return nil
}

// run is the whole benchmark: directory, server, rounds, list, report.
func run(ctx context.Context, c config, out io.Writer) error {
	if c.progress == nil {
		c.progress = io.Discard
	}
	w, err := harness.NewWorkDir(c.dir, "gostack-bench-image-", 2*c.size+256<<20)
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Fprintf(c.progress, "state and server log kept in %s\n", w.Path)
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
	srv, err := harness.Start(ctx, harness.Options{Binary: bin, Dir: w.Path})
	if err != nil {
		return err
	}
	defer srv.Stop()
	r, err := measureAll(ctx, c, w, srv)
	if err != nil {
		return srv.Explain(err)
	}
	r.print(out)
	return nil
}

// measureAll logs in, runs the transfer rounds and the list timings.
func measureAll(ctx context.Context, c config, w *harness.WorkDir, srv *harness.Server) (*report, error) {
	cl := newClient(srv.URL("image"), c.concurrency)
	if err := cl.Login(ctx, srv.IdentityURL, srv.Password); err != nil {
		return nil, err
	}
	r := &report{size: c.size, dir: w.Path, fsType: w.FSType}
	fmt.Fprintln(c.progress, "computing the md5 of the generated image …")
	want := expectedMD5(c.size)
	r.baseRSS = srv.SettledRSS()
	for i := range c.rounds {
		fmt.Fprintf(c.progress, "round %d/%d: dd, upload, download …\n", i+1, c.rounds)
		rr, err := runRound(ctx, cl, srv, w, c.size, want, i)
		if err != nil {
			return nil, fmt.Errorf("round %d: %w", i+1, err)
		}
		r.rounds = append(r.rounds, rr)
	}
	r.afterRSS = srv.SettledRSS()
	fmt.Fprintf(c.progress, "creating %d images, timing the list …\n", c.images)
	lr, err := measureList(ctx, cl, srv.PID(), c.images, c.concurrency, c.lists)
	if err != nil {
		return nil, err
	}
	r.list = lr
	return r, nil
}
