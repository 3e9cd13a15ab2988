package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// bcryptPassword is the password hashed for the in-process checks.
var bcryptPassword = []byte("benchmark-password")

// bcryptHash returns a hash of bcryptPassword at the given cost.
func bcryptHash(rounds int) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword(bcryptPassword, rounds)
	if err != nil {
		return nil, fmt.Errorf("bcrypt at cost %d: %w", rounds, err)
	}
	return hash, nil
}

// bcryptCheck times one in-process check of bcryptPassword against hash.
func bcryptCheck(hash []byte) (time.Duration, error) {
	t0 := time.Now()
	if err := bcrypt.CompareHashAndPassword(hash, bcryptPassword); err != nil {
		return 0, fmt.Errorf("bcrypt check: %w", err)
	}
	return time.Since(t0), nil
}

// bcryptCost measures, in this process, one bcrypt password check at the given cost — the
// work the server must do for each password authentication. It returns the median of at
// least ten checks, taking about a second when checks are cheap.
func bcryptCost(rounds int) (time.Duration, error) {
	hash, err := bcryptHash(rounds)
	if err != nil {
		return 0, err
	}
	var samples []time.Duration
	start := time.Now()
	for len(samples) < 10 || (time.Since(start) < time.Second && len(samples) < 1000) {
		d, err := bcryptCheck(hash)
		if err != nil {
			return 0, err
		}
		samples = append(samples, d)
	}
	return percentile(samples, 50), nil
}

// pairedOverhead is what a password issue costs beyond its bcrypt check, measured in pairs.
type pairedOverhead struct {
	rounds int           // the bcrypt cost of the server and of the in-process checks
	median time.Duration // median over the pairs of (issue latency - check time)
	spread time.Duration // half the interquartile range of the differences: the noise
	pairs  int
	err    string // the first failed request, if any
}

// measurePasswordOverhead alternates a password token issue with an in-process bcrypt check
// at the same cost, for d (at least minPairs pairs), and takes the median of the differences.
// Pairing cancels the drift of a shared machine's speed, which at high costs is larger than
// the overhead being measured; the order within a pair alternates for the same reason.
func measurePasswordOverhead(ctx context.Context, dr doer, o operation, rounds int, d time.Duration) (pairedOverhead, error) {
	const minPairs = 10
	hash, err := bcryptHash(rounds)
	if err != nil {
		return pairedOverhead{}, err
	}
	out := pairedOverhead{rounds: rounds}
	var diffs []time.Duration
	start := time.Now()
	for i := 0; ctx.Err() == nil && (len(diffs) < minPairs || time.Since(start) < d); i++ {
		var issue, check time.Duration
		for step := range 2 {
			if (i+step)%2 == 0 {
				t0 := time.Now()
				status, body, err := dr.send(ctx, o.next(i))
				issue = time.Since(t0)
				if err == nil && status != o.want {
					err = fmt.Errorf("status %d: %.200s", status, body)
				}
				if err != nil {
					out.err = err.Error()
					return out, nil
				}
			} else if check, err = bcryptCheck(hash); err != nil {
				return out, err
			}
		}
		diffs = append(diffs, issue-check)
	}
	out.median, out.pairs = percentile(diffs, 50), len(diffs)
	out.spread = (percentile(diffs, 75) - percentile(diffs, 25)) / 2
	return out, ctx.Err()
}

// overheadRounds is the bcrypt cost at which the password overhead is measured precisely: at
// cost 12 a check takes ~260ms and varies by several milliseconds from one to the next on a
// shared machine, hiding a sub-millisecond overhead; at cost 4 it takes ~1ms. What a password
// issue adds to its check (lookups, token, body, HTTP) does not depend on the cost.
const overheadRounds = 4

// measureOverheadAtLowCost starts a second server whose admin password is hashed at
// overheadRounds and measures the paired overhead there for d.
func measureOverheadAtLowCost(ctx context.Context, bin, work string, lean bool, d time.Duration) (pairedOverhead, error) {
	dir := filepath.Join(work, "low-cost")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return pairedOverhead{}, err
	}
	srv, err := startServer(ctx, bin, dir, overheadRounds)
	if err != nil {
		return pairedOverhead{}, err
	}
	defer srv.stop()
	var dr doer = netHTTPDoer{newClient(srv.url, 1)}
	if lean {
		dr = newLeanDoer(srv.url)
	}
	defer dr.close()
	password := passwordBody(srv.access, true)
	o := operation{name: opPassword, want: http.StatusCreated, next: func(int) call {
		return call{method: http.MethodPost, path: "/v3/auth/tokens", body: password}
	}}
	return measurePasswordOverhead(ctx, dr, o, overheadRounds, d)
}
