package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/gostack/gostack/bench/internal/harness"
)

// probeDevice is the device_id of the one port the filtered lists look for.
const probeDevice = "bench-probe-device"

// bench is a run in progress: what it has created and what it has measured.
type bench struct {
	c       config
	cl      *client
	srv     *harness.Server
	r       *report
	subnets []subnet // one per network, in the order they were created
	ports   []port   // every port created, in order
}

// all runs every phase in turn.
func (b *bench) all(ctx context.Context) error {
	b.r.idleRSS = b.srv.SettledRSS()
	steps := []struct {
		name string
		run  func(context.Context) error
		skip bool
	}{
		{fmt.Sprintf("create %d ports on one /22", b.c.creates), b.createFirst, false},
		{"check their addresses", b.checkFirst, false},
		{fmt.Sprintf("time lists at %d ports", b.c.creates), b.timeAt(b.c.fullLists), false},
		{fmt.Sprintf("grow to %d ports", b.c.ports), b.grow(b.c.ports), b.c.ports == b.c.creates},
		{fmt.Sprintf("check all %d ports, walk the pages", b.c.ports), b.checkAll, false},
		{fmt.Sprintf("time lists at %d ports", b.c.ports), b.timeAt(b.c.fullLists), b.c.ports == b.c.creates},
		{fmt.Sprintf("create %d security groups", b.c.groups), b.groups, false},
		{"time the security-group list", b.timeGroupList, false},
		{fmt.Sprintf("grow to %d ports", b.c.scalePorts), b.grow(b.c.scalePorts), b.c.scalePorts == 0},
		{fmt.Sprintf("time lists at %d ports", b.c.scalePorts), b.timeAt(min(3, b.c.fullLists)), b.c.scalePorts == 0},
	}
	for _, s := range steps {
		if s.skip {
			continue
		}
		fmt.Fprintf(b.c.progress, "%s …\n", s.name)
		p, err := harness.Watch(b.srv.PID(), func() error { return s.run(ctx) })
		b.r.phases = append(b.r.phases, phaseRow{name: s.name, Phase: p, rss: b.srv.RSS()})
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.r.endRSS = b.srv.SettledRSS()
	return nil
}

// createFirst creates the first network and its /22, then c.creates ports on it, and gives
// the first port the device_id the filters look for.
func (b *bench) createFirst(ctx context.Context) error {
	cr, err := b.createPorts(ctx, b.c.creates)
	b.r.first = cr
	if err != nil {
		return err
	}
	if len(b.ports[0].FixedIPs) == 0 {
		return fmt.Errorf("port %s has no fixed IP", b.ports[0].ID)
	}
	b.ports[0].DeviceID = probeDevice
	return b.cl.setDeviceID(ctx, b.ports[0].ID, probeDevice)
}

// checkFirst lists the first network's ports and checks their addresses and MACs.
func (b *bench) checkFirst(ctx context.Context) error {
	sub := b.subnets[0]
	page, err := b.cl.listPorts(ctx, url.Values{"network_id": {sub.NetworkID}})
	if err != nil {
		return err
	}
	b.r.firstCheck = checkAddresses(page.Ports, b.c.creates, map[string]subnet{sub.ID: sub})
	b.r.firstPools = poolText(sub)
	return nil
}

// timeAt returns a step timing the lists at the current number of ports, the whole list
// fullReps times.
func (b *bench) timeAt(fullReps int) func(context.Context) error {
	return func(ctx context.Context) error {
		cp, err := b.measureCheckpoint(ctx, fullReps)
		if err != nil {
			return err
		}
		b.r.checkpoints = append(b.r.checkpoints, cp)
		return nil
	}
}

// grow returns a step creating ports until there are total.
func (b *bench) grow(total int) func(context.Context) error {
	return func(ctx context.Context) error {
		cr, err := b.createPorts(ctx, total)
		if err == nil {
			b.r.grows = append(b.r.grows, cr)
		}
		return err
	}
}

// checkAll lists every port at once and checks all addresses, then walks the pages.
func (b *bench) checkAll(ctx context.Context) error {
	page, err := b.cl.listPorts(ctx, nil)
	if err != nil {
		return err
	}
	subs := make(map[string]subnet, len(b.subnets))
	for _, s := range b.subnets {
		subs[s.ID] = s
	}
	b.r.allCheck = checkAddresses(page.Ports, len(b.ports), subs)
	b.r.walk, err = b.walk(ctx)
	return err
}

// groups creates the security groups.
func (b *bench) groups(ctx context.Context) error {
	cr, err := b.createGroups(ctx)
	b.r.groups = cr
	return err
}

// timeGroupList times the security-group list.
func (b *bench) timeGroupList(ctx context.Context) error {
	t, err := b.timeGroups(ctx)
	b.r.groupList = t
	return err
}
