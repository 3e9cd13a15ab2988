package placement

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
)

// invalidTrait is the 400 for a name that cannot be a custom trait.
func invalidTrait(name string) error {
	return badRequest("The trait %q is invalid. A valid trait must be no longer than 255 characters, start with the prefix \"CUSTOM_\" and use following characters: \"A\"-\"Z\", \"0\"-\"9\" and \"_\".", name)
}

// traitExists reports whether name is a standard or stored custom trait.
func traitExists(r *http.Request, q db.Querier, name string) (bool, error) {
	if isStandardTrait(name) {
		return true, nil
	}
	return db.Exists(r.Context(), q, "SELECT 1 FROM placement_trait WHERE name = ?", name)
}

// listTraits is GET /traits (1.6+), filtered by name=in:… or name=startswith:… and
// associated=true|false.
func (s *Service) listTraits(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleTraitsList, nil); err != nil {
		return err
	}
	q := r.URL.Query()
	if err := checkQuery(q, []string{"associated", "name"}, []string{"associated", "name"}); err != nil {
		return err
	}
	custom, err := db.QueryStrings(r.Context(), s.db, "SELECT name FROM placement_trait")
	if err != nil {
		return err
	}
	all := append(slices.Clone(standardTraits), custom...)
	if q.Has("name") {
		keep, err := traitNameFilter(q.Get("name"))
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(t string) bool { return !keep(t) })
	}
	if q.Has("associated") {
		want := q.Get("associated")
		if want != "true" && want != "false" {
			return newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: associated must be true or false, got %q.", want)
		}
		used, err := db.QueryStrings(r.Context(), s.db, "SELECT DISTINCT trait FROM placement_provider_trait")
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(t string) bool { return slices.Contains(used, t) != (want == "true") })
	}
	slices.Sort(all)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"traits": all})
	return nil
}

// traitNameFilter parses the name filter of GET /traits.
func traitNameFilter(v string) (func(string) bool, error) {
	if rest, ok := strings.CutPrefix(v, "in:"); ok {
		names := strings.Split(rest, ",")
		return func(t string) bool { return slices.Contains(names, t) }, nil
	}
	if rest, ok := strings.CutPrefix(v, "startswith:"); ok {
		return func(t string) bool { return strings.HasPrefix(t, rest) }, nil
	}
	return nil, newError(http.StatusBadRequest, codeQueryBadValue,
		"Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: %q", v)
}

// showTrait is GET /traits/{name}: 204 when it exists.
func (s *Service) showTrait(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleTraitsShow, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if ok, err := traitExists(r, s.db, name); err != nil || !ok {
		if err == nil {
			err = notFound("No such trait(s): %s.", name)
		}
		return err
	}
	noContent(w)
	return nil
}

// putTrait is PUT /traits/{name}: 201 when created, 204 when it existed.
func (s *Service) putTrait(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleTraitsUpdate, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if !customPattern.MatchString(name) {
		return invalidTrait(name)
	}
	created := false
	err := s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if ok, err := traitExists(r, tx, name); err != nil || ok {
			return err
		}
		now := db.Micros(s.now())
		_, err := tx.Exec(r.Context(), "INSERT INTO placement_trait (name, created_at, updated_at) VALUES (?, ?, ?)", name, now, now)
		if db.IsDuplicate(err) {
			return nil
		}
		created = err == nil
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/traits/"+name)
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		noContent(w)
	}
	return nil
}

// deleteTrait is DELETE /traits/{name}: custom traits no provider has.
func (s *Service) deleteTrait(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleTraitsDelete, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if isStandardTrait(name) {
		return badRequest("Cannot delete standard trait %s.", name)
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if ok, err := traitExists(r, tx, name); err != nil || !ok {
			if err == nil {
				err = notFound("No such trait(s): %s.", name)
			}
			return err
		}
		if used, err := db.Exists(ctx, tx, "SELECT 1 FROM placement_provider_trait WHERE trait = ?", name); err != nil || used {
			if err == nil {
				err = conflict(codeDefault, "The trait %s is in use by a resource provider.", name)
			}
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM placement_trait WHERE name = ?", name)
		return err
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// providerTraitsJSON renders a provider's traits with its generation.
func providerTraitsJSON(traits []string, gen int64) map[string]any {
	if traits == nil {
		traits = []string{}
	}
	slices.Sort(traits)
	return map[string]any{"traits": traits, "resource_provider_generation": gen}
}

// listProviderTraits is GET /resource_providers/{uuid}/traits.
func (s *Service) listProviderTraits(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleProviderTraitList, nil); err != nil {
		return err
	}
	p, err := getProvider(r.Context(), s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	traits, err := db.QueryStrings(r.Context(), s.db, "SELECT trait FROM placement_provider_trait WHERE provider_uuid = ?", p.UUID)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, providerTraitsJSON(traits, p.Generation))
	return nil
}

// setProviderTraits is PUT /resource_providers/{uuid}/traits: replace them, checking the
// provider generation.
func (s *Service) setProviderTraits(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleProviderTraitPut, nil); err != nil {
		return err
	}
	m, err := readObject(r, []string{"traits", "resource_provider_generation"}, []string{"traits", "resource_provider_generation"})
	if err != nil {
		return err
	}
	gen, err := m.generationField("resource_provider_generation")
	if err != nil {
		return err
	}
	var traits []string
	if err := m.get("traits", &traits, "an array of trait names", false); err != nil {
		return err
	}
	for i, t := range traits {
		if !namePattern.MatchString(t) {
			return badRequest("JSON does not validate: %q is not a valid trait name.", t)
		}
		if slices.Contains(traits[:i], t) {
			return badRequest("JSON does not validate: trait %s is given more than once.", t)
		}
	}
	ctx := r.Context()
	uuid := r.PathValue("uuid")
	var newGen int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if newGen, err = bumpProvider(ctx, tx, uuid, gen, s.now()); err != nil {
			return err
		}
		if missing, err := unknownTraits(ctx, tx, traits); err != nil {
			return err
		} else if len(missing) > 0 {
			return badRequest("No such trait(s): %s.", strings.Join(missing, ", "))
		}
		if err := replaceProviderTraits(r, tx, uuid, traits); err != nil {
			return err
		}
		return bumpTopology(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, providerTraitsJSON(traits, newGen))
	return nil
}

// replaceProviderTraits sets a provider's trait rows.
func replaceProviderTraits(r *http.Request, tx *db.Tx, uuid string, traits []string) error {
	if _, err := tx.Exec(r.Context(), "DELETE FROM placement_provider_trait WHERE provider_uuid = ?", uuid); err != nil {
		return err
	}
	for _, t := range traits {
		if _, err := tx.Exec(r.Context(), "INSERT INTO placement_provider_trait (provider_uuid, trait) VALUES (?, ?)", uuid, t); err != nil {
			return err
		}
	}
	return nil
}

// deleteProviderTraits is DELETE /resource_providers/{uuid}/traits.
func (s *Service) deleteProviderTraits(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 6); err != nil {
		return err
	}
	if err := s.enforce(r, ruleProviderTraitDel, nil); err != nil {
		return err
	}
	ctx := r.Context()
	uuid := r.PathValue("uuid")
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := bumpProvider(ctx, tx, uuid, -1, s.now()); err != nil {
			return err
		}
		if err := replaceProviderTraits(r, tx, uuid, nil); err != nil {
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
