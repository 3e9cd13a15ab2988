package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// listQuery is one timed list request and what it returned.
type listQuery struct {
	query     string // e.g. "limit=1000"
	want      int    // images per page expected
	latencies []time.Duration
	bytes     int // body size of a page
	cpu       harness.CPUTimes
}

// listResult is the list part of the benchmark.
type listResult struct {
	images  int
	conc    int
	create  time.Duration // wall time to create them all
	queries []listQuery
}

// measureList creates n images with conc requests in flight, then times GET /v2/images with
// limit=n (the whole set on one page) and with the default page size, reps times each.
func measureList(ctx context.Context, cl *client, pid, n, conc, reps int) (listResult, error) {
	res := listResult{images: n, conc: conc}
	start := time.Now()
	if err := createMany(ctx, cl, n, conc); err != nil {
		return res, err
	}
	res.create = time.Since(start)
	for _, q := range []listQuery{{query: fmt.Sprintf("limit=%d", n), want: n}, {query: "", want: min(n, 25)}} {
		if err := timeList(ctx, cl, pid, &q, reps); err != nil {
			return res, err
		}
		res.queries = append(res.queries, q)
	}
	return res, nil
}

// createMany creates n metadata-only images, conc at a time; it stops at the first error.
func createMany(ctx context.Context, cl *client, n, conc int) error {
	return harness.Parallel(ctx, n, conc, func(ctx context.Context, i int) error {
		extra := map[string]any{"tags": []string{"bench"}, "min_disk": 1, "os_distro": "cirros"}
		if _, err := cl.createImage(ctx, fmt.Sprintf("bench-list-%04d", i), extra); err != nil {
			return fmt.Errorf("creating image %d: %w", i, err)
		}
		return nil
	})
}

// timeList checks one page of the query, then times reps more requests.
func timeList(ctx context.Context, cl *client, pid int, q *listQuery, reps int) error {
	url := cl.image + "/v2/images"
	if q.query != "" {
		url += "?" + q.query
	}
	_, body, err := cl.GetTimed(ctx, url) // warms the connection and checks the page
	if err != nil {
		return err
	}
	var page struct {
		Images []json.RawMessage `json:"images"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if len(page.Images) != q.want {
		return fmt.Errorf("GET %s returned %d images, want %d", url, len(page.Images), q.want)
	}
	q.bytes = len(body)
	mark := harness.MarkCPU(pid)
	for range reps {
		took, _, err := cl.GetTimed(ctx, url)
		if err != nil {
			return err
		}
		q.latencies = append(q.latencies, took)
	}
	q.cpu = mark.Since()
	return nil
}
