package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// idName is the {"id", "name"} pair Keystone uses for users, projects, domains and roles.
type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// scopedEntity is a user or project with its domain.
type scopedEntity struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain idName `json:"domain"`
}

// tokenResponse is the body of Keystone v3's POST and GET /v3/auth/tokens.
type tokenResponse struct {
	Token struct {
		Methods               []string        `json:"methods"`
		AuditIDs              []string        `json:"audit_ids"`
		ExpiresAt             string          `json:"expires_at"`
		IssuedAt              string          `json:"issued_at"`
		User                  scopedEntity    `json:"user"`
		Project               *scopedEntity   `json:"project"`
		Domain                *idName         `json:"domain"`
		System                map[string]bool `json:"system"`
		Roles                 []idName        `json:"roles"`
		IsAdminProject        *bool           `json:"is_admin_project"`
		ApplicationCredential *idName         `json:"application_credential"`
	} `json:"token"`
}

// ParseToken reads a Keystone v3 token response body ({"token": {...}}) into a Context
// (without TokenID, which travels in the X-Subject-Token header). As in keystonemiddleware,
// a token without is_admin_project is taken to belong to the admin project.
func ParseToken(body []byte) (*Context, error) {
	return parseToken(body)
}

func parseToken(body []byte) (*Context, error) {
	var resp tokenResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decoding identity token response: %w", err)
	}
	t := resp.Token
	if t.User.ID == "" {
		return nil, errors.New("decoding identity token response: token has no user")
	}
	expires, err := parseKeystoneTime(t.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("decoding identity token response: expires_at: %w", err)
	}
	c := &Context{
		UserID:         t.User.ID,
		UserName:       t.User.Name,
		UserDomainID:   t.User.Domain.ID,
		UserDomainName: t.User.Domain.Name,
		System:         t.System["all"],
		AuthMethods:    t.Methods,
		AuditIDs:       t.AuditIDs,
		ExpiresAt:      expires,
		IsAdminProject: t.IsAdminProject == nil || *t.IsAdminProject,
	}
	if t.IssuedAt != "" {
		if c.IssuedAt, err = parseKeystoneTime(t.IssuedAt); err != nil {
			return nil, fmt.Errorf("decoding identity token response: issued_at: %w", err)
		}
	}
	if p := t.Project; p != nil {
		c.ProjectID, c.ProjectName = p.ID, p.Name
		c.ProjectDomainID, c.ProjectDomainName = p.Domain.ID, p.Domain.Name
	}
	if d := t.Domain; d != nil {
		c.DomainID, c.DomainName = d.ID, d.Name
	}
	for _, r := range t.Roles {
		c.Roles = append(c.Roles, r.Name)
		c.RoleIDs = append(c.RoleIDs, r.ID)
	}
	if t.ApplicationCredential != nil {
		c.ApplicationCredentialID = t.ApplicationCredential.ID
	}
	return c, nil
}

// keystoneTimeLayouts are the timestamp forms Keystone emits ("2026-01-02T03:04:05.000000Z")
// and older forms without a zone, which are UTC.
var keystoneTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05"}

// parseKeystoneTime parses a Keystone timestamp.
func parseKeystoneTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range keystoneTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}
