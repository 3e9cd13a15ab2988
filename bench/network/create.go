package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// creation is one batch of parallel creates.
type creation struct {
	what      string // "ports", "security groups"
	n, conc   int
	networks  int // networks created for the batch; 0 for security groups
	total     int // ports in all after the batch
	elapsed   time.Duration
	latencies []time.Duration // of each request
	cpu       harness.CPUTimes
}

// rate is creates per second.
func (c creation) rate() float64 {
	if c.elapsed <= 0 {
		return 0
	}
	return float64(c.n) / c.elapsed.Seconds()
}

// cidr is the /22 of the block-th network: 10.0.0.0/22, 10.0.4.0/22, … so that no two
// networks share an address and a fixed_ips=ip_address filter finds one port.
func cidr(block int) string {
	return fmt.Sprintf("10.%d.%d.0/22", block*4/256, block*4%256)
}

// ensureNetworks creates networks, each with its /22, until there are count.
func (b *bench) ensureNetworks(ctx context.Context, count int) error {
	for len(b.subnets) < count {
		i := len(b.subnets)
		netID, err := b.cl.createNetwork(ctx, fmt.Sprintf("bench-net-%03d", i))
		if err != nil {
			return err
		}
		sub, err := b.cl.createSubnet(ctx, netID, fmt.Sprintf("bench-subnet-%03d", i), cidr(i))
		if err != nil {
			return err
		}
		b.subnets = append(b.subnets, sub)
	}
	return nil
}

// createPorts grows the port count to total: port k goes to network k/perNetwork, the
// networks it needs are created first, and c.concurrency ports are created at a time.
func (b *bench) createPorts(ctx context.Context, total int) (creation, error) {
	from := len(b.ports)
	cr := creation{what: "ports", n: total - from, total: total, conc: b.c.concurrency, latencies: make([]time.Duration, total-from)}
	had := len(b.subnets)
	if err := b.ensureNetworks(ctx, (total+b.c.perNetwork-1)/b.c.perNetwork); err != nil {
		return cr, err
	}
	cr.networks = len(b.subnets) - had
	b.ports = append(b.ports, make([]port, total-from)...)
	mark := harness.MarkCPU(b.srv.PID())
	start := time.Now()
	err := harness.Parallel(ctx, total-from, b.c.concurrency, func(ctx context.Context, i int) error {
		k := from + i
		p, took, err := b.cl.createPort(ctx, b.subnets[k/b.c.perNetwork].NetworkID)
		if err != nil {
			return fmt.Errorf("creating port %d: %w", k+1, err)
		}
		b.ports[k], cr.latencies[i] = p, took
		return nil
	})
	cr.elapsed, cr.cpu = time.Since(start), mark.Since()
	if err != nil {
		b.ports = b.ports[:from]
	}
	return cr, err
}

// createGroups creates c.groups security groups, c.concurrency at a time.
func (b *bench) createGroups(ctx context.Context) (creation, error) {
	cr := creation{what: "security groups", n: b.c.groups, conc: b.c.concurrency, latencies: make([]time.Duration, b.c.groups)}
	mark := harness.MarkCPU(b.srv.PID())
	start := time.Now()
	err := harness.Parallel(ctx, b.c.groups, b.c.concurrency, func(ctx context.Context, i int) error {
		took, err := b.cl.createSecurityGroup(ctx, fmt.Sprintf("bench-sg-%04d", i))
		if err != nil {
			return fmt.Errorf("creating security group %d: %w", i+1, err)
		}
		cr.latencies[i] = took
		return nil
	})
	cr.elapsed, cr.cpu = time.Since(start), mark.Since()
	return cr, err
}
