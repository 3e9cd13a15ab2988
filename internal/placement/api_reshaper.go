package placement

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
)

// reshape is POST /reshaper (1.30+): move inventories and the allocations against them
// between providers of a tree in one transaction, as Nova does when a driver starts reporting
// resources on child providers.
func (s *Service) reshape(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 30); err != nil {
		return err
	}
	if err := s.enforce(r, ruleReshape, nil); err != nil {
		return err
	}
	m, err := readObject(r, []string{"inventories", "allocations"}, []string{"inventories", "allocations"})
	if err != nil {
		return err
	}
	invs, err := readReshapeInventories(r, m["inventories"])
	if err != nil {
		return err
	}
	var allocs map[string]object
	if err := json.Unmarshal(m["allocations"], &allocs); err != nil || allocs == nil {
		return badRequest("JSON does not validate: 'allocations' must be an object keyed by consumer UUID.")
	}
	var writes []consumerWrite
	for id, cm := range allocs {
		if !isUUID(id) || cm == nil {
			return badRequest("JSON does not validate: allocations key %q must be a consumer UUID with an object.", id)
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
	var classes []string
	for _, pi := range invs {
		classes = append(classes, mapKeys(pi.Inventories)...)
	}
	if missing, err := unknownClasses(r.Context(), s.db, classes); err != nil {
		return err
	} else if len(missing) > 0 {
		return badRequest("Unknown resource class in inventory: No such resource class %s.", strings.Join(missing, ", "))
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error { return s.reshapeTx(r.Context(), tx, writes, invs) })
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// readReshapeInventories reads provider → {"inventories": …, "resource_provider_generation": …}.
func readReshapeInventories(r *http.Request, raw json.RawMessage) (map[string]providerInventories, error) {
	var provs map[string]object
	if err := json.Unmarshal(raw, &provs); err != nil || provs == nil {
		return nil, badRequest("JSON does not validate: 'inventories' must be an object keyed by resource provider UUID.")
	}
	out := map[string]providerInventories{}
	for p, pm := range provs {
		if !isUUID(p) || pm == nil {
			return nil, badRequest("JSON does not validate: inventories key %q must be a resource provider UUID with an object.", p)
		}
		where := "inventories of " + p + ": "
		if err := pm.check(where, []string{"inventories", "resource_provider_generation"}, []string{"inventories", "resource_provider_generation"}); err != nil {
			return nil, err
		}
		gen, err := pm.generationField("resource_provider_generation")
		if err != nil {
			return nil, err
		}
		var recs map[string]object
		if err := pm.get("inventories", &recs, "an object of inventories by resource class", false); err != nil {
			return nil, err
		}
		pi := providerInventories{Generation: gen, Inventories: map[string]inventory{}}
		for rc, rec := range recs {
			if err := checkClassName(rc); err != nil {
				return nil, err
			}
			if rec == nil {
				return nil, badRequest("JSON does not validate: %sthe inventory of %s must be an object.", where, rc)
			}
			if err := rec.check(where+rc+": ", inventoryFields, []string{"total"}); err != nil {
				return nil, err
			}
			if pi.Inventories[rc], err = parseInventory(r, rec, rc); err != nil {
				return nil, err
			}
		}
		out[normUUID(p)] = pi
	}
	return out, nil
}
