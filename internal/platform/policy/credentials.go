package policy

import "strings"

// Credentials describe the caller (built by the auth middleware from a token).
type Credentials struct {
	UserID, UserDomainID       string
	ProjectID, ProjectDomainID string
	DomainID                   string // domain-scoped token
	SystemScope                string // "all" for a system-scoped token, else ""
	Roles                      []string
	IsAdminProject             bool
	ServiceUser                bool // roles include "service"
}

// Lookup returns the value of a generic-check key: user_id, user_domain_id, project_id,
// project_domain_id, domain_id, system_scope, is_admin_project ("True"/"False"),
// and the token.* aliases Keystone uses (token.user.id, token.user.domain.id,
// token.project.id, token.project.domain.id, token.domain.id, token.system.all).
//
// An attribute that is empty (for example domain_id on a project-scoped token) is
// reported as absent, so a check such as domain_id:%(target.domain_id)s can never
// match an empty target value. token.system.all is "True" for a system-scoped token
// and absent otherwise, as in Keystone's flattened token data.
func (c Credentials) Lookup(key string) (string, bool) {
	var v string
	switch key {
	case "user_id", "token.user.id":
		v = c.UserID
	case "user_domain_id", "token.user.domain.id":
		v = c.UserDomainID
	case "project_id", "token.project.id":
		v = c.ProjectID
	case "project_domain_id", "token.project.domain.id":
		v = c.ProjectDomainID
	case "domain_id", "token.domain.id":
		v = c.DomainID
	case "system_scope":
		v = c.SystemScope
	case "token.system.all":
		if c.SystemScope == "all" {
			v = "True"
		}
	case "is_admin_project":
		return pyBool(c.IsAdminProject), true
	}
	return v, v != ""
}

// HasRole reports whether the credentials carry role, compared case-insensitively
// like oslo.policy's role: check.
func (c Credentials) HasRole(role string) bool {
	for _, r := range c.Roles {
		if strings.EqualFold(r, role) {
			return true
		}
	}
	return false
}

// pyBool renders b the way Python's str(bool) does, which is what oslo.policy
// compares generic-check matches against.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
