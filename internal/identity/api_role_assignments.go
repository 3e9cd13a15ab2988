package identity

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// raQuery is a parsed GET /v3/role_assignments query.
type raQuery struct {
	userID, groupID, roleID string
	projectID, domainID     string
	system                  bool
	inherited               *bool // nil: both inherited and direct
	effective, includeNames bool
	includeSubtree          bool
	callerDomain            string // a domain-scoped caller only sees its domain
}

// flagQuery reads a key-only query flag as Keystone does: present means true, unless its
// value says false.
func flagQuery(r *http.Request, name string) bool {
	q := r.URL.Query()
	if !q.Has(name) {
		return false
	}
	switch strings.ToLower(q.Get(name)) {
	case "0", "false", "no", "off":
		return false
	}
	return true
}

func parseRAQuery(r *http.Request) raQuery {
	q := r.URL.Query()
	rq := raQuery{
		userID: q.Get("user.id"), groupID: q.Get("group.id"), roleID: q.Get("role.id"),
		projectID: q.Get("scope.project.id"), domainID: q.Get("scope.domain.id"),
		system:    q.Get("scope.system") == "all",
		effective: flagQuery(r, "effective"), includeNames: flagQuery(r, "include_names"),
		includeSubtree: flagQuery(r, "include_subtree"), callerDomain: caller(r).DomainID,
	}
	if q.Has("scope.OS-INHERIT:inherited_to") {
		inherited := q.Get("scope.OS-INHERIT:inherited_to") == "projects"
		rq.inherited = &inherited
	}
	return rq
}

// validate rejects the filter combinations Keystone rejects.
func (q raQuery) validate() error {
	switch {
	case q.includeSubtree && q.projectID == "":
		return invalidf("scope.project.id must be specified if include_subtree is also specified")
	case q.domainID != "" && q.projectID != "":
		return invalidf("Specify a domain or project, not both")
	case q.system && q.domainID != "":
		return invalidf("Specify system or domain, not both")
	case q.system && q.projectID != "":
		return invalidf("Specify system or project, not both")
	case q.userID != "" && q.groupID != "":
		return invalidf("Specify a user or group, not both")
	case q.effective && q.groupID != "":
		return invalidf("Combining effective and group filter will always result in an empty list.")
	case q.effective && q.domainID != "" && q.inherited != nil && *q.inherited:
		return invalidf("Combining effective, domain and inherited filters will always result in an empty list.")
	}
	return nil
}

// enforceRAPolicy checks list_role_assignments, or list_role_assignments_for_tree when a
// project subtree is asked for.
func (s *Service) enforceRAPolicy(r *http.Request, q raQuery) error {
	if !q.includeSubtree {
		return s.enforce(r, "identity:list_role_assignments", map[string]string{"target.domain_id": q.callerDomain})
	}
	target := map[string]string{}
	if q.projectID != "" {
		p, err := s.store.GetProject(r.Context(), q.projectID)
		if err != nil {
			return err
		}
		target["target.project.id"], target["target.project.domain_id"], target["target.domain_id"] = p.ID, p.DomainID, p.DomainID
	}
	return s.enforce(r, "identity:list_role_assignments_for_tree", target)
}

func (s *Service) listRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	q := parseRAQuery(r)
	if err := s.enforceRAPolicy(r, q); err != nil {
		return err
	}
	if err := q.validate(); err != nil {
		return err
	}
	x, err := newRAContext(r.Context(), s)
	if err != nil {
		return err
	}
	var entries []raEntry
	if q.effective {
		entries, err = x.effective(q)
	} else {
		entries, err = x.direct(q)
	}
	if err != nil {
		return err
	}
	views := []map[string]any{}
	for _, e := range entries {
		if q.callerDomain == "" || x.inDomain(e, q.callerDomain) {
			views = append(views, x.view(r, e, q.includeNames))
		}
	}
	s.writeList(w, r, "role_assignments", views, false)
	return nil
}

// raEntry is one listed role assignment: a stored assignment (source) or, in effective mode,
// one derived from it through group membership, inheritance or role implication.
type raEntry struct {
	source    Assignment
	userID    string
	groupID   string
	projectID string
	domainID  string
	system    bool
	roleID    string
	priorID   string // the role that implied roleID
}

// directEntry is a stored assignment as listed.
func directEntry(a Assignment) raEntry {
	e := raEntry{source: a, roleID: a.RoleID}
	if a.IsGroup() {
		e.groupID = a.ActorID
	} else {
		e.userID = a.ActorID
	}
	e.setTarget(a.Type, a.TargetID)
	return e
}

// setTarget places the entry on a target of the kind an assignment type names.
func (e *raEntry) setTarget(assignmentType, id string) {
	switch {
	case strings.HasSuffix(assignmentType, "System"):
		e.system = true
	case strings.HasSuffix(assignmentType, "Domain"):
		e.domainID = id
	default:
		e.projectID = id
	}
}

// raContext holds what a role assignment listing reads more than once.
type raContext struct {
	ctx      context.Context
	s        *Service
	projects map[string]Project
	children map[string][]string // parent (project or domain) id → child project ids
	roles    *roleIndex
	members  map[string][]string // group id → member user ids
	users    map[string]*User
	groups   map[string]*Group
}

func newRAContext(ctx context.Context, s *Service) (*raContext, error) {
	all, err := s.store.ListProjects(ctx, ProjectFilter{})
	if err != nil {
		return nil, err
	}
	roles, err := loadRoleIndex(ctx, s.store)
	if err != nil {
		return nil, err
	}
	x := &raContext{ctx: ctx, s: s, projects: map[string]Project{}, children: map[string][]string{}, roles: roles,
		members: map[string][]string{}, users: map[string]*User{}, groups: map[string]*Group{}}
	for _, p := range all {
		x.projects[p.ID] = p
		if !p.IsDomain {
			x.children[p.ParentID] = append(x.children[p.ParentID], p.ID)
		}
	}
	return x, nil
}

// descendants returns the projects below id (a project or a domain), not id itself.
func (x *raContext) descendants(id string) []string {
	var out []string
	seen := map[string]bool{id: true}
	var walk func(string)
	walk = func(parent string) {
		for _, c := range x.children[parent] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(id)
	return out
}

// assignmentTypes are the stored types a direct listing's actor and scope filters allow.
func (q raQuery) assignmentTypes() []string {
	actors, targets := []string{"User", "Group"}, []string{"Project", "Domain", "System"}
	switch {
	case q.userID != "":
		actors = actors[:1]
	case q.groupID != "":
		actors = actors[1:]
	}
	switch {
	case q.projectID != "":
		targets = targets[:1]
	case q.domainID != "":
		targets = targets[1:2]
	case q.system:
		targets = targets[2:]
	}
	var out []string
	for _, a := range actors {
		for _, t := range targets {
			out = append(out, a+t)
		}
	}
	return out
}

// direct lists stored assignments that match the filters, without expansion.
func (x *raContext) direct(q raQuery) ([]raEntry, error) {
	f := AssignmentFilter{Types: q.assignmentTypes(), RoleID: q.roleID, Inherited: q.inherited}
	if actor := q.userID + q.groupID; actor != "" {
		f.ActorIDs = []string{actor}
	}
	switch {
	case q.projectID != "":
		f.TargetIDs = []string{q.projectID}
		if q.includeSubtree {
			f.TargetIDs = append(f.TargetIDs, x.descendants(q.projectID)...)
		}
	case q.domainID != "":
		f.TargetIDs = []string{q.domainID}
	}
	stored, err := x.s.store.ListAssignments(x.ctx, f)
	if err != nil {
		return nil, err
	}
	entries := make([]raEntry, len(stored))
	for i, a := range stored {
		entries[i] = directEntry(a)
	}
	return entries, nil
}

// effective lists the assignments that actually give users roles: group assignments become
// one per member, inherited ones one per project they apply to, implied roles are added and
// domain-specific roles (never in tokens) dropped. As in Keystone, system assignments are only
// listed when scope.system asks for them.
func (x *raContext) effective(q raQuery) ([]raEntry, error) {
	f := AssignmentFilter{Inherited: q.inherited, Types: []string{UserProject, GroupProject, UserDomain, GroupDomain}}
	switch {
	case q.system:
		f.Types = []string{UserSystem, GroupSystem}
	case q.domainID != "":
		direct := false
		f.Types, f.TargetIDs, f.Inherited = []string{UserDomain, GroupDomain}, []string{q.domainID}, &direct
	}
	if q.userID != "" {
		groups, err := x.s.store.UserGroupIDs(x.ctx, q.userID)
		if err != nil {
			return nil, err
		}
		f.ActorIDs = append([]string{q.userID}, groups...)
	}
	stored, err := x.s.store.ListAssignments(x.ctx, f)
	if err != nil {
		return nil, err
	}
	scope := x.projectScope(q)
	var out []raEntry
	for _, a := range stored {
		expanded, err := x.expand(a, q.userID)
		if err != nil {
			return nil, err
		}
		for _, e := range expanded {
			if q.matches(e, scope) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// projectScope is the set of projects a scope.project.id filter (with its subtree) allows.
func (x *raContext) projectScope(q raQuery) map[string]bool {
	if q.projectID == "" {
		return nil
	}
	scope := map[string]bool{q.projectID: true}
	if q.includeSubtree {
		for _, id := range x.descendants(q.projectID) {
			scope[id] = true
		}
	}
	return scope
}

// matches applies the user, scope and role filters to an expanded entry.
func (q raQuery) matches(e raEntry, projects map[string]bool) bool {
	return (q.userID == "" || e.userID == q.userID) &&
		(projects == nil || projects[e.projectID]) &&
		(q.domainID == "" || e.domainID == q.domainID) &&
		(q.roleID == "" || e.roleID == q.roleID)
}

// expand turns one stored assignment into its effective user assignments; onlyUser, when
// set, is the one member a group assignment is expanded to.
func (x *raContext) expand(a Assignment, onlyUser string) ([]raEntry, error) {
	users := []string{a.ActorID}
	if a.IsGroup() {
		if onlyUser != "" {
			users = []string{onlyUser}
		} else {
			var err error
			if users, err = x.groupMembers(a.ActorID); err != nil {
				return nil, err
			}
		}
	}
	targets := []string{a.TargetID}
	targetType := a.Type
	if a.Inherited {
		targets, targetType = x.descendants(a.TargetID), UserProject
	}
	var out []raEntry
	for _, user := range users {
		for _, target := range targets {
			for _, step := range x.impliedSteps(a.RoleID) {
				e := raEntry{source: a, userID: user, roleID: step[0], priorID: step[1]}
				e.setTarget(targetType, target)
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// impliedSteps returns the global roles that holding roleID gives, each with the role that
// implied it ("" for roleID itself).
func (x *raContext) impliedSteps(roleID string) [][2]string {
	steps := [][2]string{{roleID, ""}}
	seen := map[string]bool{roleID: true}
	for i := 0; i < len(steps); i++ {
		for _, next := range x.roles.implies[steps[i][0]] {
			if !seen[next] {
				seen[next] = true
				steps = append(steps, [2]string{next, steps[i][0]})
			}
		}
	}
	return slices.DeleteFunc(steps, func(step [2]string) bool {
		role, ok := x.roles.byID[step[0]]
		return !ok || role.DomainID != ""
	})
}

func (x *raContext) groupMembers(groupID string) ([]string, error) {
	if ids, ok := x.members[groupID]; ok {
		return ids, nil
	}
	users, err := x.s.store.ListUsers(x.ctx, UserFilter{GroupID: groupID})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	x.members[groupID] = ids
	return ids, nil
}

// inDomain reports whether an entry is on a domain or on a project of that domain.
func (x *raContext) inDomain(e raEntry, domainID string) bool {
	return e.domainID == domainID || (e.projectID != "" && x.projects[e.projectID].DomainID == domainID)
}

// view renders an entry as Keystone does, with names when asked.
func (x *raContext) view(r *http.Request, e raEntry, names bool) map[string]any {
	base := x.s.baseURL(r)
	links := map[string]any{"assignment": base + grantPath(e.source)}
	if e.source.IsGroup() && e.userID != "" {
		links["membership"] = base + "/v3/groups/" + e.source.ActorID + "/users/" + e.userID
	}
	if e.priorID != "" {
		links["prior_role"] = base + "/v3/roles/" + e.priorID + "/implies/" + e.roleID
	}
	view := map[string]any{"role": x.roleRef(e.roleID, names), "scope": x.scopeRef(e, names), "links": links}
	if e.userID != "" {
		view["user"] = x.userRef(e.userID, names)
	} else {
		view["group"] = x.groupRef(e.groupID, names)
	}
	return view
}

func (x *raContext) scopeRef(e raEntry, names bool) map[string]any {
	scope := map[string]any{}
	switch {
	case e.system:
		scope["system"] = map[string]any{"all": true}
	case e.domainID != "":
		scope["domain"] = x.domainRef(e.domainID, names)
	default:
		ref := map[string]any{"id": e.projectID}
		if names {
			p := x.projects[e.projectID]
			ref["name"], ref["domain"] = p.Name, x.domainRef(p.DomainID, true)
		}
		scope["project"] = ref
	}
	if e.source.Inherited {
		scope["OS-INHERIT:inherited_to"] = "projects"
	}
	return scope
}

func (x *raContext) domainRef(id string, names bool) map[string]any {
	ref := map[string]any{"id": id}
	if names {
		ref["name"] = x.projects[id].Name
	}
	return ref
}

func (x *raContext) roleRef(id string, names bool) map[string]any {
	ref := map[string]any{"id": id}
	if names {
		role := x.roles.byID[id]
		ref["name"] = role.Name
		if role.DomainID != "" {
			ref["domain"] = x.domainRef(role.DomainID, true)
		}
	}
	return ref
}

// actorRef renders a named user or group; an actor that no longer exists gets empty names,
// as in Keystone.
func (x *raContext) actorRef(id, name, domainID string) map[string]any {
	return map[string]any{"id": id, "name": name, "domain": map[string]any{"id": domainID, "name": x.projects[domainID].Name}}
}

// memo returns cache[id], loading it with get the first time; nil when it cannot be loaded.
func memo[T any](cache map[string]*T, id string, get func() (T, error)) *T {
	v, ok := cache[id]
	if !ok {
		if got, err := get(); err == nil {
			v = &got
		}
		cache[id] = v
	}
	return v
}

func (x *raContext) userRef(id string, names bool) map[string]any {
	if !names {
		return map[string]any{"id": id}
	}
	u := memo(x.users, id, func() (User, error) { return x.s.store.GetUser(x.ctx, id) })
	if u == nil {
		return x.actorRef(id, "", "")
	}
	return x.actorRef(id, u.Name, u.DomainID)
}

func (x *raContext) groupRef(id string, names bool) map[string]any {
	if !names {
		return map[string]any{"id": id}
	}
	g := memo(x.groups, id, func() (Group, error) { return x.s.store.GetGroup(x.ctx, id) })
	if g == nil {
		return x.actorRef(id, "", "")
	}
	return x.actorRef(id, g.Name, g.DomainID)
}
