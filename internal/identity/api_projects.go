package identity

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

func (s *Service) domainRoutes() []route {
	return []route{
		{"GET /v3/domains", s.listDomains},
		{"POST /v3/domains", s.createDomain},
		{"GET /v3/domains/{id}", s.getDomain},
		{"PATCH /v3/domains/{id}", s.updateDomain},
		{"DELETE /v3/domains/{id}", s.deleteDomain},
	}
}

func (s *Service) projectRoutes() []route {
	return []route{
		{"GET /v3/projects", s.listProjects},
		{"POST /v3/projects", s.createProject},
		{"GET /v3/projects/{id}", s.getProject},
		{"PATCH /v3/projects/{id}", s.updateProject},
		{"DELETE /v3/projects/{id}", s.deleteProject},
		{"GET /v3/projects/{id}/tags", s.listProjectTags},
		{"PUT /v3/projects/{id}/tags", s.replaceProjectTags},
		{"DELETE /v3/projects/{id}/tags", s.clearProjectTags},
		{"GET /v3/projects/{id}/tags/{tag}", s.checkProjectTag},
		{"HEAD /v3/projects/{id}/tags/{tag}", s.checkProjectTag},
		{"PUT /v3/projects/{id}/tags/{tag}", s.addProjectTag},
		{"DELETE /v3/projects/{id}/tags/{tag}", s.deleteProjectTag},
	}
}

// Limits Keystone applies to project names and tags.
const (
	maxProjectName = 64
	maxTags        = 80
	maxTagLength   = 255
)

func (s *Service) domainView(r *http.Request, d Project) map[string]any {
	return withExtra(map[string]any{
		"id": d.ID, "name": d.Name, "description": d.Description, "enabled": d.Enabled,
		"tags": nonNil(d.Tags), "options": map[string]any{}, "links": s.selfLink(r, "/v3/domains/"+d.ID),
	}, d.Extra)
}

func (s *Service) projectView(r *http.Request, p Project) map[string]any {
	return withExtra(map[string]any{
		"id": p.ID, "name": p.Name, "domain_id": p.DomainID, "parent_id": nullable(p.ParentID),
		"description": p.Description, "enabled": p.Enabled, "is_domain": p.IsDomain,
		"tags": nonNil(p.Tags), "options": map[string]any{}, "links": s.selfLink(r, "/v3/projects/"+p.ID),
	}, p.Extra)
}

func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// validTags checks tags as Keystone does: at most 80, each 1–255 characters without '/' or ','.
func validTags(tags []string) error {
	if len(tags) > maxTags {
		return invalidf("Invalid input for field 'tags': at most %d tags are allowed.", maxTags)
	}
	for _, t := range tags {
		if t == "" || len([]rune(t)) > maxTagLength || strings.ContainsAny(t, "/,") {
			return invalidf("Invalid input for field 'tags': tag %q must be 1-%d characters without '/' or ','.", t, maxTagLength)
		}
	}
	return nil
}

func projectTarget(p Project) map[string]string {
	return map[string]string{
		"target.project.id": p.ID, "target.project.domain_id": p.DomainID,
		"target.domain.id": p.ID, "target.domain_id": p.DomainID,
	}
}

func (s *Service) listDomains(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:list_domains", nil); err != nil {
		return err
	}
	isDomain := true
	f := ProjectFilter{IsDomain: &isDomain, Name: r.URL.Query().Get("name")}
	var err error
	if f.Enabled, err = boolQuery(r, "enabled"); err != nil {
		return err
	}
	domains, err := s.store.ListProjects(r.Context(), f)
	if err != nil {
		return err
	}
	domains, truncated := limit(s, domains)
	views := make([]map[string]any, len(domains))
	for i, d := range domains {
		views[i] = s.domainView(r, d)
	}
	s.writeList(w, r, "domains", views, truncated)
	return nil
}

func (s *Service) getDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.GetDomain(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:get_domain", map[string]string{"target.domain.id": d.ID}); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"domain": s.domainView(r, d)})
	return nil
}

func (s *Service) createDomain(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_domain", nil); err != nil {
		return err
	}
	d := Project{
		ID: a.str("explicit_domain_id", true), Name: a.name("name", true, maxProjectName),
		Description: a.str("description", true), Enabled: a.boolean("enabled", true),
		IsDomain: true, DomainID: RootDomainID, Tags: a.strings("tags"),
	}
	a.object("options")
	d.Extra = a.extra("id", "name", "description", "enabled", "tags", "options", "explicit_domain_id")
	if a.err != nil {
		return a.err
	}
	if err := validTags(d.Tags); err != nil {
		return err
	}
	if d.ID == "" {
		d.ID = newID()
	}
	if err := s.store.CreateProject(r.Context(), d); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"domain": s.domainView(r, d)})
	return nil
}

func (s *Service) updateDomain(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	d, err := s.store.GetDomain(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:update_domain", map[string]string{"target.domain.id": d.ID}); err != nil {
		return err
	}
	if err := s.applyProjectPatch(a, &d); err != nil {
		return err
	}
	if err := s.store.UpdateProject(r.Context(), d); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"domain": s.domainView(r, d)})
	return nil
}

// applyProjectPatch applies the fields a PATCH of a project or domain may change.
func (s *Service) applyProjectPatch(a *attrs, p *Project) error {
	a.readOnly("is_domain")
	if a.has("domain_id") && a.str("domain_id", false) != p.DomainID && !p.IsDomain {
		a.fail("domain_id", "a project cannot move to another domain.")
	}
	if a.has("parent_id") && a.str("parent_id", true) != p.ParentID && !p.IsDomain {
		return &ForbiddenError{Message: "Update of `parent_id` is not allowed."}
	}
	if a.has("name") {
		p.Name = a.name("name", true, maxProjectName)
	}
	if a.has("description") {
		p.Description = a.str("description", true)
	}
	p.Enabled = a.boolean("enabled", p.Enabled)
	if a.has("tags") {
		p.Tags = a.strings("tags")
	}
	a.object("options")
	p.Extra = mergeExtra(p.Extra, a.extra("id", "name", "description", "enabled", "tags", "options", "domain_id", "parent_id", "is_domain"))
	if a.err != nil {
		return a.err
	}
	return validTags(p.Tags)
}

func (s *Service) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.GetDomain(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:delete_domain", map[string]string{"target.domain.id": d.ID}); err != nil {
		return err
	}
	if d.Enabled {
		return &ForbiddenError{Message: "Cannot delete a domain that is enabled, please disable it first."}
	}
	if err := s.store.DeleteDomain(r.Context(), d.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listProjects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := ProjectFilter{DomainID: q.Get("domain_id"), ParentID: q.Get("parent_id"), Name: q.Get("name"),
		Tags: splitTags(q.Get("tags")), TagsAny: splitTags(q.Get("tags-any")),
		NotTags: splitTags(q.Get("not-tags")), NotTagsAny: splitTags(q.Get("not-tags-any"))}
	var err error
	if f.Enabled, err = boolQuery(r, "enabled"); err != nil {
		return err
	}
	if f.IsDomain, err = boolQuery(r, "is_domain"); err != nil {
		return err
	}
	if f.IsDomain == nil {
		no := false
		f.IsDomain = &no
	}
	if err := s.enforce(r, "identity:list_projects", map[string]string{"target.domain_id": f.DomainID}); err != nil {
		return err
	}
	projects, err := s.store.ListProjects(r.Context(), f)
	if err != nil {
		return err
	}
	s.writeProjects(w, r, projects)
	return nil
}

func (s *Service) writeProjects(w http.ResponseWriter, r *http.Request, projects []Project) {
	projects, truncated := limit(s, projects)
	views := make([]map[string]any, len(projects))
	for i, p := range projects {
		views[i] = s.projectView(r, p)
	}
	s.writeList(w, r, "projects", views, truncated)
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// loadProject returns the non-domain project named in the path.
func (s *Service) loadProject(r *http.Request) (Project, error) {
	id := r.PathValue("id")
	p, err := s.store.GetProject(r.Context(), id)
	if err == nil && p.IsDomain {
		err = &NotFoundError{Kind: "project", ID: id}
	}
	return p, err
}

func (s *Service) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadProject(r)
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:get_project", projectTarget(p)); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"project": s.projectView(r, p)})
	return nil
}

func (s *Service) createProject(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	if a.boolean("is_domain", false) {
		return s.createDomainFromProject(w, r, a)
	}
	p := Project{
		ID: newID(), Name: a.name("name", true, maxProjectName), Description: a.str("description", true),
		Enabled: a.boolean("enabled", true), Tags: a.strings("tags"),
		DomainID: a.str("domain_id", true), ParentID: a.str("parent_id", true),
	}
	a.object("options")
	p.Extra = a.extra("id", "name", "description", "enabled", "tags", "options", "domain_id", "parent_id", "is_domain")
	if a.err != nil {
		return a.err
	}
	if err := validTags(p.Tags); err != nil {
		return err
	}
	if err := s.placeProject(r.Context(), r, &p); err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_project", projectTarget(p)); err != nil {
		return err
	}
	if err := s.store.CreateProject(r.Context(), p); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"project": s.projectView(r, p)})
	return nil
}

// createDomainFromProject handles POST /v3/projects with is_domain=true, which Keystone treats
// as creating a domain.
func (s *Service) createDomainFromProject(w http.ResponseWriter, r *http.Request, a *attrs) error {
	if err := s.enforce(r, "identity:create_domain", nil); err != nil {
		return err
	}
	d := Project{ID: newID(), Name: a.name("name", true, maxProjectName), Description: a.str("description", true),
		Enabled: a.boolean("enabled", true), IsDomain: true, DomainID: RootDomainID, Tags: a.strings("tags")}
	if a.err != nil {
		return a.err
	}
	if err := s.store.CreateProject(r.Context(), d); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"project": s.projectView(r, d)})
	return nil
}

// placeProject fills in a new project's domain and parent, as Keystone does: the parent's
// domain, else the caller's domain, else the default domain; the parent defaults to the domain.
func (s *Service) placeProject(ctx context.Context, r *http.Request, p *Project) error {
	if p.ParentID != "" {
		parent, err := s.store.GetProject(ctx, p.ParentID)
		if err != nil {
			return err
		}
		parentDomain := parent.DomainID
		if parent.IsDomain {
			parentDomain = parent.ID
		}
		if p.DomainID != "" && p.DomainID != parentDomain {
			return invalidf("Invalid input for field 'project.parent_id': the parent project is in domain %s, not %s.", parentDomain, p.DomainID)
		}
		p.DomainID = parentDomain
	}
	if p.DomainID == "" {
		p.DomainID = s.callerDomain(r)
	}
	d, err := s.store.GetDomain(ctx, p.DomainID)
	if err != nil {
		return err
	}
	if p.ParentID == "" {
		p.ParentID = d.ID
	}
	return nil
}

// callerDomain is the domain a request that names none acts in.
func (s *Service) callerDomain(r *http.Request) string {
	c := caller(r)
	switch {
	case c.DomainID != "":
		return c.DomainID
	case c.ProjectDomainID != "":
		return c.ProjectDomainID
	}
	return s.opts.DefaultDomainID
}

func (s *Service) updateProject(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	p, err := s.loadProject(r)
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:update_project", projectTarget(p)); err != nil {
		return err
	}
	if err := s.applyProjectPatch(a, &p); err != nil {
		return err
	}
	if err := s.store.UpdateProject(r.Context(), p); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"project": s.projectView(r, p)})
	return nil
}

func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.loadProject(r)
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:delete_project", projectTarget(p)); err != nil {
		return err
	}
	children, err := s.store.HasChildren(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if children {
		return &ForbiddenError{Message: "Cannot delete the project " + p.ID + " since it is not a leaf in the hierarchy."}
	}
	if err := s.store.DeleteProject(r.Context(), p.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// projectForTags loads the path's project and checks a tag policy on it.
func (s *Service) projectForTags(r *http.Request, rule string) (Project, error) {
	p, err := s.loadProject(r)
	if err != nil {
		return p, err
	}
	return p, s.enforce(r, rule, projectTarget(p))
}

func (s *Service) listProjectTags(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:list_project_tags")
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"tags": nonNil(p.Tags)})
	return nil
}

func (s *Service) checkProjectTag(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:list_project_tags")
	if err != nil {
		return err
	}
	if !slices.Contains(p.Tags, r.PathValue("tag")) {
		return &NotFoundError{Kind: "project tag", ID: r.PathValue("tag")}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setTags validates and stores a project's new tag list, answering with it.
func (s *Service) setTags(w http.ResponseWriter, r *http.Request, p Project, tags []string, status int) error {
	if err := validTags(tags); err != nil {
		return err
	}
	p.Tags = tags
	if err := s.store.UpdateProject(r.Context(), p); err != nil {
		return err
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	s.api.WriteJSON(w, status, map[string]any{"tags": nonNil(tags)})
	return nil
}

func (s *Service) replaceProjectTags(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:update_project_tags")
	if err != nil {
		return err
	}
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	a := &attrs{entity: "body", m: body}
	tags := a.strings("tags")
	if a.err != nil {
		return a.err
	}
	return s.setTags(w, r, p, tags, http.StatusOK)
}

func (s *Service) clearProjectTags(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:update_project_tags")
	if err != nil {
		return err
	}
	return s.setTags(w, r, p, nil, http.StatusNoContent)
}

func (s *Service) addProjectTag(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:update_project_tags")
	if err != nil {
		return err
	}
	tag := r.PathValue("tag")
	if slices.Contains(p.Tags, tag) {
		w.WriteHeader(http.StatusCreated)
		return nil
	}
	if err := validTags(append(slices.Clone(p.Tags), tag)); err != nil {
		return err
	}
	p.Tags = append(p.Tags, tag)
	if err := s.store.UpdateProject(r.Context(), p); err != nil {
		return err
	}
	w.Header().Set("Location", s.baseURL(r)+"/v3/projects/"+p.ID+"/tags/"+tag)
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *Service) deleteProjectTag(w http.ResponseWriter, r *http.Request) error {
	p, err := s.projectForTags(r, "identity:update_project_tags")
	if err != nil {
		return err
	}
	tag := r.PathValue("tag")
	i := slices.Index(p.Tags, tag)
	if i < 0 {
		return &NotFoundError{Kind: "project tag", ID: tag}
	}
	return s.setTags(w, r, p, slices.Delete(p.Tags, i, i+1), http.StatusNoContent)
}

// userProjects returns the projects a user has any role on, directly, through groups or by
// inheritance, sorted by name.
func (s *Service) userProjects(ctx context.Context, userID string) ([]Project, error) {
	groups, err := s.store.UserGroupIDs(ctx, userID)
	if err != nil {
		return nil, err
	}
	assignments, err := s.store.ListAssignments(ctx, AssignmentFilter{
		ActorIDs: append([]string{userID}, groups...),
		Types:    []string{UserProject, GroupProject, UserDomain, GroupDomain},
	})
	if err != nil {
		return nil, err
	}
	all, err := s.store.ListProjects(ctx, ProjectFilter{})
	if err != nil {
		return nil, err
	}
	children := map[string][]string{}
	for _, p := range all {
		if !p.IsDomain {
			children[p.ParentID] = append(children[p.ParentID], p.ID)
		}
	}
	ids := map[string]bool{}
	var addTree func(id string)
	addTree = func(id string) {
		for _, c := range children[id] {
			if !ids[c] {
				ids[c] = true
				addTree(c)
			}
		}
	}
	for _, a := range assignments {
		switch {
		case a.Inherited:
			addTree(a.TargetID)
		case a.Type == UserProject || a.Type == GroupProject:
			ids[a.TargetID] = true
		}
	}
	var out []Project
	for _, p := range all {
		if ids[p.ID] && !p.IsDomain {
			out = append(out, p)
		}
	}
	return out, nil
}

// userDomains returns the domains a user has a role on, directly or through groups.
func (s *Service) userDomains(ctx context.Context, userID string) ([]Project, error) {
	groups, err := s.store.UserGroupIDs(ctx, userID)
	if err != nil {
		return nil, err
	}
	assignments, err := s.store.ListAssignments(ctx, AssignmentFilter{
		ActorIDs: append([]string{userID}, groups...), Types: []string{UserDomain, GroupDomain},
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range assignments {
		if !a.Inherited && !slices.Contains(ids, a.TargetID) {
			ids = append(ids, a.TargetID)
		}
	}
	isDomain := true
	return s.store.ListProjects(ctx, ProjectFilter{IDs: ids, IsDomain: &isDomain})
}
