package identity

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// BootstrapOptions say what `gostack bootstrap` creates, as keystone-manage bootstrap's flags do.
type BootstrapOptions struct {
	AdminUser      string // default "admin"
	AdminPassword  string // set (or reset) the admin's password; "" keeps an existing one
	AdminProject   string // default "admin"
	ServiceProject string // default "service"
	ExtraProjects  []string
	Region         string // default "RegionOne"
	PublicURL      string // identity endpoints; "" skips the catalog entry
	InternalURL    string
	AdminURL       string
	Services       []ServiceEntry // other services to register, such as image
	Hasher         Hasher
}

// BootstrapResult reports what bootstrap found or made.
type BootstrapResult struct {
	AdminUserID    string
	AdminProjectID string
	CreatedAdmin   bool // the admin user was created (so AdminPassword is its password)
}

// bootstrapRoles are created with admin implying member implying reader.
var bootstrapRoles = []string{"admin", "member", "reader"}

// Bootstrap creates, when missing, the Default domain, the admin/service projects, the admin,
// member, reader and service roles (admin implies member implies reader), the admin user with
// the admin role on its project and on the system, the region and the identity endpoints.
// Running it again changes nothing except, when given, the admin password.
func (s *Store) Bootstrap(ctx context.Context, o BootstrapOptions) (BootstrapResult, error) {
	o = bootstrapDefaults(o)
	var res BootstrapResult
	if err := s.ensureDomain(ctx); err != nil {
		return res, err
	}
	projects := map[string]string{}
	for _, name := range append([]string{o.AdminProject, o.ServiceProject}, o.ExtraProjects...) {
		id, err := s.ensureProject(ctx, name)
		if err != nil {
			return res, err
		}
		projects[name] = id
	}
	roles := map[string]string{}
	for _, name := range bootstrapRoles {
		id, err := s.ensureRole(ctx, name)
		if err != nil {
			return res, err
		}
		roles[name] = id
	}
	for _, pair := range [][2]string{{"admin", "member"}, {"member", "reader"}} {
		err := s.CreateImpliedRole(ctx, ImpliedRole{PriorID: roles[pair[0]], ImpliedID: roles[pair[1]]})
		var cf *ConflictError
		if err != nil && !errors.As(err, &cf) {
			return res, err
		}
	}
	userID, created, err := s.ensureAdmin(ctx, o)
	if err != nil {
		return res, err
	}
	res = BootstrapResult{AdminUserID: userID, AdminProjectID: projects[o.AdminProject], CreatedAdmin: created}
	for _, a := range []Assignment{
		{Type: UserProject, ActorID: userID, TargetID: projects[o.AdminProject], RoleID: roles["admin"]},
		{Type: UserSystem, ActorID: userID, TargetID: SystemTarget, RoleID: roles["admin"]},
	} {
		if err := s.Grant(ctx, a); err != nil {
			return res, err
		}
	}
	return res, s.ensureIdentityEndpoints(ctx, o)
}

func bootstrapDefaults(o BootstrapOptions) BootstrapOptions {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.AdminUser, "admin")
	def(&o.AdminProject, "admin")
	def(&o.ServiceProject, "service")
	def(&o.Region, "RegionOne")
	def(&o.InternalURL, o.PublicURL)
	def(&o.AdminURL, o.PublicURL)
	return o
}

func isNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

func (s *Store) ensureDomain(ctx context.Context) error {
	_, err := s.GetDomain(ctx, DefaultDomainID)
	if !isNotFound(err) {
		return err
	}
	return s.CreateProject(ctx, Project{ID: DefaultDomainID, Name: "Default", DomainID: RootDomainID,
		IsDomain: true, Enabled: true, Description: "The default domain"})
}

func (s *Store) ensureProject(ctx context.Context, name string) (string, error) {
	p, err := s.GetProjectByName(ctx, DefaultDomainID, name)
	if !isNotFound(err) {
		return p.ID, err
	}
	p = Project{ID: newID(), Name: name, DomainID: DefaultDomainID, ParentID: DefaultDomainID, Enabled: true,
		Description: fmt.Sprintf("Bootstrap project %s", name)}
	return p.ID, s.CreateProject(ctx, p)
}

func (s *Store) ensureRole(ctx context.Context, name string) (string, error) {
	r, err := s.GetRoleByName(ctx, "", name)
	if !isNotFound(err) {
		return r.ID, err
	}
	r = Role{ID: newID(), Name: name}
	return r.ID, s.CreateRole(ctx, r)
}

// ensureAdmin creates the admin user, or re-enables it and resets its password when one is
// given that differs from the current one.
func (s *Store) ensureAdmin(ctx context.Context, o BootstrapOptions) (string, bool, error) {
	now := time.Now().UTC()
	u, err := s.GetUserByName(ctx, DefaultDomainID, o.AdminUser)
	if isNotFound(err) {
		if o.AdminPassword == "" {
			return "", false, errors.New("bootstrap: the admin user does not exist yet, so a password is required")
		}
		u = User{ID: newID(), Name: o.AdminUser, DomainID: DefaultDomainID, Enabled: true, CreatedAt: now}
		pw, err := newPassword(o.Hasher, u.ID, o.AdminPassword, now)
		if err != nil {
			return "", false, err
		}
		return u.ID, true, s.CreateUser(ctx, u, pw)
	}
	if err != nil {
		return "", false, err
	}
	var pw *Password
	if o.AdminPassword != "" {
		old, err := s.Passwords(ctx, u.ID, 1)
		if err != nil {
			return "", false, err
		}
		if len(old) == 0 || !Check(old[0].Hash, o.AdminPassword) {
			if pw, err = newPassword(o.Hasher, u.ID, o.AdminPassword, now); err != nil {
				return "", false, err
			}
		}
	}
	if pw == nil && u.Enabled {
		return u.ID, false, nil
	}
	u.Enabled = true
	return u.ID, false, s.UpdateUser(ctx, u, pw)
}

// newPassword hashes a password into a new history entry.
func newPassword(h Hasher, userID, password string, now time.Time) (*Password, error) {
	hash, err := h.Hash(password)
	if err != nil {
		return nil, err
	}
	return &Password{UserID: userID, Hash: hash, CreatedAt: now}, nil
}

// ServiceEntry is a service as bootstrap registers it in the catalog, with its endpoints.
type ServiceEntry struct {
	Type, Name, Description string
	PublicURL               string
	InternalURL, AdminURL   string // default: the public URL
}

// ensureIdentityEndpoints registers the region, the identity service and its endpoints, and
// the other services bootstrap was given.
func (s *Store) ensureIdentityEndpoints(ctx context.Context, o BootstrapOptions) error {
	if _, err := s.GetRegion(ctx, o.Region); isNotFound(err) {
		if err := s.CreateRegion(ctx, Region{ID: o.Region}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	entries := o.Services
	if o.PublicURL != "" {
		entries = append([]ServiceEntry{{Type: "identity", Name: "keystone", PublicURL: o.PublicURL,
			InternalURL: o.InternalURL, AdminURL: o.AdminURL}}, entries...)
	}
	for _, e := range entries {
		if err := s.EnsureService(ctx, o.Region, e); err != nil {
			return err
		}
	}
	return nil
}

// EnsureService registers a service of the entry's type, unless one exists, and points its
// public, internal and admin endpoints in the region at the entry's URLs.
func (s *Store) EnsureService(ctx context.Context, region string, e ServiceEntry) error {
	services, err := s.ListServices(ctx, e.Type, "")
	if err != nil {
		return err
	}
	var svc CatalogService
	if len(services) > 0 {
		svc = services[0]
	} else {
		svc = CatalogService{ID: newID(), Type: e.Type, Name: e.Name, Description: e.Description, Enabled: true}
		if err := s.CreateService(ctx, svc); err != nil {
			return err
		}
	}
	existing, err := s.ListEndpoints(ctx, EndpointFilter{ServiceID: svc.ID, RegionID: region})
	if err != nil {
		return err
	}
	urls := map[string]string{"public": e.PublicURL, "internal": e.InternalURL, "admin": e.AdminURL}
	for iface, url := range urls {
		if url == "" {
			url = e.PublicURL
		}
		if err := s.ensureEndpoint(ctx, existing, Endpoint{ServiceID: svc.ID, Interface: iface, URL: url, RegionID: region, Enabled: true}); err != nil {
			return err
		}
	}
	return nil
}

// ensureEndpoint creates the endpoint for an interface, or points an existing one at the URL.
func (s *Store) ensureEndpoint(ctx context.Context, existing []Endpoint, want Endpoint) error {
	for _, e := range existing {
		if e.Interface != want.Interface {
			continue
		}
		if e.URL == want.URL {
			return nil
		}
		e.URL = want.URL
		return s.UpdateEndpoint(ctx, e)
	}
	want.ID = newID()
	return s.CreateEndpoint(ctx, want)
}
