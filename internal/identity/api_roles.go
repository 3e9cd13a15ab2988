package identity

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
)

func (s *Service) roleRoutes() []route {
	return []route{
		{"GET /v3/roles", s.listRoles},
		{"POST /v3/roles", s.createRole},
		{"GET /v3/roles/{role_id}", s.getRole},
		{"PATCH /v3/roles/{role_id}", s.updateRole},
		{"DELETE /v3/roles/{role_id}", s.deleteRole},
		{"GET /v3/roles/{prior_id}/implies", s.listImpliedRoles},
		{"GET /v3/roles/{prior_id}/implies/{implied_id}", s.getImpliedRole},
		{"HEAD /v3/roles/{prior_id}/implies/{implied_id}", s.checkImpliedRole},
		{"PUT /v3/roles/{prior_id}/implies/{implied_id}", s.createImpliedRole},
		{"DELETE /v3/roles/{prior_id}/implies/{implied_id}", s.deleteImpliedRole},
		{"GET /v3/role_inferences", s.listRoleInferences},
	}
}

// maxRoleName is Keystone's limit on role names.
const maxRoleName = 255

// immutableOption is the one resource option roles know: such a role cannot be changed or
// deleted until the option is turned off.
const immutableOption = "immutable"

// prohibitedImpliedRoles are the role names no role may imply ([assignment]
// prohibited_implied_role in Keystone, whose default is admin).
var prohibitedImpliedRoles = []string{"admin"}

func (s *Service) roleView(r *http.Request, role Role) map[string]any {
	options := map[string]any{}
	for k, v := range role.Options {
		options[k] = v
	}
	return map[string]any{
		"id": role.ID, "name": role.Name, "domain_id": nullable(role.DomainID),
		"description": nullable(role.Description), "options": options,
		"links": s.selfLink(r, "/v3/roles/"+role.ID),
	}
}

// roleRef is the short form of a role inside role inference bodies.
func (s *Service) roleRef(r *http.Request, role Role) map[string]any {
	return map[string]any{"id": role.ID, "name": role.Name, "links": s.selfLink(r, "/v3/roles/"+role.ID)}
}

// roleTarget is the policy target of a role.
func roleTarget(role Role) map[string]string {
	return map[string]string{"target.role.id": role.ID, "target.role.domain_id": role.DomainID}
}

// roleRule picks the policy rule for an action on a global or a domain-specific role.
func roleRule(action string, role Role) string {
	if role.DomainID != "" {
		return "identity:" + action + "_domain_role"
	}
	return "identity:" + action + "_role"
}

// loadRoleFor loads the path's role and checks the policy for action on it. As in Keystone,
// policy is enforced before an unknown role is reported, so existence does not leak.
func (s *Service) loadRoleFor(r *http.Request, action string) (Role, error) {
	role, err := s.store.GetRole(r.Context(), r.PathValue("role_id"))
	if err != nil {
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			return role, err
		}
		if perr := s.enforce(r, roleRule(action, Role{}), nil); perr != nil {
			return role, perr
		}
		return role, err
	}
	return role, s.enforce(r, roleRule(action, role), roleTarget(role))
}

func (s *Service) listRoles(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	domainID := q.Get("domain_id")
	rule := "identity:list_roles"
	if domainID != "" {
		rule = "identity:list_domain_roles"
	}
	if err := s.enforce(r, rule, map[string]string{"target.domain_id": domainID}); err != nil {
		return err
	}
	roles, err := s.store.ListRoles(r.Context(), domainID, q.Get("name"))
	if err != nil {
		return err
	}
	roles, truncated := limit(s, roles)
	views := make([]map[string]any, len(roles))
	for i, role := range roles {
		views[i] = s.roleView(r, role)
	}
	s.writeList(w, r, "roles", views, truncated)
	return nil
}

func (s *Service) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.loadRoleFor(r, "get")
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"role": s.roleView(r, role)})
	return nil
}

func (s *Service) createRole(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "role")
	if err != nil {
		return err
	}
	role := Role{
		ID: newID(), Name: a.name("name", true, maxRoleName),
		DomainID: a.str("domain_id", true), Description: a.str("description", true),
	}
	role.Options = roleOptions(a, nil)
	if a.err != nil {
		return a.err
	}
	if err := s.enforce(r, roleRule("create", role), roleTarget(role)); err != nil {
		return err
	}
	if role.DomainID != "" {
		if _, err := s.store.GetDomain(r.Context(), role.DomainID); err != nil {
			return err
		}
	}
	if err := s.store.CreateRole(r.Context(), role); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"role": s.roleView(r, role)})
	return nil
}

// roleOptions reads the options object of a role body onto the stored options: only
// "immutable" is known; a boolean sets it and null removes it.
func roleOptions(a *attrs, stored map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range a.object("options") {
		if k != immutableOption {
			a.fail("options", "unknown option %q.", k)
			continue
		}
		switch v.(type) {
		case nil:
			delete(out, k)
		case bool:
			out[k] = v
		default:
			a.fail("options", "option %q expects a boolean, got %s.", k, jsonType(v))
		}
	}
	return out
}

func isImmutable(role Role) bool {
	v, _ := role.Options[immutableOption].(bool)
	return v
}

// immutableUpdateAllowed reports whether a PATCH of an immutable role only turns the
// option off, the one change Keystone allows on such a role.
func immutableUpdateAllowed(a *attrs) bool {
	if len(a.m) != 1 {
		return false
	}
	opts, ok := a.m["options"].(map[string]any)
	if !ok {
		return false
	}
	v, set := opts[immutableOption]
	return set && (v == nil || v == false)
}

func immutableError(verb string, role Role) error {
	return &ForbiddenError{Message: fmt.Sprintf(
		"Unable to %s immutable role resource: `%s. Set resource option \"immutable\" to false first.", verb, role.ID)}
}

func (s *Service) updateRole(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "role")
	if err != nil {
		return err
	}
	role, err := s.loadRoleFor(r, "update")
	if err != nil {
		return err
	}
	if err := applyRolePatch(a, &role); err != nil {
		return err
	}
	if err := s.store.UpdateRole(r.Context(), role); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"role": s.roleView(r, role)})
	return nil
}

// applyRolePatch validates a role PATCH body and applies it.
func applyRolePatch(a *attrs, role *Role) error {
	if len(a.m) == 0 {
		return invalidf("Invalid input for field 'role': at least one attribute must be given.")
	}
	if isImmutable(*role) && !immutableUpdateAllowed(a) {
		return immutableError("update", *role)
	}
	if a.has("id") && a.str("id", false) != role.ID {
		a.fail("id", "the role id cannot be changed.")
	}
	if a.has("domain_id") && a.str("domain_id", true) != role.DomainID {
		return invalidf("Update of `domain_id` is not allowed.")
	}
	if a.has("name") {
		role.Name = a.name("name", true, maxRoleName)
	}
	if a.has("description") {
		role.Description = a.str("description", true)
	}
	role.Options = roleOptions(a, role.Options)
	return a.err
}

func (s *Service) deleteRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.loadRoleFor(r, "delete")
	if err != nil {
		return err
	}
	if isImmutable(role) {
		return immutableError("delete", role)
	}
	if err := s.store.DeleteRole(r.Context(), role.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// implication loads the two roles of an implied-role path and checks rule on them.
func (s *Service) implication(r *http.Request, rule string) (prior, implied Role, err error) {
	ctx := r.Context()
	if prior, err = s.store.GetRole(ctx, r.PathValue("prior_id")); err != nil {
		return prior, implied, err
	}
	if implied, err = s.store.GetRole(ctx, r.PathValue("implied_id")); err != nil {
		return prior, implied, err
	}
	target := map[string]string{
		"target.prior_role.id": prior.ID, "target.prior_role.domain_id": prior.DomainID,
		"target.implied_role.id": implied.ID, "target.implied_role.domain_id": implied.DomainID,
	}
	return prior, implied, s.enforce(r, rule, target)
}

// existingImplication loads an implication that must already exist.
func (s *Service) existingImplication(r *http.Request, rule string) (prior, implied Role, err error) {
	if prior, implied, err = s.implication(r, rule); err != nil {
		return prior, implied, err
	}
	rules, err := s.store.ImpliedRoles(r.Context(), prior.ID)
	if err != nil {
		return prior, implied, err
	}
	if !slices.Contains(rules, ImpliedRole{PriorID: prior.ID, ImpliedID: implied.ID}) {
		return prior, implied, impliedRoleNotFound(prior.ID, implied.ID)
	}
	return prior, implied, nil
}

func impliedRoleNotFound(priorID, impliedID string) error {
	return &NotFoundError{Kind: "implied role", ID: priorID + " implies " + impliedID}
}

// writeImplication answers with one role_inference.
func (s *Service) writeImplication(w http.ResponseWriter, r *http.Request, status int, prior, implied Role) {
	s.api.WriteJSON(w, status, map[string]any{
		"role_inference": map[string]any{"prior_role": s.roleRef(r, prior), "implies": s.roleRef(r, implied)},
		"links":          s.selfLink(r, "/v3/roles/"+prior.ID+"/implies/"+implied.ID),
	})
}

func (s *Service) createImpliedRole(w http.ResponseWriter, r *http.Request) error {
	prior, implied, err := s.implication(r, "identity:create_implied_role")
	if err != nil {
		return err
	}
	switch {
	case prior.ID == implied.ID:
		return invalidf("Invalid input for field 'implied_role_id': a role cannot imply itself.")
	case slices.Contains(prohibitedImpliedRoles, implied.Name):
		return &ForbiddenError{Message: implied.ID + " cannot be an implied roles."}
	case prior.DomainID == "" && implied.DomainID != "":
		return &ForbiddenError{Message: "Global role cannot imply a domain-specific role"}
	}
	if err := s.store.CreateImpliedRole(r.Context(), ImpliedRole{PriorID: prior.ID, ImpliedID: implied.ID}); err != nil {
		return err
	}
	s.writeImplication(w, r, http.StatusCreated, prior, implied)
	return nil
}

func (s *Service) getImpliedRole(w http.ResponseWriter, r *http.Request) error {
	prior, implied, err := s.existingImplication(r, "identity:get_implied_role")
	if err != nil {
		return err
	}
	s.writeImplication(w, r, http.StatusOK, prior, implied)
	return nil
}

func (s *Service) checkImpliedRole(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.existingImplication(r, "identity:check_implied_role"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deleteImpliedRole(w http.ResponseWriter, r *http.Request) error {
	prior, implied, err := s.implication(r, "identity:delete_implied_role")
	if err != nil {
		return err
	}
	err = s.store.DeleteImpliedRole(r.Context(), ImpliedRole{PriorID: prior.ID, ImpliedID: implied.ID})
	if isNotFound(err) {
		return impliedRoleNotFound(prior.ID, implied.ID)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// inference renders {"prior_role": ..., "implies": [...]} for a prior role.
func (s *Service) inference(r *http.Request, ix *roleIndex, prior Role) map[string]any {
	implies := []map[string]any{}
	for _, id := range ix.implies[prior.ID] {
		if role, ok := ix.byID[id]; ok {
			implies = append(implies, s.roleRef(r, role))
		}
	}
	return map[string]any{"prior_role": s.roleRef(r, prior), "implies": implies}
}

func (s *Service) listImpliedRoles(w http.ResponseWriter, r *http.Request) error {
	prior, err := s.store.GetRole(r.Context(), r.PathValue("prior_id"))
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:list_implied_roles", map[string]string{"target.prior_role.id": prior.ID}); err != nil {
		return err
	}
	ix, err := loadRoleIndex(r.Context(), s.store)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{
		"role_inference": s.inference(r, ix, prior),
		"links":          s.selfLink(r, "/v3/roles/"+prior.ID+"/implies"),
	})
	return nil
}

func (s *Service) listRoleInferences(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:list_role_inference_rules", nil); err != nil {
		return err
	}
	ix, err := loadRoleIndex(r.Context(), s.store)
	if err != nil {
		return err
	}
	inferences := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(ix.implies)) {
		if prior, ok := ix.byID[id]; ok {
			inferences = append(inferences, s.inference(r, ix, prior))
		}
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{
		"role_inferences": inferences, "links": s.selfLink(r, "/v3/role_inferences"),
	})
	return nil
}
