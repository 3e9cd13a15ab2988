package placement

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
)

// incompleteConsumer is the project and user Placement records for allocations written
// before microversion 1.8 made them required ([placement] incomplete_consumer_project_id).
const incompleteConsumer = "00000000-0000-0000-0000-000000000000"

// consumerTypePattern is what a consumer_type may look like (1.38).
var consumerTypePattern = regexp.MustCompile(`^[A-Z0-9_]{1,255}$`)

// readResources reads a resources object: class → positive amount.
func readResources(raw json.RawMessage, where string) (map[string]int64, error) {
	var m object
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, badRequest("JSON does not validate: %s: 'resources' must be an object of amounts by resource class.", where)
	}
	if len(m) == 0 {
		return nil, badRequest("JSON does not validate: %s: 'resources' must not be empty.", where)
	}
	out := map[string]int64{}
	for rc, v := range m {
		if !namePattern.MatchString(rc) {
			return nil, badRequest("JSON does not validate: %s: %q is not a valid resource class name.", where, rc)
		}
		n, err := intValue(v, rc, 1, maxInt)
		if err != nil {
			return nil, badRequest("JSON does not validate: %s: the amount of %s must be an integer from 1 to %d, got %s.", where, rc, maxInt, clip(string(v)))
		}
		out[rc] = n
	}
	return out, nil
}

// readAllocationsDict reads the 1.12+ allocations object: provider → {"resources": …}.
func readAllocationsDict(raw json.RawMessage, allowEmpty bool) (map[string]map[string]int64, error) {
	var m map[string]object
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, badRequest("JSON does not validate: 'allocations' must be an object keyed by resource provider UUID.")
	}
	if len(m) == 0 && !allowEmpty {
		return nil, badRequest("JSON does not validate: 'allocations' must not be empty before microversion 1.28.")
	}
	out := map[string]map[string]int64{}
	for p, alloc := range m {
		if !isUUID(p) {
			return nil, badRequest("JSON does not validate: allocations key %q is not a resource provider UUID.", p)
		}
		where := "allocations on " + p
		if alloc == nil {
			return nil, badRequest("JSON does not validate: %s must be an object.", where)
		}
		if err := alloc.check(where+": ", []string{"resources", "generation"}, []string{"resources"}); err != nil {
			return nil, err
		}
		res, err := readResources(alloc["resources"], where)
		if err != nil {
			return nil, err
		}
		out[normUUID(p)] = res
	}
	return out, nil
}

// readAllocationsList reads the pre-1.12 allocations array of
// {"resource_provider": {"uuid": …}, "resources": …}.
func readAllocationsList(raw json.RawMessage) (map[string]map[string]int64, error) {
	var items []object
	if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 {
		return nil, badRequest("JSON does not validate: 'allocations' must be a non-empty array of {\"resource_provider\": {\"uuid\": …}, \"resources\": {…}} before microversion 1.12.")
	}
	out := map[string]map[string]int64{}
	for i, it := range items {
		where := errf("allocations[%d]", i)
		if it == nil {
			return nil, badRequest("JSON does not validate: %s must be an object.", where)
		}
		if err := it.check(where+": ", []string{"resource_provider", "resources"}, []string{"resource_provider", "resources"}); err != nil {
			return nil, err
		}
		var rp object
		if err := json.Unmarshal(it["resource_provider"], &rp); err != nil || rp == nil {
			return nil, badRequest("JSON does not validate: %s: 'resource_provider' must be an object with a uuid.", where)
		}
		if err := rp.check(where+".resource_provider: ", []string{"uuid"}, []string{"uuid"}); err != nil {
			return nil, err
		}
		p, err := rp.uuidField("uuid", false)
		if err != nil {
			return nil, err
		}
		res, err := readResources(it["resources"], where)
		if err != nil {
			return nil, err
		}
		if out[p] == nil {
			out[p] = map[string]int64{}
		}
		for rc, n := range res {
			out[p][rc] += n
		}
	}
	return out, nil
}

// readConsumerWrite reads one consumer's allocation body as the microversion defines it.
func readConsumerWrite(r *http.Request, m object, consumerID, where string) (consumerWrite, error) {
	w := consumerWrite{Consumer: consumerID, ProjectID: incompleteConsumer, UserID: incompleteConsumer}
	allowed := []string{"allocations", "project_id", "user_id"}
	required := []string{"allocations"}
	if atLeast(r, 8) {
		required = append(required, "project_id", "user_id")
	}
	if atLeast(r, 28) {
		allowed, required = append(allowed, "consumer_generation"), append(required, "consumer_generation")
	}
	if atLeast(r, 34) {
		allowed = append(allowed, "mappings")
	}
	if atLeast(r, 38) {
		allowed, required = append(allowed, "consumer_type"), append(required, "consumer_type")
	}
	if err := m.check(where, allowed, required); err != nil {
		return w, err
	}
	var err error
	if atLeast(r, 12) {
		w.Allocs, err = readAllocationsDict(m["allocations"], atLeast(r, 28) || r.Method == http.MethodPost)
	} else {
		w.Allocs, err = readAllocationsList(m["allocations"])
	}
	if err != nil {
		return w, err
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"project_id", &w.ProjectID}, {"user_id", &w.UserID}} {
		if err := m.get(f.key, f.dst, "a string", false); err != nil {
			return w, err
		}
		if *f.dst == "" || len(*f.dst) > 255 {
			return w, badRequest("JSON does not validate: %s'%s' must be 1 to 255 characters long.", where, f.key)
		}
	}
	if atLeast(r, 28) {
		w.CheckGeneration = true
		if !m.isNull("consumer_generation") {
			gen, err := m.generationField("consumer_generation")
			if err != nil {
				return w, err
			}
			w.Generation = &gen
		}
	}
	if atLeast(r, 38) {
		if err := m.get("consumer_type", &w.ConsumerType, "a string", false); err != nil {
			return w, err
		}
		if !consumerTypePattern.MatchString(w.ConsumerType) {
			return w, badRequest("JSON does not validate: %s'consumer_type' %q must be upper-case letters, digits and _.", where, w.ConsumerType)
		}
	}
	return w, nil
}

// checkAllocationClasses refuses allocations of unknown resource classes.
func (s *Service) checkAllocationClasses(r *http.Request, writes []consumerWrite) error {
	var classes []string
	for _, w := range writes {
		for _, res := range w.Allocs {
			for rc := range res {
				if !slices.Contains(classes, rc) {
					classes = append(classes, rc)
				}
			}
		}
	}
	missing, err := unknownClasses(r.Context(), s.db, classes)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return badRequest("Unable to allocate inventory: No such resource class %s.", missing[0])
	}
	return nil
}

// putAllocations is PUT /allocations/{consumer}: replace one consumer's allocations.
func (s *Service) putAllocations(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleAllocUpdate, nil); err != nil {
		return err
	}
	id := r.PathValue("consumer")
	if !isUUID(id) {
		return badRequest("Malformed consumer_uuid: %q is not a UUID.", id)
	}
	m, err := readObject(r, nil, nil)
	if err != nil {
		return err
	}
	cw, err := readConsumerWrite(r, m, normUUID(id), "")
	if err != nil {
		return err
	}
	if err := s.checkAllocationClasses(r, []consumerWrite{cw}); err != nil {
		return err
	}
	if err := s.writeAllocations(r.Context(), []consumerWrite{cw}); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// postAllocations is POST /allocations (1.13+): set or clear many consumers' allocations in
// one transaction.
func (s *Service) postAllocations(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 13); err != nil {
		return err
	}
	if err := s.enforce(r, ruleAllocManage, nil); err != nil {
		return err
	}
	m, err := readObject(r, nil, nil)
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return badRequest("JSON does not validate: the body must name at least one consumer.")
	}
	var writes []consumerWrite
	for id, raw := range m {
		if !isUUID(id) {
			return badRequest("JSON does not validate: consumer key %q is not a UUID.", id)
		}
		var cm object
		if err := json.Unmarshal(raw, &cm); err != nil || cm == nil {
			return badRequest("JSON does not validate: the allocations of consumer %s must be an object.", id)
		}
		cw, err := readConsumerWrite(r, cm, normUUID(id), "consumer "+id+": ")
		if err != nil {
			return err
		}
		writes = append(writes, cw)
	}
	if err := s.checkAllocationClasses(r, writes); err != nil {
		return err
	}
	if err := s.writeAllocations(r.Context(), writes); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// deleteAllocations is DELETE /allocations/{consumer}.
func (s *Service) deleteAllocations(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleAllocDelete, nil); err != nil {
		return err
	}
	id := normUUID(r.PathValue("consumer"))
	found, err := s.deleteConsumerAllocations(r.Context(), id)
	if err != nil {
		return err
	}
	if !found {
		return notFound("No allocations for consumer '%s'", id)
	}
	noContent(w)
	return nil
}

// showAllocations is GET /allocations/{consumer}.
func (s *Service) showAllocations(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleAllocList, nil); err != nil {
		return err
	}
	ctx := r.Context()
	id := normUUID(r.PathValue("consumer"))
	c, ok, err := getConsumer(ctx, s.db, id)
	if err != nil {
		return err
	}
	allocs := map[string]any{}
	type row struct {
		p, rc  string
		n, gen int64
	}
	rows, err := db.QueryAll(ctx, s.db, func(sc db.Scanner) (row, error) {
		var x row
		err := sc.Scan(&x.p, &x.rc, &x.n, &x.gen)
		return x, err
	}, `SELECT a.provider_uuid, a.resource_class, a.used, p.generation FROM placement_allocation a
		JOIN placement_provider p ON p.uuid = a.provider_uuid WHERE a.consumer_uuid = ?`, id)
	if err != nil {
		return err
	}
	for _, x := range rows {
		entry, _ := allocs[x.p].(map[string]any)
		if entry == nil {
			entry = map[string]any{"generation": x.gen, "resources": map[string]int64{}}
			allocs[x.p] = entry
		}
		entry["resources"].(map[string]int64)[x.rc] = x.n
	}
	out := map[string]any{"allocations": allocs}
	if ok && len(rows) > 0 {
		if atLeast(r, 12) {
			out["project_id"], out["user_id"] = c.ProjectID, c.UserID
		}
		if atLeast(r, 28) {
			out["consumer_generation"] = c.Generation
		}
		if atLeast(r, 38) {
			out["consumer_type"] = consumerTypeName(c.ConsumerType)
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// consumerTypeName is how a stored consumer type is shown: "unknown" for none.
func consumerTypeName(t string) string {
	if t == "" {
		return "unknown"
	}
	return t
}

// providerAllocations is GET /resource_providers/{uuid}/allocations.
func (s *Service) providerAllocations(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderAllocList, nil); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := getProvider(ctx, s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	allocs := map[string]any{}
	err = db.EachRow(ctx, s.db, `SELECT a.consumer_uuid, a.resource_class, a.used, c.generation FROM placement_allocation a
		JOIN placement_consumer c ON c.uuid = a.consumer_uuid WHERE a.provider_uuid = ?`, []any{p.UUID}, func(sc db.Scanner) error {
		var cid, rc string
		var n, gen int64
		if err := sc.Scan(&cid, &rc, &n, &gen); err != nil {
			return err
		}
		entry, _ := allocs[cid].(map[string]any)
		if entry == nil {
			entry = map[string]any{"resources": map[string]int64{}}
			if atLeast(r, 28) {
				entry["consumer_generation"] = gen
			}
			allocs[cid] = entry
		}
		entry["resources"].(map[string]int64)[rc] = n
		return nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"allocations": allocs, "resource_provider_generation": p.Generation})
	return nil
}
