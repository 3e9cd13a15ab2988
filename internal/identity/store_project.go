package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gostack/gostack/internal/platform/db"
)

const projectColumns = "id, name, domain_id, parent_id, is_domain, enabled, description, extra"

func scanProject(r db.Scanner) (Project, error) {
	var p Project
	var parent, desc, extra sql.NullString
	if err := r.Scan(&p.ID, &p.Name, &p.DomainID, &parent, &p.IsDomain, &p.Enabled, &desc, &extra); err != nil {
		return p, err
	}
	p.ParentID, p.Description = parent.String, desc.String
	var err error
	p.Extra, err = decodeJSON(extra)
	return p, err
}

// ProjectFilter selects projects (and domains) in ListProjects; empty fields match all.
type ProjectFilter struct {
	DomainID   string
	ParentID   string
	Name       string
	Enabled    *bool
	IsDomain   *bool
	Tags       []string // all of these
	TagsAny    []string // at least one of these
	NotTags    []string // not all of these
	NotTagsAny []string // none of these
	IDs        []string // limit to these ids (nil = no limit)
}

// CreateProject stores a new project or domain with its tags.
func (s *Store) CreateProject(ctx context.Context, p Project) error {
	extra, err := encodeJSON(p.Extra)
	if err != nil {
		return err
	}
	kind := projectKind(p)
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO project ("+projectColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			p.ID, p.Name, p.DomainID, nullString(p.ParentID), p.IsDomain, p.Enabled, nullString(p.Description), extra)
		if err != nil {
			return conflict(err, kind, duplicateNameMessage(p))
		}
		return insertTags(ctx, tx, p.ID, p.Tags)
	})
}

func projectKind(p Project) string {
	if p.IsDomain {
		return "domain"
	}
	return "project"
}

func duplicateNameMessage(p Project) string {
	if p.IsDomain {
		return fmt.Sprintf("Duplicate entry found with name %s", p.Name)
	}
	return fmt.Sprintf("Duplicate entry found with name %s at domain ID %s", p.Name, p.DomainID)
}

func insertTags(ctx context.Context, tx *db.Tx, projectID string, tags []string) error {
	for _, t := range tags {
		if _, err := tx.Exec(ctx, "INSERT INTO project_tag (project_id, name) VALUES (?, ?)", projectID, t); err != nil {
			return conflict(err, "project tag", "Duplicate tag "+t)
		}
	}
	return nil
}

// GetProject returns a project or domain by id.
func (s *Store) GetProject(ctx context.Context, id string) (Project, error) {
	return s.getProject(ctx, s.db, "project", id, "SELECT "+projectColumns+" FROM project WHERE id = ?", id)
}

// GetDomain returns a domain by id.
func (s *Store) GetDomain(ctx context.Context, id string) (Project, error) {
	return s.getProject(ctx, s.db, "domain", id, "SELECT "+projectColumns+" FROM project WHERE id = ? AND is_domain = ?", id, true)
}

// GetDomainByName returns a domain by name.
func (s *Store) GetDomainByName(ctx context.Context, name string) (Project, error) {
	return s.getProject(ctx, s.db, "domain", name, "SELECT "+projectColumns+" FROM project WHERE name = ? AND is_domain = ?", name, true)
}

// GetProjectByName returns a (non-domain) project by name within a domain.
func (s *Store) GetProjectByName(ctx context.Context, domainID, name string) (Project, error) {
	return s.getProject(ctx, s.db, "project", name,
		"SELECT "+projectColumns+" FROM project WHERE domain_id = ? AND name = ? AND is_domain = ?", domainID, name, false)
}

func (s *Store) getProject(ctx context.Context, q db.Querier, kind, id, query string, args ...any) (Project, error) {
	p, err := queryOne(ctx, q, kind, id, scanProject, query, args...)
	if err != nil {
		return p, err
	}
	p.Tags, err = db.QueryStrings(ctx, q, "SELECT name FROM project_tag WHERE project_id = ? ORDER BY name", p.ID)
	return p, err
}

// ListProjects returns the projects (and domains) that match f, ordered by name.
func (s *Store) ListProjects(ctx context.Context, f ProjectFilter) ([]Project, error) {
	var w db.Where
	w.Eq("domain_id", f.DomainID)
	w.Eq("parent_id", f.ParentID)
	w.Eq("name", f.Name)
	if f.Enabled != nil {
		w.Add("enabled = ?", *f.Enabled)
	}
	if f.IsDomain != nil {
		w.Add("is_domain = ?", *f.IsDomain)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, nil
		}
		w.Add("id IN ("+placeholders(len(f.IDs))+")", stringArgs(f.IDs)...)
	}
	projects, err := db.QueryAll(ctx, s.db, scanProject, "SELECT "+projectColumns+" FROM project"+w.String()+" ORDER BY name, id", w.Args...)
	if err != nil {
		return nil, err
	}
	tags, err := s.allTags(ctx)
	if err != nil {
		return nil, err
	}
	out := projects[:0]
	for _, p := range projects {
		p.Tags = tags[p.ID]
		if matchTags(p.Tags, f) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Store) allTags(ctx context.Context) (map[string][]string, error) {
	type tag struct{ project, name string }
	rows, err := db.QueryAll(ctx, s.db, func(r db.Scanner) (tag, error) {
		var t tag
		return t, r.Scan(&t.project, &t.name)
	}, "SELECT project_id, name FROM project_tag ORDER BY name")
	if err != nil {
		return nil, err
	}
	m := map[string][]string{}
	for _, t := range rows {
		m[t.project] = append(m[t.project], t.name)
	}
	return m, nil
}

// matchTags applies Keystone's four tag filters.
func matchTags(have []string, f ProjectFilter) bool {
	set := map[string]bool{}
	for _, t := range have {
		set[t] = true
	}
	count := func(want []string) int {
		n := 0
		for _, t := range want {
			if set[t] {
				n++
			}
		}
		return n
	}
	if len(f.Tags) > 0 && count(f.Tags) != len(f.Tags) {
		return false
	}
	if len(f.TagsAny) > 0 && count(f.TagsAny) == 0 {
		return false
	}
	if len(f.NotTags) > 0 && count(f.NotTags) == len(f.NotTags) {
		return false
	}
	if len(f.NotTagsAny) > 0 && count(f.NotTagsAny) > 0 {
		return false
	}
	return true
}

// UpdateProject rewrites a project's mutable attributes and tags.
func (s *Store) UpdateProject(ctx context.Context, p Project) error {
	extra, err := encodeJSON(p.Extra)
	if err != nil {
		return err
	}
	kind := projectKind(p)
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE project SET name = ?, enabled = ?, description = ?, extra = ? WHERE id = ?",
			p.Name, p.Enabled, nullString(p.Description), extra, p.ID)
		if err := mustAffect(res, conflict(err, kind, duplicateNameMessage(p)), kind, p.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM project_tag WHERE project_id = ?", p.ID); err != nil {
			return err
		}
		return insertTags(ctx, tx, p.ID, p.Tags)
	})
}

// DeleteProject removes a leaf project and everything that refers to it.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		return deleteProjectTx(ctx, tx, id)
	})
}

func deleteProjectTx(ctx context.Context, tx *db.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM project_tag WHERE project_id = ?",
		"DELETE FROM assignment WHERE target_id = ?",
		"DELETE FROM application_credential_role WHERE application_credential_id IN (SELECT id FROM application_credential WHERE project_id = ?)",
		"DELETE FROM application_credential WHERE project_id = ?",
		"DELETE FROM credential WHERE project_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM project WHERE id = ?", id)
	return mustAffect(res, err, "project", id)
}

// DeleteDomain removes a domain with all of its projects, users, groups and roles.
func (s *Store) DeleteDomain(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		projects, err := db.QueryStrings(ctx, tx, "SELECT id FROM project WHERE domain_id = ? AND is_domain = ?", id, false)
		if err != nil {
			return err
		}
		for _, p := range projects {
			if err := deleteProjectTx(ctx, tx, p); err != nil {
				return err
			}
		}
		users, err := db.QueryStrings(ctx, tx, "SELECT id FROM identity_user WHERE domain_id = ?", id)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := deleteUserTx(ctx, tx, u); err != nil {
				return err
			}
		}
		groups, err := db.QueryStrings(ctx, tx, "SELECT id FROM identity_group WHERE domain_id = ?", id)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if err := deleteGroupTx(ctx, tx, g); err != nil {
				return err
			}
		}
		roles, err := db.QueryStrings(ctx, tx, "SELECT id FROM role WHERE domain_id = ?", id)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if err := deleteRoleTx(ctx, tx, r); err != nil {
				return err
			}
		}
		return deleteProjectTx(ctx, tx, id)
	})
}

// HasChildren reports whether any project names id as its parent.
func (s *Store) HasChildren(ctx context.Context, id string) (bool, error) {
	return db.Exists(ctx, s.db, "SELECT 1 FROM project WHERE parent_id = ? AND is_domain = ?", id, false)
}
