package placement

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// itoa formats an integer.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// asAPIError is errors.As for *apiError.
func asAPIError(err error, target **apiError) bool { return errors.As(err, target) }

// renderCandidates writes the GET /allocation_candidates body by hand: it is on the
// scheduler's hot path, and every string in it (UUIDs, class, trait and suffix names) is
// plain ASCII that needs no escaping.
func renderCandidates(r *http.Request, req *acRequest, w *acWorld, cands []candidate) []byte {
	var b bytes.Buffer
	b.Grow(512 + 400*len(cands))
	b.WriteString(`{"allocation_requests": [`)
	summary := map[string]bool{}
	for i, c := range cands {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRequest(&b, r, req, c)
		for _, pk := range c {
			summary[pk.prov] = true
		}
	}
	b.WriteString(`], "provider_summaries": {`)
	if atLeast(r, 29) {
		for p := range summary {
			for _, m := range w.trees[w.provs[p].root] {
				summary[m] = true
			}
		}
	}
	requested := map[string]bool{}
	for _, g := range req.groups {
		for _, rc := range g.classes {
			requested[rc] = true
		}
	}
	for i, p := range mapKeys(summary) {
		if i > 0 {
			b.WriteString(", ")
		}
		writeSummary(&b, r, w, p, requested)
	}
	b.WriteString("}}")
	return b.Bytes()
}

// writeRequest writes one allocation request.
func writeRequest(b *bytes.Buffer, r *http.Request, req *acRequest, c candidate) {
	picks := c.merged()
	if !atLeast(r, 12) {
		b.WriteString(`{"allocations": [`)
		forEachProvider(picks, func(i int, p string, res []acPick) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`{"resource_provider": {"uuid": "` + p + `"}, "resources": `)
			writeAmounts(b, res)
			b.WriteByte('}')
		})
		b.WriteString("]}")
		return
	}
	b.WriteString(`{"allocations": {`)
	forEachProvider(picks, func(i int, p string, res []acPick) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + p + `": {"resources": `)
		writeAmounts(b, res)
		b.WriteByte('}')
	})
	b.WriteByte('}')
	if atLeast(r, 34) {
		writeMappings(b, req, c)
	}
	b.WriteByte('}')
}

// forEachProvider calls fn with each provider's run of picks (picks sorted by provider).
func forEachProvider(picks []acPick, fn func(i int, p string, res []acPick)) {
	for i, start := 0, 0; start < len(picks); i++ {
		end := start + 1
		for end < len(picks) && picks[end].prov == picks[start].prov {
			end++
		}
		fn(i, picks[start].prov, picks[start:end])
		start = end
	}
}

// writeMappings writes which providers served each request group (1.34).
func writeMappings(b *bytes.Buffer, req *acRequest, c candidate) {
	b.WriteString(`, "mappings": {`)
	first := true
	for gi, g := range req.groups {
		var ps []string
		for _, pk := range c {
			if pk.group == gi && !slices.Contains(ps, pk.prov) {
				ps = append(ps, pk.prov)
			}
		}
		if len(ps) == 0 {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		slices.Sort(ps)
		b.WriteString(`"` + g.suffix + `": [`)
		for j, p := range ps {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + p + `"`)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

// writeAmounts writes {"CLASS": n, …} of one provider's picks.
func writeAmounts(b *bytes.Buffer, res []acPick) {
	b.WriteByte('{')
	for i, pk := range res {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(pk.class)
		b.WriteString(`": `)
		b.Write(strconv.AppendInt(b.AvailableBuffer(), pk.amount, 10))
	}
	b.WriteByte('}')
}

// writeSummary writes one provider summary: capacity and usage of its classes (the requested
// ones before 1.27), its traits (1.17+) and its place in its tree (1.29+).
func writeSummary(b *bytes.Buffer, r *http.Request, w *acWorld, p string, requested map[string]bool) {
	b.WriteString(`"` + p + `": {"resources": {`)
	c := w.cap
	prov := w.provs[p]
	first := true
	for _, rc := range prov.classList {
		if !atLeast(r, 27) && !requested[rc] {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		inv := c.inv[p][rc]
		b.WriteString(`"` + rc + `": {"capacity": ` + itoa(inv.capacity()) + `, "used": ` + itoa(c.used[p][rc]) + `}`)
	}
	b.WriteByte('}')
	if atLeast(r, 17) {
		b.WriteString(`, "traits": [`)
		for i, t := range prov.traitList {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + t + `"`)
		}
		b.WriteByte(']')
	}
	if atLeast(r, 29) {
		parent := "null"
		if prov.parent != "" {
			parent = `"` + prov.parent + `"`
		}
		b.WriteString(`, "parent_provider_uuid": ` + parent + `, "root_provider_uuid": "` + prov.root + `"`)
	}
	b.WriteByte('}')
}
