package placement

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/db"
)

// providerJSON renders a provider as the request's microversion shows it.
func providerJSON(r *http.Request, p provider) map[string]any {
	base := "/resource_providers/" + p.UUID
	links := []any{
		map[string]any{"rel": "self", "href": base},
		map[string]any{"rel": "inventories", "href": base + "/inventories"},
		map[string]any{"rel": "usages", "href": base + "/usages"},
	}
	if atLeast(r, 1) {
		links = append(links, map[string]any{"rel": "aggregates", "href": base + "/aggregates"})
	}
	if atLeast(r, 6) {
		links = append(links, map[string]any{"rel": "traits", "href": base + "/traits"})
	}
	if atLeast(r, 11) {
		links = append(links, map[string]any{"rel": "allocations", "href": base + "/allocations"})
	}
	out := map[string]any{"uuid": p.UUID, "name": p.Name, "generation": p.Generation, "links": links}
	if atLeast(r, 14) {
		var parent any
		if p.ParentUUID != "" {
			parent = p.ParentUUID
		}
		out["parent_provider_uuid"] = parent
		out["root_provider_uuid"] = p.RootUUID
	}
	return out
}

// listProviders is GET /resource_providers with its filters.
func (s *Service) listProviders(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderList, nil); err != nil {
		return err
	}
	q := r.URL.Query()
	allowed := []string{"name", "uuid"}
	for minor, p := range map[int]string{3: "member_of", 4: "resources", 14: "in_tree", 18: "required"} {
		if atLeast(r, minor) {
			allowed = append(allowed, p)
		}
	}
	slices.Sort(allowed)
	if err := checkQuery(q, allowed, []string{"name", "uuid", "resources", "in_tree"}); err != nil {
		return err
	}
	var where db.Where
	where.Eq("name", q.Get("name"))
	if q.Has("uuid") {
		id, err := queryUUID(q, "uuid")
		if err != nil {
			return err
		}
		where.Eq("uuid", id)
	}
	if q.Has("in_tree") {
		tree, err := queryUUID(q, "in_tree")
		if err != nil {
			return err
		}
		where.Add("root_uuid = (SELECT t.root_uuid FROM placement_provider t WHERE t.uuid = ?)", tree)
	}
	if q.Has("member_of") {
		f, err := parseMemberOf("member_of", q["member_of"], r)
		if err != nil {
			return err
		}
		addAggregateConditions(&where, "uuid", f)
	}
	if q.Has("required") {
		f, err := parseRequired("required", q["required"], r)
		if err != nil {
			return err
		}
		if err := s.addTraitConditions(r.Context(), &where, "uuid", f); err != nil {
			return err
		}
	}
	providers, err := db.QueryAll(r.Context(), s.db, scanProvider,
		"SELECT "+providerCols+" FROM placement_provider"+where.String()+" ORDER BY created_at, uuid", where.Args...)
	if err != nil {
		return err
	}
	if q.Has("resources") {
		if providers, err = s.withCapacity(r.Context(), q.Get("resources"), providers); err != nil {
			return err
		}
	}
	out := make([]any, 0, len(providers))
	for _, p := range providers {
		out = append(out, providerJSON(r, p))
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"resource_providers": out})
	return nil
}

// addAggregateConditions restricts col (a provider uuid) to the aggregate filter.
func addAggregateConditions(where *db.Where, col string, f aggFilter) {
	for _, set := range f.anyOf {
		where.Add(col+" IN (SELECT provider_uuid FROM placement_provider_aggregate WHERE aggregate_uuid IN ("+placeholders(len(set))+"))", anys(set)...)
	}
	if len(f.forbidden) > 0 {
		where.Add(col+" NOT IN (SELECT provider_uuid FROM placement_provider_aggregate WHERE aggregate_uuid IN ("+placeholders(len(f.forbidden))+"))", anys(f.forbidden)...)
	}
}

// addTraitConditions restricts col (a provider uuid) to the trait filter; unknown traits are
// a 400.
func (s *Service) addTraitConditions(ctx context.Context, where *db.Where, col string, f traitFilter) error {
	missing, err := unknownTraits(ctx, s.db, f.names())
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return badRequest("No such trait(s): %s.", strings.Join(missing, ", "))
	}
	for _, t := range f.required {
		where.Add(col+" IN (SELECT provider_uuid FROM placement_provider_trait WHERE trait = ?)", t)
	}
	if len(f.forbidden) > 0 {
		where.Add(col+" NOT IN (SELECT provider_uuid FROM placement_provider_trait WHERE trait IN ("+placeholders(len(f.forbidden))+"))", anys(f.forbidden)...)
	}
	for _, set := range f.anyOf {
		where.Add(col+" IN (SELECT provider_uuid FROM placement_provider_trait WHERE trait IN ("+placeholders(len(set))+"))", anys(set)...)
	}
	return nil
}

// withCapacity keeps the providers that could each satisfy all of resources on their own.
func (s *Service) withCapacity(ctx context.Context, raw string, providers []provider) ([]provider, error) {
	want, err := parseResources("resources", raw)
	if err != nil {
		return nil, err
	}
	classes := mapKeys(want)
	if missing, err := unknownClasses(ctx, s.db, classes); err != nil {
		return nil, err
	} else if len(missing) > 0 {
		return nil, badRequest("Invalid resource class in resources parameter: No such resource class %s.", strings.Join(missing, ", "))
	}
	snap, err := loadCapacity(ctx, s.db, classes)
	if err != nil {
		return nil, err
	}
	var out []provider
	for _, p := range providers {
		ok := true
		for rc, amount := range want {
			if !snap.canAllocate(p.UUID, rc, amount) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// showProvider is GET /resource_providers/{uuid}.
func (s *Service) showProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderShow, nil); err != nil {
		return err
	}
	p, err := getProvider(r.Context(), s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, providerJSON(r, p))
	return nil
}

// providerFields reads name and (1.14+) parent_provider_uuid of a create or update body.
func providerFields(m object) (name, parent string, err error) {
	if err = m.get("name", &name, "a string", false); err != nil {
		return "", "", err
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", "", badRequest("JSON does not validate: 'name' must be 1 to 200 characters long.")
	}
	parent, err = m.uuidField("parent_provider_uuid", true)
	return name, parent, err
}

// createProvider is POST /resource_providers: 201 with Location before 1.20, 200 with the
// provider from 1.20.
func (s *Service) createProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderCreate, nil); err != nil {
		return err
	}
	allowed := []string{"name", "uuid"}
	if atLeast(r, 14) {
		allowed = append(allowed, "parent_provider_uuid")
	}
	m, err := readObject(r, allowed, []string{"name"})
	if err != nil {
		return err
	}
	name, parent, err := providerFields(m)
	if err != nil {
		return err
	}
	id, err := m.uuidField("uuid", false)
	if err != nil {
		return err
	}
	if id == "" {
		id = uuid.NewString()
	}
	now := s.now()
	p := provider{UUID: id, Name: name, ParentUUID: parent, RootUUID: id, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if parent != "" {
			pp, err := getProvider(r.Context(), tx, parent)
			if err != nil {
				return badRequest("parent provider UUID %s does not exist.", parent)
			}
			p.RootUUID = pp.RootUUID
		}
		if taken, err := db.Exists(r.Context(), tx, "SELECT 1 FROM placement_provider WHERE uuid = ?", id); err != nil || taken {
			if err == nil {
				err = conflict(codeDuplicateName, "Conflicting resource provider uuid: %s already exists.", id)
			}
			return err
		}
		if taken, err := db.Exists(r.Context(), tx, "SELECT 1 FROM placement_provider WHERE name = ?", name); err != nil || taken {
			if err == nil {
				err = conflict(codeDuplicateName, "Conflicting resource provider name: %s already exists.", name)
			}
			return err
		}
		_, err := tx.Exec(r.Context(), "INSERT INTO placement_provider ("+providerCols+") VALUES (?, ?, 0, ?, ?, ?, ?)",
			p.UUID, p.Name, nullString(p.ParentUUID), p.RootUUID, db.Micros(now), db.Micros(now))
		if db.IsDuplicate(err) {
			return conflict(codeDuplicateName, "Conflicting resource provider name or uuid: %s (%s) already exists.", name, id)
		}
		if err != nil {
			return err
		}
		return bumpTopology(r.Context(), tx)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/resource_providers/"+id)
	if !atLeast(r, 20) {
		w.WriteHeader(http.StatusCreated)
		return nil
	}
	s.writeJSON(w, r, http.StatusOK, providerJSON(r, p))
	return nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// updateProvider is PUT /resource_providers/{uuid}: the name, and the parent under
// Placement's rules (re-parenting and un-parenting from 1.37, never into its own subtree).
func (s *Service) updateProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderUpdate, nil); err != nil {
		return err
	}
	allowed := []string{"name"}
	if atLeast(r, 14) {
		allowed = append(allowed, "parent_provider_uuid")
	}
	m, err := readObject(r, allowed, []string{"name"})
	if err != nil {
		return err
	}
	name, parent, err := providerFields(m)
	if err != nil {
		return err
	}
	var p provider
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		var err error
		if p, err = getProvider(r.Context(), tx, r.PathValue("uuid")); err != nil {
			return err
		}
		if taken, err := db.Exists(r.Context(), tx, "SELECT 1 FROM placement_provider WHERE name = ? AND uuid <> ?", name, p.UUID); err != nil || taken {
			if err == nil {
				err = conflict(codeDuplicateName, "Conflicting resource provider name: %s already exists.", name)
			}
			return err
		}
		if m.has("parent_provider_uuid") && parent != p.ParentUUID {
			if err := s.reparent(r, tx, &p, parent); err != nil {
				return err
			}
		}
		p.Name, p.UpdatedAt = name, s.now()
		_, err = tx.Exec(r.Context(), "UPDATE placement_provider SET name = ?, updated_at = ? WHERE uuid = ?", name, db.Micros(p.UpdatedAt), p.UUID)
		if db.IsDuplicate(err) {
			return conflict(codeDuplicateName, "Conflicting resource provider name: %s already exists.", name)
		}
		if err != nil {
			return err
		}
		return bumpTopology(r.Context(), tx)
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, providerJSON(r, p))
	return nil
}

// reparent moves p under parent ("" makes it a root), moving its whole subtree to the new
// tree.
func (s *Service) reparent(r *http.Request, tx *db.Tx, p *provider, parent string) error {
	ctx := r.Context()
	if !atLeast(r, 37) {
		if p.ParentUUID != "" && parent == "" {
			return badRequest("un-parenting a provider is not currently allowed.")
		}
		if p.ParentUUID != "" {
			return badRequest("re-parenting a provider is not currently allowed.")
		}
	}
	newRoot := p.UUID
	if parent != "" {
		pp, err := getProvider(ctx, tx, parent)
		if err != nil {
			return badRequest("parent provider UUID %s does not exist.", parent)
		}
		subtree, err := descendants(ctx, tx, p.UUID)
		if err != nil {
			return err
		}
		if parent == p.UUID || slices.Contains(subtree, parent) {
			return badRequest("creating loop in the provider tree is not allowed.")
		}
		newRoot = pp.RootUUID
	}
	subtree, err := descendants(ctx, tx, p.UUID)
	if err != nil {
		return err
	}
	subtree = append(subtree, p.UUID)
	if _, err := tx.Exec(ctx, "UPDATE placement_provider SET root_uuid = ? WHERE uuid IN ("+placeholders(len(subtree))+")",
		append([]any{newRoot}, anys(subtree)...)...); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE placement_provider SET parent_uuid = ? WHERE uuid = ?", nullString(parent), p.UUID); err != nil {
		return err
	}
	p.ParentUUID, p.RootUUID = parent, newRoot
	return nil
}

// descendants returns every provider below uuid in its tree.
func descendants(ctx context.Context, q db.Querier, id string) ([]string, error) {
	var out []string
	frontier := []string{id}
	for len(frontier) > 0 && len(out) < 100000 {
		kids, err := db.QueryStrings(ctx, q, "SELECT uuid FROM placement_provider WHERE parent_uuid IN ("+placeholders(len(frontier))+")", anys(frontier)...)
		if err != nil {
			return nil, err
		}
		out = append(out, kids...)
		frontier = kids
	}
	return out, nil
}

// deleteProvider is DELETE /resource_providers/{uuid}: refused while it has allocations or
// children.
func (s *Service) deleteProvider(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderDelete, nil); err != nil {
		return err
	}
	id := r.PathValue("uuid")
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := bumpProvider(ctx, tx, id, -1, s.now()); err != nil {
			return err
		}
		if has, err := db.Exists(ctx, tx, "SELECT 1 FROM placement_provider WHERE parent_uuid = ?", id); err != nil || has {
			if err == nil {
				err = conflict(codeCannotDeleteParent, "Unable to delete parent resource provider %s: It has child resource providers.", id)
			}
			return err
		}
		if has, err := db.Exists(ctx, tx, "SELECT 1 FROM placement_allocation WHERE provider_uuid = ?", id); err != nil || has {
			if err == nil {
				err = conflict(codeProviderInUse, "Unable to delete resource provider %s: Resource provider has allocations.", id)
			}
			return err
		}
		for _, table := range []string{"placement_inventory", "placement_provider_trait", "placement_provider_aggregate"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE provider_uuid = ?", id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM placement_provider WHERE uuid = ?", id); err != nil {
			return err
		}
		return bumpTopology(ctx, tx)
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// mapKeys returns the sorted keys of a map.
func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
