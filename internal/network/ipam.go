package network

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
)

// IP address management. A subnet's addresses are handed out from its allocation pools; each
// address in use is a row of net_ip_allocation whose primary key (subnet_id, ip_address) is
// what keeps two ports from ever getting the same address: concurrent transactions may pick
// the same candidate, but only one INSERT wins, and the loser tries another. Candidates are
// found by random probing (one query checks a handful of random pool addresses), so picking an
// address costs the same on a /16 as on a /24; only when probing keeps hitting used addresses
// — a nearly full subnet — are the subnet's allocations read to find the free ones, and a
// random one of the first few hundred is taken, as Neutron's reference IPAM driver does.

// u128 is an unsigned 128-bit integer: an IPv6 address, or an IPv4 one in the low bits.
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:])}
}

func fromU128(u u128, v4 bool) netip.Addr {
	if v4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(u.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], u.hi)
	binary.BigEndian.PutUint64(b[8:], u.lo)
	return netip.AddrFrom16(b)
}

func (u u128) cmp(v u128) int {
	switch {
	case u.hi != v.hi:
		if u.hi < v.hi {
			return -1
		}
		return 1
	case u.lo < v.lo:
		return -1
	case u.lo > v.lo:
		return 1
	}
	return 0
}

func (u u128) add(v u128) u128 {
	lo, carry := bits.Add64(u.lo, v.lo, 0)
	hi, _ := bits.Add64(u.hi, v.hi, carry)
	return u128{hi, lo}
}

func (u u128) sub(v u128) u128 {
	lo, borrow := bits.Sub64(u.lo, v.lo, 0)
	hi, _ := bits.Sub64(u.hi, v.hi, borrow)
	return u128{hi, lo}
}

func (u u128) isZero() bool { return u.hi == 0 && u.lo == 0 }

// randBelow is a uniform random value in [0, n); n must not be zero.
func randBelow(n u128) u128 {
	if n.hi == 0 {
		return u128{lo: rand.Uint64N(n.lo)}
	}
	for {
		v := u128{hi: rand.Uint64N(n.hi + 1), lo: rand.Uint64()}
		if n.hi == ^uint64(0) || v.cmp(n) < 0 {
			return v
		}
	}
}

// ipRange is an inclusive range of addresses of one family: an allocation pool.
type ipRange struct {
	Start netip.Addr `json:"start"`
	End   netip.Addr `json:"end"`
}

// size is the number of addresses in the range (0 stands for 2^128, which no pool reaches).
func (r ipRange) size() u128 { return toU128(r.End).sub(toU128(r.Start)).add(u128{lo: 1}) }

func (r ipRange) contains(a netip.Addr) bool {
	return a.Is4() == r.Start.Is4() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// String is how Neutron's messages print a range: first-last.
func (r ipRange) String() string { return r.Start.String() + "-" + r.End.String() }

// lastAddr is the last address of a prefix (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	u := toU128(p.Addr())
	hostBits := p.Addr().BitLen() - p.Bits()
	switch {
	case hostBits >= 64:
		u.lo = ^uint64(0)
		u.hi |= (uint64(1) << (hostBits - 64)) - 1
		if hostBits == 128 {
			u.hi = ^uint64(0)
		}
	case hostBits > 0:
		u.lo |= (uint64(1) << hostBits) - 1
	}
	return fromU128(u, p.Addr().Is4())
}

// usableRange is where a subnet's pools may lie, as Neutron has it: an IPv4 subnet loses its
// network and broadcast addresses (unless it is a /31 or /32), an IPv6 one its first address
// (the subnet-router anycast address).
func usableRange(p netip.Prefix) ipRange {
	first, last := p.Addr(), lastAddr(p)
	if p.Addr().Is4() && p.Bits() > 30 {
		return ipRange{first, last}
	}
	if first != last {
		first = first.Next()
	}
	if p.Addr().Is4() && first != last {
		last = last.Prev()
	}
	return ipRange{first, last}
}

// defaultGateway is the first host address of a subnet, when it can be a gateway.
func defaultGateway(p netip.Prefix) (netip.Addr, bool) {
	gw := p.Addr().Next()
	if !gw.IsValid() || !p.Contains(gw) || gatewayInvalid(p, gw) {
		return netip.Addr{}, false
	}
	return gw, true
}

// gatewayInvalid reports an IPv4 gateway that is the subnet's network or broadcast address.
func gatewayInvalid(p netip.Prefix, gw netip.Addr) bool {
	return p.Addr().Is4() && p.Contains(gw) && (gw == p.Addr() || gw == lastAddr(p))
}

// defaultPools is the whole usable range of a subnet minus its gateway.
func defaultPools(p netip.Prefix, gw netip.Addr) []ipRange {
	r := usableRange(p)
	if !gw.IsValid() || !r.contains(gw) {
		return []ipRange{r}
	}
	var out []ipRange
	if gw != r.Start {
		out = append(out, ipRange{r.Start, gw.Prev()})
	}
	if gw != r.End {
		out = append(out, ipRange{gw.Next(), r.End})
	}
	return out
}

// validatePools checks allocation pools against a subnet with Neutron's errors: each pool
// inside the subnet's usable range, no two overlapping, the gateway in none of them.
func validatePools(pools []ipRange, p netip.Prefix, gw netip.Addr) error {
	usable := usableRange(p)
	for _, r := range pools {
		if r.Start.Is4() != p.Addr().Is4() || r.End.Is4() != p.Addr().Is4() || r.End.Less(r.Start) {
			return &BadRequestError{Type: "InvalidAllocationPool", Message: fmt.Sprintf("The allocation pool %s is not valid.", poolDict(r))}
		}
		if r.Start.Less(usable.Start) || usable.End.Less(r.End) {
			return &BadRequestError{Type: "OutOfBoundsAllocationPool",
				Message: fmt.Sprintf("The allocation pool %s spans beyond the subnet cidr %s.", r, p)}
		}
	}
	for i, a := range pools {
		for _, b := range pools[i+1:] {
			if !a.End.Less(b.Start) && !b.End.Less(a.Start) {
				return &ConflictError{Type: "OverlappingAllocationPools",
					Message: fmt.Sprintf("Found overlapping allocation pools: %s %s for subnet %s.", a, b, p)}
			}
		}
	}
	return gatewayOutOfPools(gw, pools)
}

// gatewayOutOfPools refuses a gateway inside an allocation pool.
func gatewayOutOfPools(gw netip.Addr, pools []ipRange) error {
	if !gw.IsValid() {
		return nil
	}
	for _, r := range pools {
		if r.contains(gw) {
			return &ConflictError{Type: "GatewayConflictWithAllocationPools",
				Message: fmt.Sprintf("Gateway ip %s conflicts with allocation pool %s.", gw, r)}
		}
	}
	return nil
}

// poolDict prints a pool the way Neutron prints the dict it was given.
func poolDict(r ipRange) string {
	return fmt.Sprintf("{'start': '%s', 'end': '%s'}", r.Start, r.End)
}

// eui64 is the SLAAC address of a MAC on a /64, as IPv6 hosts form it (RFC 4291 appendix A).
func eui64(p netip.Prefix, mac macAddr) netip.Addr {
	b := p.Addr().As16()
	b[8], b[9], b[10], b[11] = mac[0]^0x02, mac[1], mac[2], 0xff
	b[12], b[13], b[14], b[15] = 0xfe, mac[3], mac[4], mac[5]
	return netip.AddrFrom16(b)
}

// validForSubnet is Neutron's check of a requested fixed IP: inside the subnet and, on IPv4,
// neither its network nor its broadcast address; on IPv6 not the subnet-router anycast
// address, except for router ports.
func validForSubnet(p netip.Prefix, a netip.Addr, deviceOwner string) bool {
	if a.Is4() != p.Addr().Is4() || !p.Contains(a) {
		return false
	}
	if a.Is4() {
		return p.Bits() > 30 || (a != p.Addr() && a != lastAddr(p))
	}
	return a != p.Addr() || deviceOwner == "" || slices.Contains(routerPortOwners, deviceOwner)
}

// IPAM tuning: candidates checked per probe query, probe rounds before the allocations are
// read, and how many of the first free addresses the fallback picks among (Neutron's window).
const (
	probeBatch  = 8
	probeRounds = 3
	freeWindow  = 1000
)

// ipamTx allocates and releases addresses inside one transaction.
type ipamTx struct {
	ctx       context.Context
	tx        *db.Tx
	networkID string
	portID    string
}

// insert records an address for the port; false means another port holds it.
func (t ipamTx) insert(subnetID string, a netip.Addr) (bool, error) {
	_, ok, err := unlessDuplicate(t.ctx, t.tx, "INSERT INTO net_ip_allocation (subnet_id, ip_address, port_id, network_id) VALUES (?, ?, ?, ?)",
		subnetID, a.String(), t.portID, t.networkID)
	return ok, err
}

// takeSpecific allocates a requested address: Neutron's 409 IpAddressAlreadyAllocated when
// another port has it.
func (t ipamTx) takeSpecific(sub *Subnet, a netip.Addr) error {
	ok, err := t.insert(sub.ID, a)
	if err != nil {
		return err
	}
	if !ok {
		return &ConflictError{Type: "IpAddressAlreadyAllocated",
			Message: fmt.Sprintf("IP address %s already allocated in subnet %s", a, sub.ID)}
	}
	return nil
}

// takeAny allocates a free address from the subnet's pools; false when there is none.
func (t ipamTx) takeAny(sub *Subnet) (netip.Addr, bool, error) {
	total := u128{}
	for _, r := range sub.Pools {
		total = total.add(r.size())
	}
	if total.isZero() {
		return netip.Addr{}, false, nil
	}
	for range probeRounds {
		cands := probe(sub.Pools, total, probeBatch)
		taken, err := t.taken(sub.ID, cands)
		if err != nil {
			return netip.Addr{}, false, err
		}
		for _, c := range cands {
			if taken[c] {
				continue
			}
			ok, err := t.insert(sub.ID, c)
			if err != nil || ok {
				return c, ok, err
			}
		}
	}
	free, err := t.firstFree(sub)
	if err != nil {
		return netip.Addr{}, false, err
	}
	rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	for _, c := range free {
		ok, err := t.insert(sub.ID, c)
		if err != nil || ok {
			return c, ok, err
		}
	}
	return netip.Addr{}, false, nil
}

// probe picks up to n distinct random addresses of the pools, uniformly.
func probe(pools []ipRange, total u128, n int) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for range n * 2 {
		if len(out) == n {
			break
		}
		off := randBelow(total)
		for _, r := range pools {
			sz := r.size()
			if off.cmp(sz) < 0 {
				a := fromU128(toU128(r.Start).add(off), r.Start.Is4())
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
				break
			}
			off = off.sub(sz)
		}
	}
	return out
}

// taken returns which of the candidates are allocated.
func (t ipamTx) taken(subnetID string, cands []netip.Addr) (map[netip.Addr]bool, error) {
	args := []any{subnetID}
	for _, c := range cands {
		args = append(args, c.String())
	}
	used, err := db.QueryStrings(t.ctx, t.tx, "SELECT ip_address FROM net_ip_allocation WHERE subnet_id = ? AND ip_address IN ("+inList(len(cands))+")", args...)
	if err != nil {
		return nil, err
	}
	out := make(map[netip.Addr]bool, len(used))
	for _, u := range used {
		if a, err := netip.ParseAddr(u); err == nil {
			out[a] = true
		}
	}
	return out, nil
}

// firstFree reads the subnet's allocations and returns the first free pool addresses (at
// most freeWindow of them).
func (t ipamTx) firstFree(sub *Subnet) ([]netip.Addr, error) {
	used, err := db.QueryStrings(t.ctx, t.tx, "SELECT ip_address FROM net_ip_allocation WHERE subnet_id = ?", sub.ID)
	if err != nil {
		return nil, err
	}
	alloc := make([]u128, 0, len(used))
	for _, u := range used {
		if a, err := netip.ParseAddr(u); err == nil {
			alloc = append(alloc, toU128(a))
		}
	}
	slices.SortFunc(alloc, u128.cmp)
	var free []netip.Addr
	for _, r := range sub.Pools {
		cur, end := toU128(r.Start), toU128(r.End)
		i, _ := slices.BinarySearchFunc(alloc, cur, u128.cmp)
		for cur.cmp(end) <= 0 && len(free) < freeWindow {
			for i < len(alloc) && alloc[i].cmp(cur) < 0 {
				i++
			}
			if i < len(alloc) && alloc[i] == cur {
				i++
			} else {
				free = append(free, fromU128(cur, r.Start.Is4()))
			}
			if cur == end {
				break
			}
			cur = cur.add(u128{lo: 1})
		}
	}
	return free, nil
}

// parseIP reads an address as Neutron's validator does: IPv4 in its canonical dotted form (no
// leading zeros), IPv6 in any form, without a zone.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || (!strings.Contains(s, ":") && strings.Count(s, ".") != 3) {
		return netip.Addr{}, fmt.Errorf("'%s' is not a valid IP address", s)
	}
	return a, nil
}

// parseCIDR reads a subnet as Neutron's validator does (a prefix length is required) and
// returns it normalised to its network address.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("'%s' is not a valid IP subnet", s)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("'%s' is not a valid IP subnet", s)
	}
	return p.Masked(), nil
}
