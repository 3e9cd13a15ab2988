package main

import (
	"fmt"
	"net/netip"
)

// maxProblems is how many problems a check lists by name.
const maxProblems = 5

// addressCheck is what a look at the listed ports' fixed IPs and MACs found.
type addressCheck struct {
	ports    int      // ports listed
	want     int      // ports created
	addrs    int      // distinct addresses
	macs     int      // distinct (network, MAC) pairs
	problems []string // the first few problems
	count    int      // problems in all
}

// ok reports whether every created port was listed once with one address inside its subnet's
// pools, no address or MAC was given twice, and nothing else was wrong.
func (a addressCheck) ok() bool { return a.count == 0 && a.ports == a.want }

// problem records one problem.
func (a *addressCheck) problem(format string, args ...any) {
	a.count++
	if len(a.problems) < maxProblems {
		a.problems = append(a.problems, fmt.Sprintf(format, args...))
	}
}

// checkAddresses checks that each port has exactly one fixed IP, on a known subnet, inside its
// allocation pools and not the gateway, that no address is held by two ports and no MAC
// appears twice on a network.
func checkAddresses(ports []port, want int, subnets map[string]subnet) addressCheck {
	a := addressCheck{ports: len(ports), want: want}
	if len(ports) != want {
		a.problem("listed %d ports, created %d", len(ports), want)
	}
	byAddr := make(map[netip.Addr]string, len(ports))
	macs := make(map[string]string, len(ports))
	ids := make(map[string]bool, len(ports))
	for _, p := range ports {
		if ids[p.ID] {
			a.problem("port %s listed twice", p.ID)
		}
		ids[p.ID] = true
		if other, dup := macs[p.NetworkID+" "+p.MAC]; dup {
			a.problem("ports %s and %s share MAC %s", other, p.ID, p.MAC)
		}
		macs[p.NetworkID+" "+p.MAC] = p.ID
		if len(p.FixedIPs) != 1 {
			a.problem("port %s has %d fixed IPs, want 1", p.ID, len(p.FixedIPs))
		}
		for _, f := range p.FixedIPs {
			addr, err := netip.ParseAddr(f.IPAddress)
			if err != nil {
				a.problem("port %s has address %q", p.ID, f.IPAddress)
				continue
			}
			if other, dup := byAddr[addr]; dup {
				a.problem("ports %s and %s share address %s", other, p.ID, addr)
			}
			byAddr[addr] = p.ID
			if why := outside(addr, subnets[f.SubnetID], p.NetworkID); why != "" {
				a.problem("port %s: %s %s", p.ID, addr, why)
			}
		}
	}
	a.addrs, a.macs = len(byAddr), len(macs)
	return a
}

// outside says why an address does not belong to the subnet, or "" when it is in its pools.
func outside(addr netip.Addr, s subnet, networkID string) string {
	if s.ID == "" {
		return "is on a subnet the benchmark did not create"
	}
	if s.NetworkID != networkID {
		return "is on subnet " + s.ID + " of another network"
	}
	if pfx, err := netip.ParsePrefix(s.CIDR); err != nil || !pfx.Contains(addr) {
		return "is outside " + s.CIDR
	}
	if gw, err := netip.ParseAddr(s.GatewayIP); err == nil && gw == addr {
		return "is the gateway"
	}
	for _, pl := range s.Pools {
		lo, err1 := netip.ParseAddr(pl.Start)
		hi, err2 := netip.ParseAddr(pl.End)
		if err1 == nil && err2 == nil && lo.Compare(addr) <= 0 && addr.Compare(hi) <= 0 {
			return ""
		}
	}
	return "is outside the allocation pools"
}

// poolText writes a subnet's pools: "10.0.0.2–10.0.3.254".
func poolText(s subnet) string {
	text := ""
	for i, p := range s.Pools {
		if i > 0 {
			text += ", "
		}
		text += p.Start + "–" + p.End
	}
	return text
}
