package placement

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// aggregatesJSON renders a provider's aggregates; from 1.19 with its generation.
func aggregatesJSON(r *http.Request, aggs []string, gen int64) map[string]any {
	if aggs == nil {
		aggs = []string{}
	}
	slices.Sort(aggs)
	out := map[string]any{"aggregates": aggs}
	if atLeast(r, 19) {
		out["resource_provider_generation"] = gen
	}
	return out
}

// listAggregates is GET /resource_providers/{uuid}/aggregates (1.1+).
func (s *Service) listAggregates(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 1); err != nil {
		return err
	}
	if err := s.enforce(r, ruleAggregateList, nil); err != nil {
		return err
	}
	p, err := getProvider(r.Context(), s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	aggs, err := db.QueryStrings(r.Context(), s.db, "SELECT aggregate_uuid FROM placement_provider_aggregate WHERE provider_uuid = ?", p.UUID)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, aggregatesJSON(r, aggs, p.Generation))
	return nil
}

// readAggregates reads the body of PUT aggregates: a bare list before 1.19, an object with
// aggregates and resource_provider_generation from 1.19 (gen -1 before).
func readAggregates(r *http.Request) (aggs []string, gen int64, err error) {
	gen = -1
	if atLeast(r, 19) {
		m, err := readObject(r, []string{"aggregates", "resource_provider_generation"}, []string{"aggregates", "resource_provider_generation"})
		if err != nil {
			return nil, 0, err
		}
		if gen, err = m.generationField("resource_provider_generation"); err != nil {
			return nil, 0, err
		}
		if err := m.get("aggregates", &aggs, "an array of aggregate UUIDs", false); err != nil {
			return nil, 0, err
		}
	} else {
		var raw json.RawMessage
		if err := httpapi.DecodeJSON(r, &raw); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal(raw, &aggs); err != nil || string(raw) == "null" {
			return nil, 0, badRequest("JSON does not validate: the body must be an array of aggregate UUIDs before microversion 1.19.")
		}
	}
	for i, a := range aggs {
		if !isUUID(a) {
			return nil, 0, badRequest("JSON does not validate: %q is not a UUID.", a)
		}
		aggs[i] = normUUID(a)
		if slices.Contains(aggs[:i], aggs[i]) {
			return nil, 0, badRequest("JSON does not validate: aggregate %s is given more than once.", a)
		}
	}
	return aggs, gen, nil
}

// setAggregates is PUT /resource_providers/{uuid}/aggregates.
func (s *Service) setAggregates(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 1); err != nil {
		return err
	}
	if err := s.enforce(r, ruleAggregateUpdate, nil); err != nil {
		return err
	}
	aggs, gen, err := readAggregates(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	uuid := r.PathValue("uuid")
	var newGen int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if newGen, err = bumpProvider(ctx, tx, uuid, gen, s.now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM placement_provider_aggregate WHERE provider_uuid = ?", uuid); err != nil {
			return err
		}
		for _, a := range aggs {
			if _, err := tx.Exec(ctx, "INSERT INTO placement_provider_aggregate (provider_uuid, aggregate_uuid) VALUES (?, ?)", uuid, a); err != nil {
				return err
			}
		}
		return bumpTopology(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, aggregatesJSON(r, aggs, newGen))
	return nil
}
