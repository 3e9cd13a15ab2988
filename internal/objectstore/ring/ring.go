package ring

import (
	"crypto/md5"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
)

// Ring is the read-only, compact form of a builder that every node loads:
// the devices and, for each replica, the device of every partition. Its
// lookup methods are safe for concurrent use once SetHashPath was called.
type Ring struct {
	partPower int
	replicas  int
	version   int
	devs      []*Device  // by id; nil for free ids
	r2p2d     [][]uint16 // replica -> partition -> device id

	prefix, suffix string

	// number of distinct tiers among devices holding partitions
	tierTotals [levelCount]int
	inTable    []int                 // ids of devices holding partitions, ascending
	keys       [][levelCount]tierKey // by device id
}

// Ring returns the ring for the builder's current assignment. The builder
// must have been rebalanced.
func (b *Builder) Ring() (*Ring, error) {
	if b.r2p2d == nil {
		return nil, errors.New("ring: builder has not been rebalanced")
	}
	devs := make([]*Device, len(b.devs))
	for i, d := range b.devs {
		if d != nil {
			c := *d
			devs[i] = &c
		}
	}
	return newRing(b.partPower, b.replicas, b.version, devs, b.snapshot())
}

// newRing checks a partition table against its devices and indexes it.
func newRing(partPower, replicas, version int, devs []*Device, table [][]uint16) (*Ring, error) {
	if partPower < 1 || partPower > MaxPartPower {
		return nil, fmt.Errorf("ring: part power %d out of range 1..%d", partPower, MaxPartPower)
	}
	if replicas < 1 || replicas > MaxReplicas || len(table) != replicas {
		return nil, fmt.Errorf("ring: %d replica rows for replica count %d", len(table), replicas)
	}
	for id, d := range devs {
		if d != nil && d.ID != id {
			return nil, fmt.Errorf("ring: device at index %d has id %d", id, d.ID)
		}
	}
	rg := &Ring{partPower: partPower, replicas: replicas, version: version, devs: devs, r2p2d: table, keys: deviceKeys(devs)}
	used := make([]bool, len(devs))
	for r, row := range table {
		if len(row) != 1<<partPower {
			return nil, fmt.Errorf("ring: replica %d has %d partitions, want %d", r, len(row), 1<<partPower)
		}
		for p, id := range row {
			if int(id) >= len(devs) || devs[id] == nil {
				return nil, fmt.Errorf("ring: partition %d replica %d refers to unknown device %d", p, r, id)
			}
			used[id] = true
		}
	}
	seen := [levelCount]map[tierKey]bool{}
	for level := range seen {
		seen[level] = map[tierKey]bool{}
	}
	for id, ok := range used {
		if !ok {
			continue
		}
		rg.inTable = append(rg.inTable, id)
		for level := range levelCount {
			seen[level][rg.keys[id][level]] = true
		}
	}
	for level := range levelCount {
		rg.tierTotals[level] = len(seen[level])
	}
	return rg, nil
}

// SetHashPath sets swift.conf's swift_hash_path_prefix and
// swift_hash_path_suffix used to hash paths. Call it before sharing the
// ring between goroutines.
func (rg *Ring) SetHashPath(prefix, suffix string) { rg.prefix, rg.suffix = prefix, suffix }

// PartPower returns the partition power.
func (rg *Ring) PartPower() int { return rg.partPower }

// PartitionCount returns 2^PartPower.
func (rg *Ring) PartitionCount() int { return 1 << rg.partPower }

// ReplicaCount returns the number of replicas of every partition.
func (rg *Ring) ReplicaCount() int { return rg.replicas }

// Version returns the builder version the ring was made from.
func (rg *Ring) Version() int { return rg.version }

// Devices returns copies of the ring's devices, ordered by id.
func (rg *Ring) Devices() []Device {
	var out []Device
	for _, d := range rg.devs {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out
}

// Partition returns the partition of a path: the top PartPower bits of
// its HashPath. Callers validate the path (ValidatePath) first.
func (rg *Ring) Partition(account, container, object string) uint32 {
	return partitionOf(HashPath(rg.prefix, rg.suffix, account, container, object), rg.partPower)
}

// GetNodes returns the partition of a path and its primary devices.
func (rg *Ring) GetNodes(account, container, object string) (uint32, []Device, error) {
	if err := ValidatePath(account, container, object); err != nil {
		return 0, nil, err
	}
	part := rg.Partition(account, container, object)
	return part, rg.PartNodes(part), nil
}

// PartNodes returns the primary devices of a partition, one per replica
// (a device holding several replicas is listed once), or nil when part is
// out of range.
func (rg *Ring) PartNodes(part uint32) []Device {
	if uint64(part) >= uint64(rg.PartitionCount()) {
		return nil
	}
	out := make([]Device, 0, rg.replicas)
	for _, row := range rg.r2p2d {
		id := row[part]
		if !slices.ContainsFunc(out, func(d Device) bool { return d.ID == int(id) }) {
			out = append(out, *rg.devs[id])
		}
	}
	return out
}

// Handoffs yields the devices to try, in order, when a primary of the
// partition fails, as Swift's get_more_nodes: it walks other partitions in
// a sequence fixed by the partition number and takes their devices, first
// those in regions the primaries are not in, then new zones, then new
// ips, then any other device; devices that hold no partitions follow in id
// order. No device is yielded twice and no primary is yielded.
func (rg *Ring) Handoffs(part uint32) iter.Seq[Device] {
	return func(yield func(Device) bool) {
		if uint64(part) >= uint64(rg.PartitionCount()) {
			return
		}
		h := newHandoffState(rg, part)
		for level := range levelCount {
			if !h.pass(level, yield) {
				return
			}
		}
		for _, d := range rg.devs {
			if d != nil && !h.used[d.ID] {
				h.used[d.ID] = true
				if !yield(*d) {
					return
				}
			}
		}
	}
}

// handoffState tracks the devices and tiers already yielded.
type handoffState struct {
	rg    *Ring
	start int
	inc   int
	used  []bool
	tiers [levelCount]map[tierKey]bool
}

func newHandoffState(rg *Ring, part uint32) *handoffState {
	h := &handoffState{rg: rg, used: make([]bool, len(rg.devs))}
	for level := range h.tiers {
		h.tiers[level] = map[tierKey]bool{}
	}
	for _, row := range rg.r2p2d {
		h.mark(int(row[part]))
	}
	parts := rg.PartitionCount()
	h.start = int(partitionOf(md5.Sum([]byte(strconv.FormatUint(uint64(part), 10))), rg.partPower))
	h.inc = max(parts/65536, 1)
	return h
}

// mark records a device and its tiers as used.
func (h *handoffState) mark(id int) {
	h.used[id] = true
	for level := range levelCount {
		h.tiers[level][h.rg.keys[id][level]] = true
	}
}

// pass walks the handoff partitions yielding unused devices whose tier at
// level is new, until every tier of that level is used. It returns false
// when the consumer stopped.
func (h *handoffState) pass(level int, yield func(Device) bool) bool {
	parts := h.rg.PartitionCount()
	for step := 0; step < parts/h.inc; step++ {
		if len(h.tiers[level]) >= h.rg.tierTotals[level] {
			return true
		}
		hp := (h.start + step*h.inc) % parts
		for _, row := range h.rg.r2p2d {
			id := int(row[hp])
			d := h.rg.devs[id]
			if h.used[id] || h.tiers[level][h.rg.keys[id][level]] {
				continue
			}
			h.mark(id)
			if !yield(*d) {
				return false
			}
		}
	}
	return true
}
