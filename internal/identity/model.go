package identity

import (
	"fmt"
	"time"
)

// RootDomainID is the domain_id that domains themselves carry: Keystone keeps domains in the
// project table under this sentinel, and so do we.
const RootDomainID = "<<keystone.domain.root>>"

// DefaultDomainID is the id of the domain created by bootstrap.
const DefaultDomainID = "default"

// globalRoleDomain marks a role that belongs to no domain (Keystone's NULL_DOMAIN_ID sentinel),
// so that (name, domain_id) can be unique on every database.
const globalRoleDomain = "<<null>>"

// Project is a project or, when IsDomain is set, a domain.
type Project struct {
	ID          string
	Name        string
	DomainID    string // RootDomainID for a domain
	ParentID    string // the domain's id for a top-level project; "" for a domain
	Description string
	Enabled     bool
	IsDomain    bool
	Tags        []string
	Extra       map[string]any
}

// User is an identity that can authenticate.
type User struct {
	ID                string
	Name              string
	DomainID          string
	DefaultProjectID  string
	Enabled           bool
	Options           map[string]any
	Extra             map[string]any // email, description and any other attribute a client sent
	CreatedAt         time.Time
	LastActiveAt      time.Time
	FailedAuthCount   int
	FailedAuthAt      time.Time
	PasswordExpiresAt time.Time // zero when it never expires
}

// Password is one entry of a user's password history; the newest is current.
type Password struct {
	UserID      string
	Hash        string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	SelfService bool
}

// Group is a set of users that assignments can name together.
type Group struct {
	ID          string
	Name        string
	DomainID    string
	Description string
	Extra       map[string]any
}

// Role is a named permission level; a role with a DomainID is a domain-specific role.
type Role struct {
	ID          string
	Name        string
	DomainID    string
	Description string
	Options     map[string]any
}

// ImpliedRole says that holding Prior also grants Implied.
type ImpliedRole struct {
	PriorID   string
	ImpliedID string
}

// Assignment kinds, as Keystone names them.
const (
	UserProject  = "UserProject"
	GroupProject = "GroupProject"
	UserDomain   = "UserDomain"
	GroupDomain  = "GroupDomain"
	UserSystem   = "UserSystem"
	GroupSystem  = "GroupSystem"
)

// SystemTarget is the target id of every system assignment.
const SystemTarget = "system"

// Assignment grants RoleID to a user or group (ActorID) on a project, domain or the system.
type Assignment struct {
	Type      string
	ActorID   string
	TargetID  string
	RoleID    string
	Inherited bool
}

// IsGroup reports whether the actor is a group.
func (a Assignment) IsGroup() bool {
	return a.Type == GroupProject || a.Type == GroupDomain || a.Type == GroupSystem
}

// CatalogService is a service entry of the catalog (Keystone's "service").
type CatalogService struct {
	ID          string
	Type        string
	Name        string
	Description string
	Enabled     bool
	Extra       map[string]any
}

// Endpoint is one URL of a service in a region for an interface (public, internal, admin).
type Endpoint struct {
	ID        string
	ServiceID string
	Interface string
	URL       string
	RegionID  string
	Enabled   bool
	Extra     map[string]any
}

// Region groups endpoints; regions may nest.
type Region struct {
	ID             string
	Description    string
	ParentRegionID string
	Extra          map[string]any
}

// AppCredential lets a user delegate a subset of their roles on one project to an application.
type AppCredential struct {
	ID           string
	Name         string
	Description  string
	UserID       string
	ProjectID    string
	SecretHash   string
	ExpiresAt    time.Time
	Unrestricted bool
	RoleIDs      []string
	CreatedAt    time.Time
}

// Credential is an opaque secret a user stores (ec2, totp, cert …); Blob is kept encrypted.
type Credential struct {
	ID        string
	UserID    string
	ProjectID string
	Type      string
	Blob      string // plaintext in memory; encrypted at rest
	Extra     map[string]any
}

// RevocationEvent invalidates every token it matches that was issued at or before IssuedBefore.
type RevocationEvent struct {
	ID           string
	UserID       string
	ProjectID    string
	DomainID     string
	RoleID       string
	AuditID      string
	AuditChainID string
	IssuedBefore time.Time
	RevokedAt    time.Time
}

// NotFoundError is returned when an entity does not exist.
type NotFoundError struct {
	Kind string // "user", "project" …
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("Could not find %s: %s.", e.Kind, e.ID) }

// ConflictError is returned when a write would duplicate a unique attribute.
type ConflictError struct {
	Kind    string
	Message string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("Conflict occurred attempting to store %s - %s.", e.Kind, e.Message)
}

// ValidationError is bad input found by the service layer (a 400 at the API).
type ValidationError struct{ Message string }

func (e *ValidationError) Error() string { return e.Message }

// ForbiddenError is an action the data model forbids, such as deleting an enabled domain (403).
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }

func invalidf(format string, args ...any) error {
	return &ValidationError{Message: fmt.Sprintf(format, args...)}
}
