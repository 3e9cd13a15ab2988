// Package auth authenticates the callers of gostack's APIs the way keystonemiddleware does for
// OpenStack services: it validates the X-Auth-Token of each request (locally or against a
// Keystone v3 endpoint, with an in-memory or memcached cache) and puts the caller — user,
// project or domain or system scope, roles — into the request context for handlers and policy.
package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/policy"
)

// ErrInvalidToken is wrapped by a Validator's error for any token that is not valid (unknown,
// malformed, expired or revoked), as opposed to a failure to check it.
var ErrInvalidToken = errors.New("invalid token")

// Validator checks a token and describes its caller.
type Validator interface {
	ValidateToken(ctx context.Context, token string) (*Context, error)
}

// Context is the authenticated caller of one request (what keystonemiddleware puts in the env).
type Context struct {
	TokenID                            string // the raw token, for calls made on the user's behalf
	UserID, UserName                   string
	UserDomainID, UserDomainName       string
	ProjectID, ProjectName             string
	ProjectDomainID, ProjectDomainName string
	DomainID, DomainName               string   // domain-scoped token
	System                             bool     // system-scoped token
	Roles                              []string // role names (effective, incl. implied)
	RoleIDs                            []string
	IsAdminProject                     bool
	AuthMethods                        []string
	AuditIDs                           []string
	ApplicationCredentialID            string
	IssuedAt, ExpiresAt                time.Time
}

// HasRole reports whether the caller has the named role, compared case-insensitively.
func (c *Context) HasRole(name string) bool {
	return slices.ContainsFunc(c.Roles, func(r string) bool { return strings.EqualFold(r, name) })
}

// Credentials returns the caller as policy checks see it.
func (c *Context) Credentials() policy.Credentials {
	cred := policy.Credentials{
		UserID:          c.UserID,
		UserDomainID:    c.UserDomainID,
		ProjectID:       c.ProjectID,
		ProjectDomainID: c.ProjectDomainID,
		DomainID:        c.DomainID,
		Roles:           slices.Clone(c.Roles),
		IsAdminProject:  c.IsAdminProject,
		ServiceUser:     c.HasRole("service"),
	}
	if c.System {
		cred.SystemScope = "all"
	}
	return cred
}

// Expired reports whether the token has an expiry that is not after now.
func (c *Context) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// clone returns a deep copy of c, so that cached contexts are never shared with handlers.
func (c *Context) clone() *Context {
	cp := *c
	cp.Roles = slices.Clone(c.Roles)
	cp.RoleIDs = slices.Clone(c.RoleIDs)
	cp.AuthMethods = slices.Clone(c.AuthMethods)
	cp.AuditIDs = slices.Clone(c.AuditIDs)
	return &cp
}

type contextKey struct{}

// NewContext returns ctx carrying the caller c.
func NewContext(ctx context.Context, c *Context) context.Context {
	return context.WithValue(ctx, contextKey{}, c)
}

// FromContext returns the caller stored by NewContext.
func FromContext(ctx context.Context) (*Context, bool) {
	c, ok := ctx.Value(contextKey{}).(*Context)
	return c, ok && c != nil
}
