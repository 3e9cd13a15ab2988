package placement

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gostack/gostack/internal/platform/db"
)

// acProvider is a provider as allocation candidates see it.
type acProvider struct {
	uuid, parent, root string
	created            int64 // microseconds; trees are tried oldest root first
	traits             map[string]bool
	traitList          []string // sorted, for summaries
	classList          []string // the classes of its inventory, sorted, for summaries
	aggs               map[string]bool
}

// hasTrait is the trait lookup filters use.
func (p *acProvider) hasTrait(t string) bool { return p.traits[t] }

// inAgg is the aggregate lookup filters use.
func (p *acProvider) inAgg(a string) bool { return p.aggs[a] }

// topology is the part of the cloud allocation candidates search that allocations do not
// change: every provider with its tree, traits and aggregates, and every inventory. A placement
// process caches it and reloads it when the database's topology version moves on.
type topology struct {
	version int64
	inv     map[string]map[string]inventory // provider → class → inventory
	provs   map[string]*acProvider
	trees   map[string][]string // root → members, sorted
	roots   []string            // oldest first
	sharing []string            // providers with MISC_SHARES_VIA_AGGREGATE, sorted
}

// acWorld is what one GET /allocation_candidates computes on: the topology and current usage.
type acWorld struct {
	*topology
	cap  *capacitySnapshot
	full *capacitySnapshot // the same: every class, for provider summaries
}

// topologyCache holds the last topology this process loaded.
type topologyCache struct {
	mu      sync.Mutex // guards topo
	loading sync.Mutex // one load at a time
	topo    *topology
}

// world returns the topology (from cache when the database's version has not moved) and the
// current usage of every provider.
func (s *Service) world(ctx context.Context) (*acWorld, error) {
	var version int64
	if err := s.db.QueryRow(ctx, "SELECT version FROM placement_topology WHERE id = 1").Scan(&version); err != nil {
		return nil, err
	}
	topo, err := s.topology(ctx, version)
	if err != nil {
		return nil, err
	}
	used, err := loadUsed(ctx, s.db)
	if err != nil {
		return nil, err
	}
	c := &capacitySnapshot{inv: topo.inv, used: used}
	return &acWorld{topology: topo, cap: c, full: c}, nil
}

// topology returns a topology at least as new as version.
func (s *Service) topology(ctx context.Context, version int64) (*topology, error) {
	cached := func() *topology {
		s.topo.mu.Lock()
		defer s.topo.mu.Unlock()
		if t := s.topo.topo; t != nil && t.version >= version {
			return t
		}
		return nil
	}
	if t := cached(); t != nil {
		return t, nil
	}
	s.topo.loading.Lock()
	defer s.topo.loading.Unlock()
	if t := cached(); t != nil { // another request loaded it meanwhile
		return t, nil
	}
	t, err := loadTopology(ctx, s.db, version)
	if err != nil {
		return nil, err
	}
	s.topo.mu.Lock()
	s.topo.topo = t
	s.topo.mu.Unlock()
	return t, nil
}

// loadTopology reads the whole topology; version is the one read before, so that a change
// made while loading is seen by the next request.
func loadTopology(ctx context.Context, q db.Querier, version int64) (*topology, error) {
	t := &topology{version: version, provs: map[string]*acProvider{}, trees: map[string][]string{}}
	err := db.EachRow(ctx, q, `SELECT uuid, parent_uuid, root_uuid, created_at FROM placement_provider`, nil, func(r db.Scanner) error {
		p := &acProvider{traits: map[string]bool{}, aggs: map[string]bool{}}
		var parent *string
		if err := r.Scan(&p.uuid, &parent, &p.root, &p.created); err != nil {
			return err
		}
		if parent != nil {
			p.parent = *parent
		}
		t.provs[p.uuid] = p
		t.trees[p.root] = append(t.trees[p.root], p.uuid)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, rel := range []struct {
		query string
		set   func(p *acProvider, v string)
	}{
		{"SELECT provider_uuid, trait FROM placement_provider_trait", func(p *acProvider, v string) { p.traits[v] = true }},
		{"SELECT provider_uuid, aggregate_uuid FROM placement_provider_aggregate", func(p *acProvider, v string) { p.aggs[v] = true }},
	} {
		err := db.EachRow(ctx, q, rel.query, nil, func(r db.Scanner) error {
			var p, v string
			if err := r.Scan(&p, &v); err != nil {
				return err
			}
			if pr := t.provs[p]; pr != nil {
				rel.set(pr, v)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	c, err := loadCapacity(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	t.inv = c.inv
	t.index()
	return t, nil
}

// loadUsed reads what is allocated of every class on every provider.
func loadUsed(ctx context.Context, q db.Querier) (map[string]map[string]int64, error) {
	used := map[string]map[string]int64{}
	err := db.EachRow(ctx, q, `SELECT provider_uuid, resource_class, SUM(used) FROM placement_allocation GROUP BY provider_uuid, resource_class`,
		nil, func(r db.Scanner) error {
			var p, rc string
			var n int64
			if err := r.Scan(&p, &rc, &n); err != nil {
				return err
			}
			if used[p] == nil {
				used[p] = map[string]int64{}
			}
			used[p][rc] = n
			return nil
		})
	return used, err
}

// index sorts the trees and finds the sharing providers.
func (w *topology) index() {
	for root, members := range w.trees {
		slices.Sort(members)
		w.roots = append(w.roots, root)
	}
	slices.SortFunc(w.roots, func(a, b string) int {
		pa, pb := w.provs[a], w.provs[b]
		if pa == nil || pb == nil || pa.created == pb.created {
			return compareStrings(a, b)
		}
		if pa.created < pb.created {
			return -1
		}
		return 1
	})
	for id, p := range w.provs {
		p.traitList = mapKeys(p.traits)
		p.classList = mapKeys(w.inv[id])
		if p.traits[sharesViaAggregate] {
			w.sharing = append(w.sharing, id)
		}
	}
	slices.Sort(w.sharing)
}

// sharingFor returns the sharing providers outside the tree that share an aggregate with a
// provider in it.
func (w *acWorld) sharingFor(root string) []string {
	var out []string
	for _, s := range w.sharing {
		sp := w.provs[s]
		if sp.root == root {
			continue
		}
		for _, m := range w.trees[root] {
			if shareAggregate(sp, w.provs[m]) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// shareAggregate reports whether two providers are in a common aggregate.
func shareAggregate(a, b *acProvider) bool {
	for agg := range a.aggs {
		if b.aggs[agg] {
			return true
		}
	}
	return false
}

// acPick is one resource class of one group served by one provider.
type acPick struct {
	group  int
	class  string
	amount int64
	prov   string
}

// acSlot is a choice the search makes: the provider of one class of the unsuffixed group, or
// the one provider of a whole granular group.
type acSlot struct {
	group   int
	classes []string // the classes the slot's provider serves
	options []string // the providers that could
}

// candidate is one allocation request: its picks.
type candidate []acPick

// search enumerates the allocation requests one tree can serve, calling emit for each until
// emit returns false.
type search struct {
	w       *acWorld
	req     *acRequest
	slots   []acSlot
	picks   []acPick
	extra   map[string]map[string]int64 // provider → class → amount picked so far
	emit    func(candidate) bool
	stopped bool
}

// treeSlots builds the search slots of a tree; ok is false when some slot has no option.
func (w *acWorld) treeSlots(req *acRequest, root string, trees map[string]string) ([]acSlot, bool) {
	pool := append(slices.Clone(w.trees[root]), w.sharingFor(root)...)
	var slots []acSlot
	for gi, g := range req.groups {
		eligible := func(p *acProvider) bool {
			if g.inTree != "" && p.root != trees[g.inTree] {
				return false
			}
			if g.suffix != "" {
				return g.traits.matches(p.hasTrait) && g.aggs.matches(p.inAgg)
			}
			rootP := w.provs[p.root]
			return g.aggs.matches(p.inAgg) || (rootP != nil && g.aggs.matches(rootP.inAgg))
		}
		fits := func(p string, classes []string) bool {
			for _, rc := range classes {
				if !w.cap.canAllocate(p, rc, g.resources[rc]) {
					return false
				}
			}
			return true
		}
		var groupSlots [][]string
		if g.suffix != "" {
			groupSlots = [][]string{g.classes}
		} else {
			for _, rc := range g.classes {
				groupSlots = append(groupSlots, []string{rc})
			}
		}
		for _, classes := range groupSlots {
			s := acSlot{group: gi, classes: classes}
			for _, p := range pool {
				if eligible(w.provs[p]) && fits(p, classes) {
					s.options = append(s.options, p)
				}
			}
			if len(s.options) == 0 {
				return nil, false
			}
			slots = append(slots, s)
		}
	}
	return slots, true
}

// run assigns slot i onwards.
func (s *search) run(i int) {
	if s.stopped {
		return
	}
	if i == len(s.slots) {
		if s.valid() && !s.emit(slices.Clone(s.picks)) {
			s.stopped = true
		}
		return
	}
	slot := s.slots[i]
	g := s.req.groups[slot.group]
	for _, p := range slot.options {
		if s.req.isolate && g.suffix != "" && s.usedByOtherGroup(p, slot.group) {
			continue
		}
		if !s.room(p, slot.classes, g) {
			continue
		}
		n := len(s.picks)
		for _, rc := range slot.classes {
			s.picks = append(s.picks, acPick{group: slot.group, class: rc, amount: g.resources[rc], prov: p})
			s.add(p, rc, g.resources[rc])
		}
		s.run(i + 1)
		for _, pk := range s.picks[n:] {
			s.add(pk.prov, pk.class, -pk.amount)
		}
		s.picks = s.picks[:n]
		if s.stopped {
			return
		}
	}
}

// usedByOtherGroup reports whether another granular group already picked p.
func (s *search) usedByOtherGroup(p string, group int) bool {
	for _, pk := range s.picks {
		if pk.prov == p && pk.group != group && s.req.groups[pk.group].suffix != "" {
			return true
		}
	}
	return false
}

// room reports whether p still has room for the group's amounts of classes on top of what the
// search picked from it already.
func (s *search) room(p string, classes []string, g *acGroup) bool {
	for _, rc := range classes {
		if s.extra[p][rc] > 0 && !s.w.cap.canAllocateMore(p, rc, s.extra[p][rc], g.resources[rc]) {
			return false
		}
	}
	return true
}

// add records amount of rc picked from p.
func (s *search) add(p, rc string, amount int64) {
	if s.extra[p] == nil {
		s.extra[p] = map[string]int64{}
	}
	s.extra[p][rc] += amount
}

// valid checks what only a complete request can show: the unsuffixed group's traits, which
// the providers serving it (or, without unsuffixed resources, all of them) have together, and
// the root's traits (root_required).
func (s *search) valid() bool {
	for gi, g := range s.req.groups {
		if g.suffix != "" || g.traits.empty() {
			continue
		}
		var provs []*acProvider
		for _, pk := range s.picks {
			if pk.group == gi || len(g.resources) == 0 {
				provs = append(provs, s.w.provs[pk.prov])
			}
		}
		has := func(t string) bool {
			return slices.ContainsFunc(provs, func(p *acProvider) bool { return p.traits[t] })
		}
		if !g.traits.matches(has) {
			return false
		}
	}
	for _, set := range s.req.sameGroups {
		if !s.sameSubtree(set) {
			return false
		}
	}
	return true
}

// sameSubtree reports whether one of the providers serving the groups is an ancestor (or
// itself) of all the others.
func (s *search) sameSubtree(groups []int) bool {
	var provs []string
	for _, pk := range s.picks {
		if slices.Contains(groups, pk.group) && !slices.Contains(provs, pk.prov) {
			provs = append(provs, pk.prov)
		}
	}
	for _, top := range provs {
		if !slices.ContainsFunc(provs, func(p string) bool { return !s.w.descendsFrom(p, top) }) {
			return true
		}
	}
	return false
}

// descendsFrom reports whether p is anc or below it.
func (w *topology) descendsFrom(p, anc string) bool {
	for i := 0; p != "" && i < 1000; i++ {
		if p == anc {
			return true
		}
		pr := w.provs[p]
		if pr == nil {
			return false
		}
		p = pr.parent
	}
	return false
}

// canAllocateMore reports whether amount more of rc fits on p on top of already picked.
func (c *capacitySnapshot) canAllocateMore(p, rc string, already, amount int64) bool {
	i, ok := c.inv[p][rc]
	return ok && i.fits(c.used[p][rc]+already, amount)
}

// generate returns the allocation requests of the whole cloud, deduplicated, stopping at max
// (0 = no bound).
func (w *acWorld) generate(req *acRequest, trees map[string]string, max int) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, root := range w.roots {
		if !req.rootRequired.empty() && !req.rootRequired.matches(w.provs[root].hasTrait) {
			continue
		}
		slots, ok := w.treeSlots(req, root, trees)
		if !ok {
			continue
		}
		s := &search{w: w, req: req, slots: slots, extra: map[string]map[string]int64{}, emit: func(c candidate) bool {
			key := c.key()
			if !seen[key] {
				seen[key] = true
				out = append(out, c)
			}
			return max == 0 || len(out) < max
		}}
		s.run(0)
		if s.stopped {
			break
		}
	}
	return out
}

// merged returns what a candidate allocates, whatever group asked for it: one pick per
// provider and class, sorted by provider then class.
func (c candidate) merged() []acPick {
	out := slices.Clone(c)
	slices.SortFunc(out, func(a, b acPick) int {
		if a.prov != b.prov {
			return compareStrings(a.prov, b.prov)
		}
		return compareStrings(a.class, b.class)
	})
	n := 0
	for _, pk := range out {
		if n > 0 && out[n-1].prov == pk.prov && out[n-1].class == pk.class {
			out[n-1].amount += pk.amount
			continue
		}
		out[n] = pk
		n++
	}
	return out[:n]
}

// key identifies what a candidate allocates.
func (c candidate) key() string {
	var b strings.Builder
	for _, pk := range c.merged() {
		b.WriteString(pk.prov)
		b.WriteByte(' ')
		b.WriteString(pk.class)
		b.WriteByte('=')
		b.WriteString(itoa(pk.amount))
		b.WriteByte(';')
	}
	return b.String()
}

// allocationCandidates is GET /allocation_candidates (1.10+): the ways the cloud could serve
// a request, with summaries of the providers involved.
func (s *Service) allocationCandidates(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 10); err != nil {
		return err
	}
	if err := s.enforce(r, ruleCandidatesList, nil); err != nil {
		return err
	}
	req, err := parseCandidatesQuery(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.checkCandidateNames(ctx, req); err != nil {
		return err
	}
	trees, err := s.inTreeRoots(ctx, req)
	if err != nil {
		return err
	}
	world, err := s.world(ctx)
	if err != nil {
		return err
	}
	max := s.opts.MaxCandidates
	if req.limit > 0 && !s.opts.Randomize && (max == 0 || req.limit < max) {
		max = req.limit
	}
	cands := world.generate(req, trees, max)
	if s.opts.Randomize {
		rand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	}
	if req.limit > 0 && len(cands) > req.limit {
		cands = cands[:req.limit]
	}
	s.api.WriteRawJSON(w, http.StatusOK, renderCandidates(r, req, world, cands))
	return nil
}

// checkCandidateNames refuses unknown resource classes and traits.
func (s *Service) checkCandidateNames(ctx context.Context, req *acRequest) error {
	var classes, traits []string
	for _, g := range req.groups {
		classes = append(classes, g.classes...)
		traits = append(traits, g.traits.names()...)
	}
	traits = append(traits, req.rootRequired.names()...)
	if missing, err := unknownClasses(ctx, s.db, classes); err != nil {
		return err
	} else if len(missing) > 0 {
		return badRequest("Invalid resource class in resources parameter: No such resource class %s.", strings.Join(missing, ", "))
	}
	if missing, err := unknownTraits(ctx, s.db, traits); err != nil {
		return err
	} else if len(missing) > 0 {
		return badRequest("No such trait(s): %s.", strings.Join(missing, ", "))
	}
	return nil
}

// inTreeRoots maps each in_tree provider of the request to its root ("" when it does not
// exist, which no provider matches).
func (s *Service) inTreeRoots(ctx context.Context, req *acRequest) (map[string]string, error) {
	out := map[string]string{}
	for _, g := range req.groups {
		if g.inTree == "" {
			continue
		}
		p, err := getProvider(ctx, s.db, g.inTree)
		if err != nil {
			var pe *apiError
			if asAPIError(err, &pe) && pe.Status == http.StatusNotFound {
				out[g.inTree] = "\x00missing"
				continue
			}
			return nil, err
		}
		out[g.inTree] = p.RootUUID
	}
	return out, nil
}
