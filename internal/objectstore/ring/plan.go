package ring

import (
	"math"
	"slices"
)

// Tier levels, from the widest failure domain to a single device.
const (
	levelRegion = iota
	levelZone
	levelIP
	levelDevice
	levelCount
)

// tierKey names one tier: a region, a zone in a region, an ip in a zone or
// a device. Fields below the tier's level are zero.
type tierKey struct {
	level  int
	region int
	zone   int
	ip     string
	id     int
}

// keyAt returns the key of the device's tier at the given level.
func keyAt(d *Device, level int) tierKey {
	k := tierKey{level: level, region: d.Region}
	if level >= levelZone {
		k.zone = d.Zone
	}
	if level >= levelIP {
		k.ip = normIP(d.IP)
	}
	if level >= levelDevice {
		k.id = d.ID
	}
	return k
}

// node is one tier in the plan tree with its share of the replicas.
type node struct {
	key      tierKey
	share    float64 // replicas of every partition this tier should hold
	maxPer   int     // most replicas of one partition allowed in this tier
	target   int     // partition-replicas this tier should hold
	assigned int     // partition-replicas it holds now
	children []*node
	rank     int // seeded tie-breaker
}

// wanted is how many more partition-replicas the tier should take.
func (n *node) wanted() int { return n.target - n.assigned }

// plan is the replica plan for one rebalance: the weighted tier tree with
// each tier's share, per-partition maximum and target part counts.
type plan struct {
	regions []*node
	tiers   map[tierKey]*node
	leaf    []*node   // by device id; nil for devices without weight
	path    [][]*node // by device id: region, zone, ip, device nodes
	wantedF []float64 // by device id: exact (fractional) parts wanted
}

// buildPlan spreads replicas*parts over devs in proportion to weight, no
// device holding more than one replica of a partition while there are at
// least as many devices as replicas.
func buildPlan(devs []*Device, nIDs, replicas, parts int, ranks func(int) []int) *plan {
	shares := replicaShares(devs, replicas)
	p := &plan{
		tiers:   map[tierKey]*node{},
		leaf:    make([]*node, nIDs),
		path:    make([][]*node, nIDs),
		wantedF: make([]float64, nIDs),
	}
	targets := apportion(shares, parts*replicas)
	for i, d := range devs {
		var parent *node
		path := make([]*node, levelCount)
		for level := range levelCount {
			k := keyAt(d, level)
			n := p.tiers[k]
			if n == nil {
				n = &node{key: k}
				p.tiers[k] = n
				if parent == nil {
					p.regions = append(p.regions, n)
				} else {
					parent.children = append(parent.children, n)
				}
			}
			n.share += shares[i]
			n.target += targets[i]
			path[level] = n
			parent = n
		}
		p.leaf[d.ID] = path[levelDevice]
		p.path[d.ID] = path
		p.wantedF[d.ID] = shares[i] * float64(parts)
	}
	for _, n := range p.tiers {
		n.maxPer = min(replicas, int(math.Ceil(n.share-1e-9)))
		n.maxPer = max(n.maxPer, 1)
	}
	p.rankChildren(p.regions, ranks)
	return p
}

// rankChildren gives siblings a seeded order used to break ties.
func (p *plan) rankChildren(nodes []*node, ranks func(int) []int) {
	r := ranks(len(nodes))
	for i, n := range nodes {
		n.rank = r[i]
		p.rankChildren(n.children, ranks)
	}
}

// replicaShares returns each device's share of the replicas of every
// partition, proportional to weight but capped at one replica per device
// (or at ceil(replicas/devices) when there are fewer devices than
// replicas); the excess of capped devices goes to the others.
func replicaShares(devs []*Device, replicas int) []float64 {
	capShare := 1.0
	if len(devs) < replicas {
		capShare = math.Ceil(float64(replicas) / float64(len(devs)))
	}
	shares := make([]float64, len(devs))
	capped := make([]bool, len(devs))
	remaining := float64(replicas)
	for {
		total := 0.0
		for i, d := range devs {
			if !capped[i] {
				total += d.Weight
			}
		}
		over := false
		for i, d := range devs {
			if !capped[i] && remaining*d.Weight/total > capShare+1e-12 {
				capped[i], shares[i] = true, capShare
				remaining -= capShare
				over = true
			}
		}
		if !over {
			for i, d := range devs {
				if !capped[i] {
					shares[i] = remaining * d.Weight / total
				}
			}
			return shares
		}
	}
}

// apportion splits total into integers proportional to shares using the
// largest-remainder method; ties go to the lower index.
func apportion(shares []float64, total int) []int {
	sum := 0.0
	for _, s := range shares {
		sum += s
	}
	out := make([]int, len(shares))
	rem := make([]float64, len(shares))
	given := 0
	for i, s := range shares {
		exact := s / sum * float64(total)
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		given += out[i]
	}
	order := make([]int, len(shares))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for i := 0; given < total; i++ {
		out[order[i%len(order)]]++
		given++
	}
	return out
}

// maxAt returns the per-partition maximum for a tier; tiers without weight
// allow none.
func (p *plan) maxAt(k tierKey) int {
	if n := p.tiers[k]; n != nil {
		return n.maxPer
	}
	return 0
}
