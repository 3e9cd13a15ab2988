package placement

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// maxInt is Placement's bound on inventory integers (a signed 32-bit integer column).
const maxInt = math.MaxInt32

// maxFloat is Placement's bound on allocation_ratio (an SQL single-precision float).
const maxFloat = 3.40282e+38

// inventoryFields are the fields of one inventory record.
var inventoryFields = []string{"total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio"}

// inventoryJSON renders one inventory.
func inventoryJSON(i inventory) map[string]any {
	return map[string]any{"total": i.Total, "reserved": i.Reserved, "min_unit": i.MinUnit,
		"max_unit": i.MaxUnit, "step_size": i.StepSize, "allocation_ratio": httpapi.PyFloat(i.Ratio)}
}

// parseInventory reads one inventory record of class rc, with Placement's defaults.
func parseInventory(r *http.Request, m object, rc string) (inventory, error) {
	inv := inventory{MinUnit: 1, MaxUnit: maxInt, StepSize: 1, Ratio: 1}
	raw, ok := m["total"]
	if !ok {
		return inv, badRequest("JSON does not validate: inventory of %s: 'total' is a required property.", rc)
	}
	var err error
	if inv.Total, err = intValue(raw, "total", 1, maxInt); err != nil {
		return inv, err
	}
	for _, f := range []struct {
		name string
		dst  *int64
		min  int64
	}{{"reserved", &inv.Reserved, 0}, {"min_unit", &inv.MinUnit, 1}, {"max_unit", &inv.MaxUnit, 1}, {"step_size", &inv.StepSize, 1}} {
		if raw, ok := m[f.name]; ok {
			if *f.dst, err = intValue(raw, f.name, f.min, maxInt); err != nil {
				return inv, err
			}
		}
	}
	if raw, ok := m["allocation_ratio"]; ok {
		if err := json.Unmarshal(raw, &inv.Ratio); err != nil || string(raw) == "null" {
			return inv, badRequest("JSON does not validate: 'allocation_ratio' must be a number, got %s.", clip(string(raw)))
		}
		if inv.Ratio <= 0 || inv.Ratio > maxFloat || math.IsNaN(inv.Ratio) {
			return inv, badRequest("JSON does not validate: 'allocation_ratio' is %v; it must be greater than 0 and at most %v.", inv.Ratio, maxFloat)
		}
	}
	switch {
	case inv.Reserved > inv.Total:
		return inv, badRequest("Unable to update inventory: Invalid inventory for '%s': reserved %d is greater than total %d.", rc, inv.Reserved, inv.Total)
	case inv.Reserved == inv.Total && !atLeast(r, 26):
		return inv, badRequest("Unable to update inventory: Invalid inventory for '%s': reserved %d must be less than total %d before microversion 1.26.", rc, inv.Reserved, inv.Total)
	case inv.MinUnit > inv.MaxUnit:
		return inv, badRequest("Unable to update inventory: Invalid inventory for '%s': min_unit %d is greater than max_unit %d.", rc, inv.MinUnit, inv.MaxUnit)
	}
	return inv, nil
}

// checkClassName refuses what cannot be a resource class name.
func checkClassName(rc string) error {
	if !namePattern.MatchString(rc) {
		return badRequest("JSON does not validate: %q is not a valid resource class name (upper-case letters, digits and _).", rc)
	}
	return nil
}

// listInventories is GET /resource_providers/{uuid}/inventories.
func (s *Service) listInventories(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryList, nil); err != nil {
		return err
	}
	p, err := getProvider(r.Context(), s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	invs, err := loadInventories(r.Context(), s.db, p.UUID)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, inventoriesJSON(invs, p.Generation))
	return nil
}

// inventoriesJSON renders a provider's inventories with its generation.
func inventoriesJSON(invs map[string]inventory, gen int64) map[string]any {
	out := map[string]any{}
	for rc, i := range invs {
		out[rc] = inventoryJSON(i)
	}
	return map[string]any{"inventories": out, "resource_provider_generation": gen}
}

// showInventory is GET /resource_providers/{uuid}/inventories/{rc}.
func (s *Service) showInventory(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryShow, nil); err != nil {
		return err
	}
	p, err := getProvider(r.Context(), s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	invs, err := loadInventories(r.Context(), s.db, p.UUID)
	if err != nil {
		return err
	}
	rc := r.PathValue("rc")
	i, ok := invs[rc]
	if !ok {
		return notFound("No inventory of class %s found for resource provider %s.", rc, p.UUID)
	}
	s.writeJSON(w, r, http.StatusOK, oneInventoryJSON(i, p.Generation))
	return nil
}

// oneInventoryJSON renders one inventory with its provider's generation.
func oneInventoryJSON(i inventory, gen int64) map[string]any {
	out := inventoryJSON(i)
	out["resource_provider_generation"] = gen
	return out
}

// replaceInventories sets a provider's inventories of the classes in set (and, when all,
// removes the others) in one transaction: the provider's generation must be gen (unless
// gen < 0), classes must exist, and no class in use may go away or shrink below its usage.
// It returns the provider's new generation and its resulting inventories.
func (s *Service) replaceInventories(ctx context.Context, uuid string, gen int64, set map[string]inventory, remove []string, all bool) (int64, map[string]inventory, error) {
	var newGen int64
	var result map[string]inventory
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if newGen, err = bumpProvider(ctx, tx, uuid, gen, s.now()); err != nil {
			return err
		}
		if missing, err := unknownClasses(ctx, tx, mapKeys(set)); err != nil {
			return err
		} else if len(missing) > 0 {
			return badRequest("Unknown resource class in inventory for resource provider %s: No such resource class %s.", uuid, strings.Join(missing, ", "))
		}
		current, err := loadInventories(ctx, tx, uuid)
		if err != nil {
			return err
		}
		usages, err := loadUsages(ctx, tx, uuid)
		if err != nil {
			return err
		}
		if all {
			for rc := range current {
				if _, keep := set[rc]; !keep {
					remove = append(remove, rc)
				}
			}
		}
		for _, rc := range remove {
			if usages[rc] > 0 {
				return conflict(codeInventoryInUse, "update conflict: Inventory for '%s' on resource provider '%s' in use.", rc, uuid)
			}
		}
		for rc, i := range set {
			if used := usages[rc]; used > 0 && !i.fits(used, 0) {
				return conflict(codeInventoryInUse,
					"update conflict: Inventory for '%s' on resource provider '%s' in use: %d are allocated, more than the new capacity %d.", rc, uuid, used, i.capacity())
			}
		}
		if err := writeInventories(ctx, tx, uuid, current, set, remove); err != nil {
			return err
		}
		if result, err = loadInventories(ctx, tx, uuid); err != nil {
			return err
		}
		return bumpTopology(ctx, tx)
	})
	return newGen, result, err
}

// writeInventories applies the changes to the rows.
func writeInventories(ctx context.Context, tx *db.Tx, uuid string, current, set map[string]inventory, remove []string) error {
	for _, rc := range remove {
		if _, err := tx.Exec(ctx, "DELETE FROM placement_inventory WHERE provider_uuid = ? AND resource_class = ?", uuid, rc); err != nil {
			return err
		}
	}
	for _, rc := range mapKeys(set) {
		i := set[rc]
		var err error
		if _, exists := current[rc]; exists {
			_, err = tx.Exec(ctx, `UPDATE placement_inventory SET total = ?, reserved = ?, min_unit = ?, max_unit = ?, step_size = ?,
				allocation_ratio = ? WHERE provider_uuid = ? AND resource_class = ?`,
				i.Total, i.Reserved, i.MinUnit, i.MaxUnit, i.StepSize, i.Ratio, uuid, rc)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO placement_inventory (provider_uuid, resource_class, total, reserved, min_unit,
				max_unit, step_size, allocation_ratio) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				uuid, rc, i.Total, i.Reserved, i.MinUnit, i.MaxUnit, i.StepSize, i.Ratio)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setInventories is PUT /resource_providers/{uuid}/inventories: replace them all.
func (s *Service) setInventories(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryUpdate, nil); err != nil {
		return err
	}
	m, err := readObject(r, []string{"inventories", "resource_provider_generation"}, []string{"inventories", "resource_provider_generation"})
	if err != nil {
		return err
	}
	gen, err := m.generationField("resource_provider_generation")
	if err != nil {
		return err
	}
	var raw map[string]object
	if err := m.get("inventories", &raw, "an object of inventories by resource class", false); err != nil {
		return err
	}
	set := map[string]inventory{}
	for rc, rec := range raw {
		if err := checkClassName(rc); err != nil {
			return err
		}
		if rec == nil {
			return badRequest("JSON does not validate: the inventory of %s must be an object.", rc)
		}
		if err := rec.check("inventory of "+rc+": ", append([]string{"resource_provider_generation"}, inventoryFields...), nil); err != nil {
			return err
		}
		if set[rc], err = parseInventory(r, rec, rc); err != nil {
			return err
		}
	}
	newGen, invs, err := s.replaceInventories(r.Context(), r.PathValue("uuid"), gen, set, nil, true)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, inventoriesJSON(invs, newGen))
	return nil
}

// createInventory is POST /resource_providers/{uuid}/inventories: add one class.
func (s *Service) createInventory(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryCreate, nil); err != nil {
		return err
	}
	m, err := readObject(r, append([]string{"resource_class", "resource_provider_generation"}, inventoryFields...), []string{"resource_class", "total"})
	if err != nil {
		return err
	}
	var rc string
	if err := m.get("resource_class", &rc, "a string", false); err != nil {
		return err
	}
	if err := checkClassName(rc); err != nil {
		return err
	}
	gen := int64(-1)
	if m.has("resource_provider_generation") {
		if gen, err = m.generationField("resource_provider_generation"); err != nil {
			return err
		}
	}
	i, err := parseInventory(r, m, rc)
	if err != nil {
		return err
	}
	uuid := r.PathValue("uuid")
	if invs, err := loadInventories(r.Context(), s.db, uuid); err != nil {
		return err
	} else if _, exists := invs[rc]; exists {
		return conflict(codeDefault, "Update conflict: inventory of %s already exists on resource provider %s.", rc, uuid)
	}
	newGen, _, err := s.replaceInventories(r.Context(), uuid, gen, map[string]inventory{rc: i}, nil, false)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/resource_providers/"+uuid+"/inventories/"+rc)
	s.writeJSON(w, r, http.StatusCreated, oneInventoryJSON(i, newGen))
	return nil
}

// updateInventory is PUT /resource_providers/{uuid}/inventories/{rc}: set one class.
func (s *Service) updateInventory(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryUpdate, nil); err != nil {
		return err
	}
	m, err := readObject(r, append([]string{"resource_provider_generation"}, inventoryFields...), []string{"resource_provider_generation", "total"})
	if err != nil {
		return err
	}
	gen, err := m.generationField("resource_provider_generation")
	if err != nil {
		return err
	}
	rc := r.PathValue("rc")
	if err := checkClassName(rc); err != nil {
		return err
	}
	i, err := parseInventory(r, m, rc)
	if err != nil {
		return err
	}
	uuid := r.PathValue("uuid")
	if invs, err := loadInventories(r.Context(), s.db, uuid); err != nil {
		return err
	} else if _, exists := invs[rc]; !exists {
		if _, err := getProvider(r.Context(), s.db, uuid); err != nil {
			return err
		}
		return badRequest("No inventory record with resource class %s for resource provider %s.", rc, uuid)
	}
	newGen, _, err := s.replaceInventories(r.Context(), uuid, gen, map[string]inventory{rc: i}, nil, false)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, oneInventoryJSON(i, newGen))
	return nil
}

// deleteInventory is DELETE /resource_providers/{uuid}/inventories/{rc}.
func (s *Service) deleteInventory(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleInventoryDelete, nil); err != nil {
		return err
	}
	uuid, rc := r.PathValue("uuid"), r.PathValue("rc")
	invs, err := loadInventories(r.Context(), s.db, uuid)
	if err != nil {
		return err
	}
	if _, exists := invs[rc]; !exists {
		if _, err := getProvider(r.Context(), s.db, uuid); err != nil {
			return err
		}
		return notFound("No inventory of class %s found for delete on resource provider %s.", rc, uuid)
	}
	if _, _, err := s.replaceInventories(r.Context(), uuid, -1, nil, []string{rc}, false); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// deleteInventories is DELETE /resource_providers/{uuid}/inventories (1.5+).
func (s *Service) deleteInventories(w http.ResponseWriter, r *http.Request) error {
	if !atLeast(r, 5) {
		return newError(http.StatusMethodNotAllowed, codeDefault, "The method DELETE is not allowed on inventories before microversion 1.5.")
	}
	if err := s.enforce(r, ruleInventoryDelete, nil); err != nil {
		return err
	}
	if _, _, err := s.replaceInventories(r.Context(), r.PathValue("uuid"), -1, map[string]inventory{}, nil, true); err != nil {
		return err
	}
	noContent(w)
	return nil
}
