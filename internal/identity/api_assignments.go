package identity

import (
	"fmt"
	"net/http"
	"strings"
)

// grantFamily is one family of role grant URLs: an actor kind (user or group) on a target
// kind (project, domain or the system), inherited to projects or not. Every grant endpoint
// is one of four operations on one family, so the routes are generated from a table.
type grantFamily struct {
	actor     string // "user" or "group"
	target    string // "project", "domain" or "system"
	inherited bool   // OS-INHERIT: the grant applies to the projects below the target
}

// grantFamilies are every grant URL family Keystone serves.
var grantFamilies = []grantFamily{
	{"user", "project", false}, {"group", "project", false},
	{"user", "domain", false}, {"group", "domain", false},
	{"user", "domain", true}, {"group", "domain", true},
	{"user", "project", true}, {"group", "project", true},
	{"user", "system", false}, {"group", "system", false},
}

// assignmentType is the stored assignment type of the family.
func (f grantFamily) assignmentType() string {
	actor := map[string]string{"user": "User", "group": "Group"}[f.actor]
	target := map[string]string{"project": "Project", "domain": "Domain", "system": "System"}[f.target]
	return actor + target
}

// rolesPath is the family's role collection URL with {target_id} and {actor_id} wildcards,
// e.g. /v3/OS-INHERIT/domains/{target_id}/users/{actor_id}/roles.
func (f grantFamily) rolesPath() string {
	actor := "/" + f.actor + "s/{actor_id}/roles"
	switch {
	case f.target == "system":
		return "/v3/system" + actor
	case f.inherited:
		return "/v3/OS-INHERIT/" + f.target + "s/{target_id}" + actor
	}
	return "/v3/" + f.target + "s/{target_id}" + actor
}

// suffix is what inherited grant URLs end with.
func (f grantFamily) suffix() string {
	if f.inherited {
		return "/inherited_to_projects"
	}
	return ""
}

// listable reports whether Keystone serves a list of the family's grants: it has none for
// grants inherited from a project.
func (f grantFamily) listable() bool { return !(f.inherited && f.target == "project") }

// rules are the policy rules of the family's check, list, create and revoke operations.
func (f grantFamily) rule(op string) string {
	if f.target == "system" {
		return map[string]string{"check": "identity:check_system_grant", "list": "identity:list_system_grants",
			"create": "identity:create_system_grant", "revoke": "identity:revoke_system_grant"}[op]
	}
	return map[string]string{"check": "identity:check_grant", "list": "identity:list_grants",
		"create": "identity:create_grant", "revoke": "identity:revoke_grant"}[op]
}

func (s *Service) assignmentRoutes() []route {
	var routes []route
	for _, f := range grantFamilies {
		item := f.rolesPath() + "/{role_id}" + f.suffix()
		if f.listable() {
			routes = append(routes, route{"GET " + f.rolesPath() + f.suffix(), s.grantHandler(f, "list", s.listGrants)})
		}
		routes = append(routes,
			route{"GET " + item, s.grantHandler(f, "check", s.checkGrant)},
			route{"PUT " + item, s.grantHandler(f, "create", s.createGrant)},
			route{"DELETE " + item, s.grantHandler(f, "revoke", s.revokeGrant)},
		)
	}
	return append(routes, route{"GET /v3/role_assignments", s.listRoleAssignments})
}

// grant is a grant URL resolved: the family, the assignment it names and the entities it
// refers to (role is zero for the list operation).
type grant struct {
	family        grantFamily
	assignment    Assignment
	role          Role
	projectDomain string // the domain of a project target
}

// grantOp is one operation on a resolved grant.
type grantOp func(w http.ResponseWriter, r *http.Request, g grant) error

// grantHandler resolves the actor, target and role of a grant URL (404 naming the kind that
// is missing), checks the operation's policy on them, then runs op.
func (s *Service) grantHandler(f grantFamily, op string, fn grantOp) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		g, target, err := s.resolveGrant(r, f, op != "list")
		if err != nil {
			return err
		}
		if err := s.enforce(r, f.rule(op), target); err != nil {
			return err
		}
		return fn(w, r, g)
	}
}

// resolveGrant loads what a grant URL names, in Keystone's order (role, actor, target), and
// builds the policy target from them.
func (s *Service) resolveGrant(r *http.Request, f grantFamily, withRole bool) (grant, map[string]string, error) {
	ctx := r.Context()
	g := grant{family: f, assignment: Assignment{
		Type: f.assignmentType(), ActorID: r.PathValue("actor_id"), TargetID: r.PathValue("target_id"),
		RoleID: r.PathValue("role_id"), Inherited: f.inherited,
	}}
	target := map[string]string{}
	if withRole {
		role, err := s.store.GetRole(ctx, g.assignment.RoleID)
		if err != nil {
			return g, nil, err
		}
		g.role = role
		target["target.role.id"], target["target.role.domain_id"] = role.ID, role.DomainID
	}
	if err := s.resolveActor(r, f.actor, g.assignment.ActorID, target); err != nil {
		return g, nil, err
	}
	switch f.target {
	case "system":
		g.assignment.TargetID = SystemTarget
	case "domain":
		d, err := s.store.GetDomain(ctx, g.assignment.TargetID)
		if err != nil {
			return g, nil, err
		}
		target["target.domain.id"] = d.ID
	default:
		p, err := s.store.GetProject(ctx, g.assignment.TargetID)
		if err == nil && p.IsDomain {
			err = &NotFoundError{Kind: "project", ID: p.ID}
		}
		if err != nil {
			return g, nil, err
		}
		target["target.project.id"], target["target.project.domain_id"] = p.ID, p.DomainID
		g.projectDomain = p.DomainID
	}
	return g, target, nil
}

// resolveActor checks that the user or group exists and adds it to the policy target.
func (s *Service) resolveActor(r *http.Request, kind, id string, target map[string]string) error {
	if kind == "group" {
		grp, err := s.store.GetGroup(r.Context(), id)
		if err != nil {
			return err
		}
		target["target.group.id"], target["target.group.domain_id"] = grp.ID, grp.DomainID
		return nil
	}
	u, err := s.store.GetUser(r.Context(), id)
	if err != nil {
		return err
	}
	target["target.user.id"], target["target.user.domain_id"] = u.ID, u.DomainID
	return nil
}

// assignmentNotFound is Keystone's RoleAssignmentNotFound.
func assignmentNotFound(a Assignment) error {
	return &NotFoundError{Kind: "role assignment", ID: fmt.Sprintf(
		"role %s, user or group %s, project, domain, or system %s", a.RoleID, a.ActorID, a.TargetID)}
}

func (s *Service) createGrant(w http.ResponseWriter, r *http.Request, g grant) error {
	if err := checkDomainRoleTarget(g); err != nil {
		return err
	}
	if err := s.store.Grant(r.Context(), g.assignment); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkDomainRoleTarget enforces Keystone's rules for domain-specific roles: they cannot be
// granted on the system, nor on a project of another domain.
func checkDomainRoleTarget(g grant) error {
	switch {
	case g.role.DomainID == "":
		return nil
	case g.family.target == "system":
		return invalidf("Role %s is a domain-specific role. Unable to use a domain-specific role in a system assignment.", g.role.ID)
	case g.family.target == "project" && g.projectDomain != g.role.DomainID:
		return &ForbiddenError{Message: fmt.Sprintf(
			"Project %s must be in the same domain as the role %s being assigned.", g.assignment.TargetID, g.role.ID)}
	}
	return nil
}

func (s *Service) checkGrant(w http.ResponseWriter, r *http.Request, g grant) error {
	found, err := s.store.HasAssignment(r.Context(), g.assignment)
	if err != nil {
		return err
	}
	if !found {
		return assignmentNotFound(g.assignment)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) revokeGrant(w http.ResponseWriter, r *http.Request, g grant) error {
	err := s.store.Revoke(r.Context(), g.assignment)
	if isNotFound(err) {
		return assignmentNotFound(g.assignment)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listGrants(w http.ResponseWriter, r *http.Request, g grant) error {
	a := g.assignment
	inherited := a.Inherited
	assignments, err := s.store.ListAssignments(r.Context(), AssignmentFilter{
		Types: []string{a.Type}, ActorIDs: []string{a.ActorID}, TargetIDs: []string{a.TargetID}, Inherited: &inherited,
	})
	if err != nil {
		return err
	}
	views := []map[string]any{}
	for _, asg := range assignments {
		role, err := s.store.GetRole(r.Context(), asg.RoleID)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		views = append(views, s.roleView(r, role))
	}
	views, truncated := limit(s, views)
	s.writeList(w, r, "roles", views, truncated)
	return nil
}

// grantPath is the URL of one grant, as role assignment links show it.
func grantPath(a Assignment) string {
	f := grantFamily{actor: "user", inherited: a.Inherited}
	if a.IsGroup() {
		f.actor = "group"
	}
	f.target = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(a.Type, "User"), "Group"))
	p := strings.NewReplacer("{target_id}", a.TargetID, "{actor_id}", a.ActorID).Replace(f.rolesPath())
	return p + "/" + a.RoleID + f.suffix()
}
