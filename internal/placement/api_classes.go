package placement

import (
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
)

// requireVersion gives the 404 Placement answers for an operation its microversion lacks.
func requireVersion(r *http.Request, minor int) error {
	if atLeast(r, minor) {
		return nil
	}
	return notFound("The resource could not be found: %s %s needs microversion 1.%d or later.", r.Method, r.URL.Path, minor)
}

// classJSON renders a resource class.
func classJSON(name string) map[string]any {
	return map[string]any{"name": name, "links": []any{map[string]any{"rel": "self", "href": "/resource_classes/" + name}}}
}

// classExists reports whether name is a standard or stored custom class.
func (s *Service) classExists(r *http.Request, q db.Querier, name string) (bool, error) {
	if isStandardClass(name) {
		return true, nil
	}
	return db.Exists(r.Context(), q, "SELECT 1 FROM placement_resource_class WHERE name = ?", name)
}

// invalidCustomClass is the 400 for a name that cannot be a custom resource class.
func invalidCustomClass(name string) error {
	return badRequest("JSON does not validate: %q is not a custom resource class name: it must start with CUSTOM_ and use only A-Z, 0-9 and _ (at most 255 characters).", name)
}

// listClasses is GET /resource_classes (1.2+): the standard classes, then the custom ones.
func (s *Service) listClasses(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 2); err != nil {
		return err
	}
	if err := s.enforce(r, ruleClassList, nil); err != nil {
		return err
	}
	custom, err := db.QueryStrings(r.Context(), s.db, "SELECT name FROM placement_resource_class ORDER BY name")
	if err != nil {
		return err
	}
	out := make([]any, 0, len(standardClasses)+len(custom))
	for _, n := range append(slices.Clone(standardClasses), custom...) {
		out = append(out, classJSON(n))
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"resource_classes": out})
	return nil
}

// showClass is GET /resource_classes/{name}.
func (s *Service) showClass(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 2); err != nil {
		return err
	}
	if err := s.enforce(r, ruleClassShow, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if ok, err := s.classExists(r, s.db, name); err != nil || !ok {
		if err == nil {
			err = notFound("No such resource class %s.", name)
		}
		return err
	}
	s.writeJSON(w, r, http.StatusOK, classJSON(name))
	return nil
}

// insertClass stores a custom class; it reports false when it already exists.
func (s *Service) insertClass(r *http.Request, name string) (bool, error) {
	created := false
	err := s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if ok, err := s.classExists(r, tx, name); err != nil || ok {
			return err
		}
		now := db.Micros(s.now())
		_, err := tx.Exec(r.Context(), "INSERT INTO placement_resource_class (name, created_at, updated_at) VALUES (?, ?, ?)", name, now, now)
		if db.IsDuplicate(err) {
			return nil
		}
		created = err == nil
		return err
	})
	return created, err
}

// createClass is POST /resource_classes (1.2+).
func (s *Service) createClass(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 2); err != nil {
		return err
	}
	if err := s.enforce(r, ruleClassCreate, nil); err != nil {
		return err
	}
	m, err := readObject(r, []string{"name"}, []string{"name"})
	if err != nil {
		return err
	}
	var name string
	if err := m.get("name", &name, "a string", false); err != nil {
		return err
	}
	if !customPattern.MatchString(name) {
		return invalidCustomClass(name)
	}
	created, err := s.insertClass(r, name)
	if err != nil {
		return err
	}
	if !created {
		return conflict(codeDuplicateName, "Conflicting resource class already exists: %s", name)
	}
	w.Header().Set("Location", "/resource_classes/"+name)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// putClass is PUT /resource_classes/{name}: a rename of a custom class before 1.7, an
// idempotent create (201 or 204) from 1.7.
func (s *Service) putClass(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 2); err != nil {
		return err
	}
	if err := s.enforce(r, ruleClassUpdate, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if !atLeast(r, 7) {
		return s.renameClass(w, r, name)
	}
	if !customPattern.MatchString(name) {
		return invalidCustomClass(name)
	}
	created, err := s.insertClass(r, name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/resource_classes/"+name)
	if created {
		w.WriteHeader(http.StatusCreated)
	} else {
		noContent(w)
	}
	return nil
}

// renameClass renames a custom class, with its inventories and allocations (1.2 to 1.6).
func (s *Service) renameClass(w http.ResponseWriter, r *http.Request, name string) error {
	m, err := readObject(r, []string{"name"}, []string{"name"})
	if err != nil {
		return err
	}
	var to string
	if err := m.get("name", &to, "a string", false); err != nil {
		return err
	}
	if !customPattern.MatchString(to) {
		return invalidCustomClass(to)
	}
	if isStandardClass(name) {
		return badRequest("Cannot update standard resource class %s.", name)
	}
	ctx := r.Context()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if ok, err := s.classExists(r, tx, name); err != nil || !ok {
			if err == nil {
				err = notFound("No such resource class %s.", name)
			}
			return err
		}
		if ok, err := s.classExists(r, tx, to); err != nil || ok {
			if err == nil {
				err = conflict(codeDuplicateName, "Resource class already exists: %s", to)
			}
			return err
		}
		for _, stmt := range []string{
			"UPDATE placement_resource_class SET name = ? WHERE name = ?",
			"UPDATE placement_inventory SET resource_class = ? WHERE resource_class = ?",
			"UPDATE placement_allocation SET resource_class = ? WHERE resource_class = ?",
		} {
			if _, err := tx.Exec(ctx, stmt, to, name); err != nil {
				return err
			}
		}
		return bumpTopology(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, classJSON(to))
	return nil
}

// deleteClass is DELETE /resource_classes/{name}: custom classes no inventory uses.
func (s *Service) deleteClass(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 2); err != nil {
		return err
	}
	if err := s.enforce(r, ruleClassDelete, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if isStandardClass(name) {
		return badRequest("Cannot delete standard resource class %s.", name)
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if ok, err := s.classExists(r, tx, name); err != nil || !ok {
			if err == nil {
				err = notFound("No such resource class %s.", name)
			}
			return err
		}
		if used, err := db.Exists(ctx, tx, "SELECT 1 FROM placement_inventory WHERE resource_class = ?", name); err != nil || used {
			if err == nil {
				err = conflict(codeDefault, "Unable to delete resource class %s. Resource class is in use in inventory.", name)
			}
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM placement_resource_class WHERE name = ?", name)
		return err
	})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
