package identity

import (
	"errors"
	"maps"
	"net/http"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

func (s *Service) groupRoutes() []route {
	return []route{
		{"GET /v3/groups", s.listGroups},
		{"POST /v3/groups", s.createGroup},
		{"GET /v3/groups/{id}", s.getGroup},
		{"PATCH /v3/groups/{id}", s.updateGroup},
		{"DELETE /v3/groups/{id}", s.deleteGroup},
		{"GET /v3/groups/{id}/users", s.listGroupUsers},
		{"GET /v3/groups/{id}/users/{user_id}", s.checkGroupMember},
		{"HEAD /v3/groups/{id}/users/{user_id}", s.checkGroupMember},
		{"PUT /v3/groups/{id}/users/{user_id}", s.addGroupMember},
		{"DELETE /v3/groups/{id}/users/{user_id}", s.removeGroupMember},
	}
}

// groupKnown are the group attributes that are not kept as extra attributes.
var groupKnown = []string{"id", "name", "domain_id", "description"}

func (s *Service) groupView(r *http.Request, g Group) map[string]any {
	return withExtra(map[string]any{
		"id": g.ID, "name": g.Name, "domain_id": g.DomainID, "description": g.Description,
		"links": s.selfLink(r, "/v3/groups/"+g.ID),
	}, g.Extra)
}

func groupTarget(g Group) map[string]string {
	return map[string]string{"target.group.id": g.ID, "target.group.domain_id": g.DomainID}
}

// groupFor loads the group named in the path and checks a policy rule on it.
func (s *Service) groupFor(r *http.Request, rule string) (Group, error) {
	g, err := s.store.GetGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return g, err
	}
	return g, s.enforce(r, rule, groupTarget(g))
}

func (s *Service) listGroups(w http.ResponseWriter, r *http.Request) error {
	domain, err := s.listDomain(r, "identity:list_groups")
	if err != nil {
		return err
	}
	groups, err := s.store.ListGroups(r.Context(), GroupFilter{Name: r.URL.Query().Get("name"), DomainID: domain})
	if err != nil {
		return err
	}
	writeEntities(s, w, r, "groups", inCallerDomain(r, groups, func(g Group) string { return g.DomainID }), s.groupView)
	return nil
}

func (s *Service) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupFor(r, "identity:get_group")
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"group": s.groupView(r, g)})
	return nil
}

func (s *Service) createGroup(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "group")
	if err != nil {
		return err
	}
	g := Group{
		ID: newID(), Name: a.name("name", true, maxIdentityName), DomainID: a.str("domain_id", false),
		Description: a.str("description", true), Extra: a.extra(groupKnown...),
	}
	if a.err != nil {
		return a.err
	}
	if g.DomainID == "" {
		g.DomainID = s.callerDomain(r)
	}
	if err := s.enforce(r, "identity:create_group", groupTarget(g)); err != nil {
		return err
	}
	if _, err := s.store.GetDomain(r.Context(), g.DomainID); err != nil {
		return err
	}
	if err := s.store.CreateGroup(r.Context(), g); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"group": s.groupView(r, g)})
	return nil
}

func (s *Service) updateGroup(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "group")
	if err != nil {
		return err
	}
	g, err := s.groupFor(r, "identity:update_group")
	if err != nil {
		return err
	}
	if err := applyGroupPatch(a, &g); err != nil {
		return err
	}
	if err := s.store.UpdateGroup(r.Context(), g); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"group": s.groupView(r, g)})
	return nil
}

// applyGroupPatch applies the fields a PATCH of a group may change.
func applyGroupPatch(a *attrs, g *Group) error {
	if err := checkPatch(a, g.ID, g.DomainID); err != nil {
		return err
	}
	if a.has("name") {
		g.Name = a.name("name", true, maxIdentityName)
	}
	if a.has("description") {
		g.Description = a.str("description", true)
	}
	g.Extra = mergeExtra(g.Extra, a.extra(groupKnown...))
	return a.err
}

func (s *Service) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupFor(r, "identity:delete_group")
	if err != nil {
		return err
	}
	if err := s.store.DeleteGroup(r.Context(), g.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listGroupUsers(w http.ResponseWriter, r *http.Request) error {
	g, err := s.groupFor(r, "identity:list_users_in_group")
	if err != nil {
		return err
	}
	f, err := userFilter(r)
	if err != nil {
		return err
	}
	f.GroupID = g.ID
	users, err := s.store.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	writeEntities(s, w, r, "users", users, s.userView)
	return nil
}

// membership loads the group and user named in the path and checks a policy rule on both.
func (s *Service) membership(r *http.Request, rule string) (Group, User, error) {
	g, err := s.store.GetGroup(r.Context(), r.PathValue("id"))
	if err != nil {
		return g, User{}, err
	}
	u, err := s.store.GetUser(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return g, u, err
	}
	target := groupTarget(g)
	maps.Copy(target, userTarget(u))
	return g, u, s.enforce(r, rule, target)
}

// notMember is Keystone's 404 for a user that is not in a group.
func notMember(u User, g Group) error {
	return httpapi.NotFound("User '%s' not found in group '%s'", u.ID, g.ID)
}

func (s *Service) checkGroupMember(w http.ResponseWriter, r *http.Request) error {
	g, u, err := s.membership(r, "identity:check_user_in_group")
	if err != nil {
		return err
	}
	in, err := s.store.IsGroupMember(r.Context(), g.ID, u.ID)
	if err != nil {
		return err
	}
	if !in {
		return notMember(u, g)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) addGroupMember(w http.ResponseWriter, r *http.Request) error {
	g, u, err := s.membership(r, "identity:add_user_to_group")
	if err != nil {
		return err
	}
	if err := s.store.AddGroupMember(r.Context(), g.ID, u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) removeGroupMember(w http.ResponseWriter, r *http.Request) error {
	g, u, err := s.membership(r, "identity:remove_user_from_group")
	if err != nil {
		return err
	}
	err = s.store.RemoveGroupMember(r.Context(), g.ID, u.ID)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return notMember(u, g)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
