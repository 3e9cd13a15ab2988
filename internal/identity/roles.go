package identity

import (
	"context"
	"slices"
	"strings"
)

// roleIndex is every role by id with the implication graph, for expanding effective roles.
type roleIndex struct {
	byID    map[string]Role
	implies map[string][]string
}

func loadRoleIndex(ctx context.Context, s *Store) (*roleIndex, error) {
	roles, err := s.AllRoles(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.ImpliedRoles(ctx, "")
	if err != nil {
		return nil, err
	}
	ix := &roleIndex{byID: make(map[string]Role, len(roles)), implies: map[string][]string{}}
	for _, r := range roles {
		ix.byID[r.ID] = r
	}
	for _, ir := range rules {
		ix.implies[ir.PriorID] = append(ix.implies[ir.PriorID], ir.ImpliedID)
	}
	return ix, nil
}

// expand returns the roles with everything they imply, sorted by name. Domain-specific roles
// are not returned themselves (Keystone never puts them in tokens) but their implications are.
func (ix *roleIndex) expand(ids []string) []Role {
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		for _, next := range ix.implies[id] {
			walk(next)
		}
	}
	for _, id := range ids {
		walk(id)
	}
	var out []Role
	for id := range seen {
		if r, ok := ix.byID[id]; ok && r.DomainID == "" {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Role) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// scopeTarget is what roles are computed on: a project, a domain or the system.
type scopeTarget struct {
	projectID string
	domainID  string
	system    bool
}

// assignedRoleIDs returns the ids of the roles a user holds on a target directly, through its
// groups, and (for projects) inherited from the project's domain and ancestors.
func (s *Service) assignedRoleIDs(ctx context.Context, userID string, t scopeTarget) ([]string, error) {
	groups, err := s.store.UserGroupIDs(ctx, userID)
	if err != nil {
		return nil, err
	}
	actors := append([]string{userID}, groups...)
	f := AssignmentFilter{ActorIDs: actors}
	var ancestors []string
	switch {
	case t.system:
		f.Types, f.TargetIDs = []string{UserSystem, GroupSystem}, []string{SystemTarget}
	case t.domainID != "":
		f.Types, f.TargetIDs = []string{UserDomain, GroupDomain}, []string{t.domainID}
	default:
		if ancestors, err = s.ancestors(ctx, t.projectID); err != nil {
			return nil, err
		}
		f.TargetIDs = append([]string{t.projectID}, ancestors...)
	}
	assignments, err := s.store.ListAssignments(ctx, f)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range assignments {
		onTarget := a.TargetID == t.projectID || a.TargetID == t.domainID || t.system
		if (onTarget && !a.Inherited) || (!onTarget && a.Inherited) {
			ids = append(ids, a.RoleID)
		}
	}
	return ids, nil
}

// ancestors returns a project's parents up to and including its domain.
func (s *Service) ancestors(ctx context.Context, projectID string) ([]string, error) {
	var out []string
	seen := map[string]bool{projectID: true}
	p, err := s.store.GetProject(ctx, projectID)
	for err == nil && p.ParentID != "" && !seen[p.ParentID] {
		out = append(out, p.ParentID)
		seen[p.ParentID] = true
		p, err = s.store.GetProject(ctx, p.ParentID)
	}
	if err != nil {
		return nil, err
	}
	if p.DomainID != RootDomainID && !seen[p.DomainID] {
		out = append(out, p.DomainID)
	}
	return out, nil
}

// effectiveRoles returns the roles a user holds on a target, implied roles included.
func (s *Service) effectiveRoles(ctx context.Context, userID string, t scopeTarget) ([]Role, error) {
	ids, err := s.assignedRoleIDs(ctx, userID, t)
	if err != nil {
		return nil, err
	}
	ix, err := s.cache.roleIndex(ctx)
	if err != nil {
		return nil, err
	}
	return ix.expand(ids), nil
}
