package ring

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// maxBalance is reported for a device that holds partitions it should not
// (weight 0), as swift-ring-builder does.
const maxBalance = 999.99

// rebalancer is the working state of one Rebalance call.
type rebalancer struct {
	b        *Builder
	plan     *plan
	assigned []int                 // by device id, including devices without weight
	touched  []bool                // by partition: a replica moved in this rebalance
	free     bool                  // first build: moves within it cost nothing
	order    []int                 // seeded permutation of partitions
	keys     [][levelCount]tierKey // by device id: the device's tier keys
	budget   int                   // edge checks augment may still spend
}

// augmentWork bounds augment's search, per partition in the ring, so a
// ring that cannot be balanced (or one with very many devices) still
// rebalances in bounded time; what remains shows in the balance.
const augmentWork = 256

// deviceKeys precomputes every device's tier keys.
func deviceKeys(devs []*Device) [][levelCount]tierKey {
	keys := make([][levelCount]tierKey, len(devs))
	for id, d := range devs {
		if d == nil {
			continue
		}
		for level := range levelCount {
			keys[id][level] = keyAt(d, level)
		}
	}
	return keys
}

// Rebalance assigns partitions to devices: replicas on removed devices are
// reassigned, replicas in over-crowded tiers are spread out, then
// partitions move from devices above their weight share to devices below
// it. A partition moved within min_part_hours is left alone and at most one
// replica of a partition moves per call (except off removed devices). The
// same builder state and seed always give the same result. It returns the
// number of partitions that changed and the resulting balance (see
// Balance).
func (b *Builder) Rebalance(seed int64) (moved int, balance float64, err error) {
	devs := b.weightedDevs()
	if len(devs) == 0 {
		return 0, 0, errors.New("rebalance: no devices with weight > 0")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x67737472696e67)) // "gstring"
	b.ageLastMoves()
	parts := b.partCount()
	rb := &rebalancer{
		b:       b,
		plan:    buildPlan(devs, len(b.devs), b.replicas, parts, rng.Perm),
		touched: make([]bool, parts),
		free:    b.r2p2d == nil,
		order:   rng.Perm(parts),
		keys:    deviceKeys(b.devs),
	}
	before := b.snapshot()
	if rb.free {
		b.r2p2d = make([][]uint16, b.replicas)
		for r := range b.r2p2d {
			b.r2p2d[r] = slices.Repeat([]uint16{noDev}, parts)
		}
		b.lastMoves = make([]uint8, parts)
	}
	rb.countAssigned()
	rb.gatherRemoved()
	rb.gatherDispersion()
	rb.placeUnassigned()
	rb.pullToUnderweight()
	rb.augment()
	moved = b.countChanged(before)
	b.dropRemoved()
	b.version++
	return moved, b.Balance(), nil
}

// ageLastMoves adds the whole hours elapsed since the last rebalance to
// every partition's "hours since moved".
func (b *Builder) ageLastMoves() {
	now := b.now().Unix()
	if b.lastMoves == nil || b.movesEpoch == 0 {
		b.movesEpoch = now
		return
	}
	hours := (now - b.movesEpoch) / 3600
	if hours <= 0 {
		return
	}
	for i, h := range b.lastMoves {
		b.lastMoves[i] = uint8(min(int64(h)+hours, maxPartHours))
	}
	b.movesEpoch += hours * 3600
}

// snapshot copies the partition table.
func (b *Builder) snapshot() [][]uint16 {
	out := make([][]uint16, len(b.r2p2d))
	for r, row := range b.r2p2d {
		out[r] = slices.Clone(row)
	}
	return out
}

// countChanged counts partitions whose set of devices differs from before.
func (b *Builder) countChanged(before [][]uint16) int {
	if len(before) == 0 {
		return b.partCount()
	}
	n := 0
	cur := make([]uint16, b.replicas)
	old := make([]uint16, b.replicas)
	for p := range b.partCount() {
		for r := range b.replicas {
			cur[r], old[r] = b.r2p2d[r][p], before[r][p]
		}
		slices.Sort(cur)
		slices.Sort(old)
		if !slices.Equal(cur, old) {
			n++
		}
	}
	return n
}

// dropRemoved deletes devices marked for removal; they hold no partitions
// after a rebalance.
func (b *Builder) dropRemoved() {
	for id := range b.removing {
		b.devs[id] = nil
		delete(b.removing, id)
	}
	for len(b.devs) > 0 && b.devs[len(b.devs)-1] == nil {
		b.devs = b.devs[:len(b.devs)-1]
	}
}

// countAssigned fills per-device and per-tier part counts.
func (rb *rebalancer) countAssigned() {
	rb.assigned = make([]int, len(rb.b.devs))
	for _, row := range rb.b.r2p2d {
		for _, id := range row {
			if id != noDev {
				rb.add(int(id), 1)
			}
		}
	}
}

// add changes the part count of a device and its tiers.
func (rb *rebalancer) add(id, delta int) {
	if id >= len(rb.assigned) {
		return
	}
	rb.assigned[id] += delta
	for _, n := range rb.plan.path[id] {
		n.assigned += delta
	}
}

// movable reports whether partition p may move in this rebalance.
func (rb *rebalancer) movable(p int) bool {
	if rb.free {
		return true
	}
	return !rb.touched[p] && int(rb.b.lastMoves[p]) >= rb.b.minPartHours
}

// unassign empties replica slot r of partition p.
func (rb *rebalancer) unassign(r, p int) {
	rb.add(int(rb.b.r2p2d[r][p]), -1)
	rb.b.r2p2d[r][p] = noDev
	rb.touched[p] = true
}

// assign puts replica r of partition p on device id.
func (rb *rebalancer) assign(r, p, id int) {
	rb.b.r2p2d[r][p] = uint16(id)
	rb.add(id, 1)
	rb.touched[p] = true
	rb.b.lastMoves[p] = 0
}

// live reports whether id names a device that may keep partitions.
func (rb *rebalancer) live(id uint16) bool {
	return int(id) < len(rb.b.devs) && rb.b.devs[id] != nil && !rb.b.removing[int(id)]
}

// gatherRemoved unassigns every replica on a removed or unknown device.
func (rb *rebalancer) gatherRemoved() {
	for r, row := range rb.b.r2p2d {
		for p, id := range row {
			if id != noDev && !rb.live(id) {
				rb.unassign(r, p)
			}
		}
	}
}

// tierCount counts replicas of p (other than slot skip) within tier k.
func (rb *rebalancer) tierCount(p, skip int, k tierKey) int {
	n := 0
	for r, row := range rb.b.r2p2d {
		if id := row[p]; r != skip && id != noDev && rb.keys[id][k.level] == k {
			n++
		}
	}
	return n
}

// worstSlot returns the replica slot of p that sits in the most
// over-crowded tier (widest tier first), or -1 if p is well dispersed.
// Devices without weight count as over-crowded so they drain.
func (rb *rebalancer) worstSlot(p int) int {
	for level := range levelCount {
		best, bestOver := -1, 0
		for r, row := range rb.b.r2p2d {
			id := row[p]
			if id == noDev {
				continue
			}
			k := rb.keys[id][level]
			over := rb.tierCount(p, -1, k) - rb.plan.maxAt(k)
			if over > bestOver || (over == bestOver && over > 0 && rb.excess(id) > rb.excess(rb.b.r2p2d[best][p])) {
				best, bestOver = r, over
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

// excess is how many parts a device holds above its target.
func (rb *rebalancer) excess(id uint16) int {
	if n := rb.plan.leaf[id]; n != nil {
		return -n.wanted()
	}
	return rb.assigned[id]
}

// gatherDispersion unassigns one replica of each movable partition whose
// replicas crowd a tier beyond the replica plan.
func (rb *rebalancer) gatherDispersion() {
	for _, p := range rb.order {
		if !rb.movable(p) {
			continue
		}
		if r := rb.worstSlot(p); r >= 0 {
			rb.unassign(r, p)
		}
	}
}

// placeUnassigned finds a device for every empty replica slot.
func (rb *rebalancer) placeUnassigned() {
	for _, p := range rb.order {
		for r, row := range rb.b.r2p2d {
			if row[p] == noDev {
				rb.assign(r, p, rb.choose(p))
			}
		}
	}
}

// choose walks the tier tree from regions to devices, at each level taking
// the child that still has room for another replica of p and wants the
// most partitions.
func (rb *rebalancer) choose(p int) int {
	nodes := rb.plan.regions
	var pick *node
	for len(nodes) > 0 {
		pick = nil
		var pickCount int
		var pickOK bool
		for _, n := range nodes {
			c := rb.tierCount(p, -1, n.key)
			ok := c < n.maxPer
			if pick == nil || better(n, c, ok, pick, pickCount, pickOK) {
				pick, pickCount, pickOK = n, c, ok
			}
		}
		nodes = pick.children
	}
	return pick.key.id
}

// better orders candidate tiers: room for the replica first, then the most
// partitions wanted (or, with no room, the fewest replicas of p), then
// fewer replicas of p, then the seeded rank.
func better(n *node, c int, ok bool, o *node, oc int, ook bool) bool {
	if ok != ook {
		return ok
	}
	if !ok && c != oc {
		return c < oc
	}
	if n.wanted() != o.wanted() {
		return n.wanted() > o.wanted()
	}
	if c != oc {
		return c < oc
	}
	return n.rank < o.rank
}

// pullToUnderweight moves movable partitions from devices above their
// target onto devices below it, keeping every tier within the replica plan.
func (rb *rebalancer) pullToUnderweight() {
	var under []*node
	for _, n := range rb.plan.leaf {
		if n != nil && n.wanted() > 0 {
			under = append(under, n)
		}
	}
	slices.SortFunc(under, func(a, b *node) int {
		if a.wanted() != b.wanted() {
			return b.wanted() - a.wanted()
		}
		return a.key.id - b.key.id
	})
	for _, dst := range under {
		for _, p := range rb.order {
			if dst.wanted() <= 0 {
				break
			}
			if !rb.movable(p) {
				continue
			}
			if r := rb.donorSlot(p, dst); r >= 0 {
				rb.unassign(r, p)
				rb.assign(r, p, dst.key.id)
			}
		}
	}
}

// augment fills devices still below target through chains of moves when
// no overweight device holds a partition that fits them directly: it finds
// a shortest path over→d1→…→under where each hop has a movable partition
// that fits the next device, and moves one partition along every hop.
func (rb *rebalancer) augment() {
	cursors := map[[2]int]int{} // per (src, dst): scan position in rb.order
	rb.budget = augmentWork * len(rb.order)
	for rb.budget > 0 {
		path, parts := rb.augmentingPath(cursors)
		if path == nil {
			return
		}
		for i, p := range parts {
			r := rb.slotOn(p, path[i])
			dst := rb.plan.leaf[path[i+1]]
			if r < 0 || !rb.movable(p) || !rb.fits(p, r, dst) {
				break // invalidated by an earlier hop; the next search retries
			}
			rb.unassign(r, p)
			rb.assign(r, p, dst.key.id)
		}
	}
}

// augmentingPath runs a breadth-first search from every overweight device
// to a device below target; it returns the device path and the partition
// moving on each hop, or nil.
func (rb *rebalancer) augmentingPath(cursors map[[2]int]int) ([]int, []int) {
	n := len(rb.assigned)
	prev := slices.Repeat([]int{-1}, n)
	via := make([]int, n)
	var queue []int
	for id := range n {
		if rb.assigned[id] > 0 && rb.excess(uint16(id)) > 0 {
			prev[id] = id
			queue = append(queue, id)
		}
	}
	for len(queue) > 0 {
		src := queue[0]
		queue = queue[1:]
		for _, dst := range rb.plan.leaf {
			if dst == nil || prev[dst.key.id] >= 0 {
				continue
			}
			if rb.budget--; rb.budget < 0 {
				return nil, nil
			}
			edge := [2]int{src, dst.key.id}
			cur := cursors[edge]
			p := rb.edgePart(src, dst, &cur)
			cursors[edge] = cur
			if p < 0 {
				continue
			}
			prev[dst.key.id], via[dst.key.id] = src, p
			if dst.wanted() > 0 {
				return rb.tracePath(prev, via, dst.key.id)
			}
			queue = append(queue, dst.key.id)
		}
	}
	return nil, nil
}

// tracePath walks prev links back from end to a source.
func (rb *rebalancer) tracePath(prev, via []int, end int) ([]int, []int) {
	path, parts := []int{end}, []int(nil)
	for at := end; prev[at] != at; at = prev[at] {
		path = append(path, prev[at])
		parts = append(parts, via[at])
	}
	slices.Reverse(path)
	slices.Reverse(parts)
	return path, parts
}

// edgePart returns a movable partition on src that fits dst, resuming the
// scan at *cursor, or -1. A partition that fails once keeps failing within
// a rebalance (only moving it changes its fit), so the cursor never goes
// back.
func (rb *rebalancer) edgePart(src int, dst *node, cursor *int) int {
	for ; *cursor < len(rb.order); *cursor++ {
		if rb.budget--; rb.budget < 0 {
			return -1
		}
		p := rb.order[*cursor]
		if !rb.movable(p) {
			continue
		}
		r := rb.slotOn(p, src)
		if r >= 0 && rb.fits(p, r, dst) {
			return p
		}
	}
	return -1
}

// slotOn returns the replica slot of partition p on device id, or -1.
func (rb *rebalancer) slotOn(p, id int) int {
	for r, row := range rb.b.r2p2d {
		if int(row[p]) == id {
			return r
		}
	}
	return -1
}

// fits reports whether replica r of p could move to dst without crowding
// any of dst's tiers.
func (rb *rebalancer) fits(p, r int, dst *node) bool {
	if rb.slotOn(p, dst.key.id) >= 0 {
		return false
	}
	for _, n := range rb.plan.path[dst.key.id] {
		if rb.tierCount(p, r, n.key) >= n.maxPer {
			return false
		}
	}
	return true
}

// donorSlot returns a replica slot of p on an overweight device that can
// move to dst without crowding any of dst's tiers, or -1.
func (rb *rebalancer) donorSlot(p int, dst *node) int {
	for r, row := range rb.b.r2p2d {
		id := row[p]
		if id == noDev || rb.excess(id) <= 0 {
			continue
		}
		if rb.fits(p, r, dst) {
			return r
		}
	}
	return -1
}

// Balance returns the largest deviation, in percent, of any device's part
// count from its weight share (swift-ring-builder's "balance"); a device
// with weight 0 that still holds partitions counts as 999.99.
func (b *Builder) Balance() float64 {
	worst := 0.0
	for _, u := range b.Usage() {
		worst = max(worst, math.Abs(u.Balance))
	}
	return worst
}

// DeviceUsage is one device's place in the current assignment.
type DeviceUsage struct {
	Device
	// Parts is the number of partition replicas assigned to the device.
	Parts int
	// Wanted is the (fractional) number of partition replicas its weight
	// asks for.
	Wanted float64
	// Balance is 100*(Parts/Wanted - 1), or 999.99 for a device with weight
	// 0 that holds partitions.
	Balance float64
	// Removing is set for devices removed at the next rebalance.
	Removing bool
}

// Usage reports part counts and balance for every device, ordered by id.
func (b *Builder) Usage() []DeviceUsage {
	devs := b.weightedDevs()
	counts := make([]int, len(b.devs))
	for _, row := range b.r2p2d {
		for _, id := range row {
			if int(id) < len(counts) {
				counts[id]++
			}
		}
	}
	wanted := make([]float64, len(b.devs))
	if len(devs) > 0 {
		for i, s := range replicaShares(devs, b.replicas) {
			wanted[devs[i].ID] = s * float64(b.partCount())
		}
	}
	var out []DeviceUsage
	for _, d := range b.devs {
		if d == nil {
			continue
		}
		u := DeviceUsage{Device: *d, Parts: counts[d.ID], Wanted: wanted[d.ID], Removing: b.removing[d.ID]}
		switch {
		case u.Wanted > 0:
			u.Balance = 100 * (float64(u.Parts)/u.Wanted - 1)
		case u.Parts > 0:
			u.Balance = maxBalance
		}
		out = append(out, u)
	}
	return out
}

// Dispersion returns the percentage of partitions that have more replicas
// in some region, zone, ip or device than the replica plan allows for
// the current weights (0 when every partition is as spread out as the
// weights permit), in the spirit of swift-ring-builder's dispersion report.
func (b *Builder) Dispersion() float64 {
	devs := b.weightedDevs()
	if b.r2p2d == nil || len(devs) == 0 {
		return 0
	}
	pl := buildPlan(devs, len(b.devs), b.replicas, b.partCount(), func(n int) []int { return make([]int, n) })
	rb := &rebalancer{b: b, plan: pl, keys: deviceKeys(b.devs)}
	bad := 0
	for p := range b.partCount() {
		if rb.crowded(p) {
			bad++
		}
	}
	return 100 * float64(bad) / float64(b.partCount())
}

// crowded reports whether a weighted tier holds more replicas of p than
// the plan allows.
func (rb *rebalancer) crowded(p int) bool {
	for _, row := range rb.b.r2p2d {
		id := row[p]
		if id == noDev || rb.b.devs[id] == nil {
			continue
		}
		for level := range levelCount {
			k := rb.keys[id][level]
			if n := rb.plan.tiers[k]; n != nil && rb.tierCount(p, -1, k) > n.maxPer {
				return true
			}
		}
	}
	return false
}
