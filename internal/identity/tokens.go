package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/platform/auth"
)

// AuthError is a failed authentication (401). Messages never say whether a user exists.
type AuthError struct{ Message string }

func (e *AuthError) Error() string { return e.Message }

// TokenNotFoundError is a subject token that is invalid, expired or revoked (404 on validate).
type TokenNotFoundError struct{ Reason string }

func (e *TokenNotFoundError) Error() string { return "Failed to validate token: " + e.Reason }

const genericAuthFailure = "The request you have made requires authentication."

// AuthRequest is a parsed POST /v3/auth/tokens body.
type AuthRequest struct {
	Methods  []string
	Password *UserSecret // the password method
	Token    string      // the token method
	AppCred  *AppCredAuth
	Scope    ScopeRequest
}

// UserSecret names a user by id, or by name within a domain (by id or name), with a secret.
type UserSecret struct {
	UserID, UserName, DomainID, DomainName string
	Secret                                 string
}

// AppCredAuth names an application credential by id, or by name and owning user.
type AppCredAuth struct {
	ID, Name string
	User     UserSecret // identifies the owner when Name is used; Secret unused
	Secret   string
}

// ScopeRequest is the requested scope; Kind "" means "none requested".
type ScopeRequest struct {
	Kind                                         string // "", "project", "domain", "system", "unscoped"
	ProjectID, ProjectName, DomainID, DomainName string // the project's domain, or the domain itself
}

// TokenData is everything a token stands for, resolved against current identity data.
type TokenData struct {
	Payload        fernet.Payload
	User           User
	UserDomain     Project
	Project        *Project
	ProjectDomain  *Project
	Domain         *Project
	Roles          []Role
	AppCred        *AppCredential
	IsAdminProject bool
}

// Authenticate checks the request's methods and issues a token for the requested scope.
func (s *Service) Authenticate(ctx context.Context, req AuthRequest) (string, *TokenData, error) {
	if len(req.Methods) == 0 {
		return "", nil, invalidf("Invalid input for field 'identity/methods': at least one method is required.")
	}
	if err := s.cache.refresh(ctx); err != nil {
		return "", nil, err
	}
	now := s.now()
	p := fernet.Payload{IssuedAt: now, ExpiresAt: now.Add(s.opts.TokenExpiration), AuditIDs: []string{fernet.NewAuditID()}}
	var userID string
	for _, m := range req.Methods {
		uid, err := s.authenticateMethod(ctx, m, req, &p)
		if err != nil {
			return "", nil, err
		}
		if userID != "" && uid != userID {
			return "", nil, &AuthError{Message: "User IDs do not match across authentication methods."}
		}
		userID = uid
		if !slices.Contains(p.Methods, m) {
			p.Methods = append(p.Methods, m)
		}
	}
	p.UserID = userID
	if err := s.resolveScope(ctx, req.Scope, &p); err != nil {
		return "", nil, err
	}
	td, err := s.resolve(ctx, p)
	if err != nil {
		return "", nil, authFailure(err)
	}
	token, err := s.codec.Encode(p)
	if err != nil {
		return "", nil, err
	}
	return token, td, nil
}

// authFailure turns a resolve failure into the 401 the client sees.
func authFailure(err error) error {
	var nf *TokenNotFoundError
	if errors.As(err, &nf) {
		return &AuthError{Message: nf.Reason}
	}
	return err
}

func (s *Service) authenticateMethod(ctx context.Context, method string, req AuthRequest, p *fernet.Payload) (string, error) {
	switch method {
	case "password":
		if req.Password == nil {
			return "", invalidf("Invalid input for field 'identity/password': the password method needs a 'password' object.")
		}
		u, err := s.checkPassword(ctx, *req.Password)
		return u.ID, err
	case "token":
		if req.Token == "" {
			return "", invalidf("Invalid input for field 'identity/token/id': the token method needs a token id.")
		}
		return s.authenticateToken(ctx, req, p)
	case "application_credential":
		if req.AppCred == nil {
			return "", invalidf("Invalid input for field 'identity/application_credential': the method needs an 'application_credential' object.")
		}
		return s.authenticateAppCred(ctx, req, p)
	default:
		return "", &AuthError{Message: fmt.Sprintf("Attempted to authenticate with an unsupported method: %s.", method)}
	}
}

// lookupUser finds the user a UserSecret names.
func (s *Service) lookupUser(ctx context.Context, us UserSecret) (User, error) {
	if us.UserID != "" {
		return s.store.GetUser(ctx, us.UserID)
	}
	if us.UserName == "" {
		return User{}, invalidf("Invalid input for field 'user': an id or a name is required.")
	}
	domainID := us.DomainID
	if domainID == "" {
		if us.DomainName == "" {
			return User{}, invalidf("Invalid input for field 'user/domain': a user named by name needs a domain id or name.")
		}
		d, err := s.cachedDomainByName(ctx, us.DomainName)
		if err != nil {
			return User{}, err
		}
		domainID = d.ID
	}
	return s.store.GetUserByName(ctx, domainID, us.UserName)
}

// checkPassword authenticates a user by password, applying lockout and expiry rules.
func (s *Service) checkPassword(ctx context.Context, us UserSecret) (User, error) {
	u, err := s.lookupUser(ctx, us)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return u, &AuthError{Message: "Invalid username or password."}
	}
	if err != nil {
		return u, err
	}
	now := s.now()
	if s.lockedOut(u, now) {
		return u, &AuthError{Message: fmt.Sprintf("The account is locked for user: %s.", u.ID)}
	}
	pws, err := s.store.Passwords(ctx, u.ID, 1)
	if err != nil {
		return u, err
	}
	if len(pws) == 0 || !Check(pws[0].Hash, us.Secret) {
		if err := s.recordFailure(ctx, u, now); err != nil {
			return u, err
		}
		return u, &AuthError{Message: "Invalid username or password."}
	}
	if !pws[0].ExpiresAt.IsZero() && !now.Before(pws[0].ExpiresAt) && !optionSet(u, "ignore_password_expiry") {
		return u, &AuthError{Message: fmt.Sprintf("The password is expired and needs to be changed for user: %s.", u.ID)}
	}
	if needsAuthRecord(u, now) {
		if err := s.store.RecordAuthResult(ctx, u.ID, 0, time.Time{}, now); err != nil {
			return u, err
		}
	}
	return u, nil
}

// needsAuthRecord reports whether a successful authentication must be written down: to clear
// failed attempts, or to move last_active_at to a new day. Like Keystone, which keeps
// last_active_at as a date, further logins on the same (UTC) day write nothing, so a password
// authentication costs no database write in the common case.
func needsAuthRecord(u User, now time.Time) bool {
	if u.FailedAuthCount != 0 || !u.FailedAuthAt.IsZero() || u.LastActiveAt.IsZero() {
		return true
	}
	y1, m1, d1 := u.LastActiveAt.UTC().Date()
	y2, m2, d2 := now.UTC().Date()
	return y1 != y2 || m1 != m2 || d1 != d2
}

func (s *Service) lockedOut(u User, now time.Time) bool {
	if s.opts.LockoutAttempts == 0 || optionSet(u, "ignore_lockout_failure_attempts") {
		return false
	}
	return u.FailedAuthCount >= s.opts.LockoutAttempts && now.Sub(u.FailedAuthAt) < s.opts.LockoutDuration
}

func (s *Service) recordFailure(ctx context.Context, u User, now time.Time) error {
	count := u.FailedAuthCount + 1
	if s.opts.LockoutAttempts > 0 && u.FailedAuthCount >= s.opts.LockoutAttempts {
		count = 1 // the previous lockout has passed: start counting again
	}
	return s.store.RecordAuthResult(ctx, u.ID, count, now, time.Time{})
}

func optionSet(u User, name string) bool {
	v, _ := u.Options[name].(bool)
	return v
}

// authenticateToken accepts an existing valid token: the new token keeps its expiry and
// joins its audit chain.
func (s *Service) authenticateToken(ctx context.Context, req AuthRequest, p *fernet.Payload) (string, error) {
	parent, err := s.Validate(ctx, req.Token, false)
	if err != nil {
		return "", &AuthError{Message: "Could not validate the token given to the token method: " + reason(err)}
	}
	pp := parent.Payload
	if pp.AppCredID != "" {
		return "", &AuthError{Message: "A token created with an application credential cannot be used to create another token."}
	}
	scoped := pp.ProjectID != "" || pp.DomainID != "" || pp.System
	if scoped && !s.opts.AllowRescope && req.Scope.Kind != "" {
		return "", &AuthError{Message: "Rescoping a scoped token is not allowed."}
	}
	p.ExpiresAt = pp.ExpiresAt
	p.AuditIDs = []string{p.AuditIDs[0], pp.AuditIDs[len(pp.AuditIDs)-1]}
	for _, m := range pp.Methods {
		if !slices.Contains(p.Methods, m) {
			p.Methods = append(p.Methods, m)
		}
	}
	return pp.UserID, nil
}

func reason(err error) string {
	var nf *TokenNotFoundError
	if errors.As(err, &nf) {
		return nf.Reason
	}
	return err.Error()
}

// authenticateAppCred checks an application credential's secret; the token is scoped to its
// project and carries only its roles.
func (s *Service) authenticateAppCred(ctx context.Context, req AuthRequest, p *fernet.Payload) (string, error) {
	ac, err := s.lookupAppCred(ctx, *req.AppCred)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return "", &AuthError{Message: "Invalid application credential."}
	}
	if err != nil {
		return "", err
	}
	if !Check(ac.SecretHash, req.AppCred.Secret) {
		return "", &AuthError{Message: "Invalid application credential."}
	}
	if !ac.ExpiresAt.IsZero() && !s.now().Before(ac.ExpiresAt) {
		return "", &AuthError{Message: "The application credential has expired."}
	}
	if req.Scope.Kind != "" {
		return "", &AuthError{Message: "Application credentials cannot request a scope."}
	}
	if !ac.ExpiresAt.IsZero() && ac.ExpiresAt.Before(p.ExpiresAt) {
		p.ExpiresAt = ac.ExpiresAt
	}
	p.AppCredID, p.ProjectID = ac.ID, ac.ProjectID
	return ac.UserID, nil
}

func (s *Service) lookupAppCred(ctx context.Context, a AppCredAuth) (AppCredential, error) {
	if a.ID != "" {
		return s.store.GetAppCredential(ctx, a.ID)
	}
	if a.Name == "" {
		return AppCredential{}, invalidf("Invalid input for field 'application_credential': an id, or a name and a user, is required.")
	}
	u, err := s.lookupUser(ctx, a.User)
	if err != nil {
		return AppCredential{}, err
	}
	return s.store.GetAppCredentialByName(ctx, u.ID, a.Name)
}

// resolveScope turns the requested scope into ids on the payload.
func (s *Service) resolveScope(ctx context.Context, sc ScopeRequest, p *fernet.Payload) error {
	if p.AppCredID != "" {
		return nil // already scoped to the credential's project
	}
	switch sc.Kind {
	case "":
		if p.ProjectID != "" || p.DomainID != "" || p.System {
			return nil
		}
		return s.defaultProjectScope(ctx, p)
	case "unscoped":
		p.ProjectID, p.DomainID, p.System = "", "", false
	case "system":
		p.ProjectID, p.DomainID, p.System = "", "", true
	case "domain":
		d, err := s.findDomain(ctx, sc.DomainID, sc.DomainName)
		if err != nil {
			return err
		}
		p.ProjectID, p.DomainID, p.System = "", d.ID, false
	case "project":
		pr, err := s.findProject(ctx, sc)
		if err != nil {
			return err
		}
		p.ProjectID, p.DomainID, p.System = pr.ID, "", false
	}
	return nil
}

// defaultProjectScope scopes to the user's default project when it is usable, as Keystone does.
func (s *Service) defaultProjectScope(ctx context.Context, p *fernet.Payload) error {
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil || u.DefaultProjectID == "" {
		return err
	}
	pr, err := s.store.GetProject(ctx, u.DefaultProjectID)
	if err != nil || !pr.Enabled {
		return nil
	}
	roles, err := s.effectiveRoles(ctx, u.ID, scopeTarget{projectID: pr.ID})
	if err == nil && len(roles) > 0 {
		p.ProjectID = pr.ID
	}
	return err
}

func (s *Service) findDomain(ctx context.Context, id, name string) (Project, error) {
	var d Project
	var err error
	switch {
	case id != "":
		d, err = s.cachedDomain(ctx, id)
	case name != "":
		d, err = s.cachedDomainByName(ctx, name)
	default:
		return d, invalidf("Invalid input for field 'scope/domain': an id or a name is required.")
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return d, &AuthError{Message: fmt.Sprintf("Could not find domain: %s.", nf.ID)}
	}
	return d, err
}

func (s *Service) findProject(ctx context.Context, sc ScopeRequest) (Project, error) {
	if sc.ProjectID != "" {
		pr, err := s.cachedProject(ctx, sc.ProjectID)
		if err == nil && pr.IsDomain {
			err = &NotFoundError{Kind: "project", ID: sc.ProjectID}
		}
		return pr, scopeNotFound(err)
	}
	if sc.ProjectName == "" {
		return Project{}, invalidf("Invalid input for field 'scope/project': an id or a name is required.")
	}
	if sc.DomainID == "" && sc.DomainName == "" {
		return Project{}, invalidf("Invalid input for field 'scope/project/domain': a project named by name needs a domain id or name.")
	}
	d, err := s.findDomain(ctx, sc.DomainID, sc.DomainName)
	if err != nil {
		return Project{}, err
	}
	pr, err := s.cache.lookup(ctx, lookupKey{kind: projectByName, domainID: d.ID, key: sc.ProjectName},
		func(ctx context.Context) (Project, error) { return s.store.GetProjectByName(ctx, d.ID, sc.ProjectName) })
	return pr, scopeNotFound(err)
}

func scopeNotFound(err error) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return &AuthError{Message: fmt.Sprintf("Could not find project: %s.", nf.ID)}
	}
	return err
}

// Validate decodes a token and checks it against current identity data. allowExpired accepts
// a token up to allow_expired_window past its expiry.
func (s *Service) Validate(ctx context.Context, token string, allowExpired bool) (*TokenData, error) {
	ct, err := s.validate(ctx, token, allowExpired)
	if err != nil {
		return nil, err
	}
	return ct.td, nil
}

// validate is Validate returning the token's cache entry. A token already validated with the
// current keys and generation is neither decrypted nor resolved again.
func (s *Service) validate(ctx context.Context, token string, allowExpired bool) (*cachedToken, error) {
	_, keys, err := s.keys.Keys()
	if err != nil {
		keys = nil // Decode reports the problem
	}
	var p fernet.Payload
	if ct := s.cache.token(token, keys); ct != nil {
		p = ct.td.Payload // decoded before with these very keys
	} else if p, err = s.codec.Decode(token); err != nil {
		return nil, &TokenNotFoundError{Reason: "the token is malformed or was not issued by this cloud."}
	}
	now := s.now()
	if !now.Before(p.ExpiresAt) {
		if !allowExpired || !now.Before(p.ExpiresAt.Add(s.opts.AllowExpiredWindow)) {
			return nil, &TokenNotFoundError{Reason: "the token has expired."}
		}
	}
	if err := s.cache.refresh(ctx); err != nil {
		return nil, err
	}
	if ct := s.cache.token(token, keys); ct != nil {
		return ct, nil
	}
	gen := s.cache.generation()
	td, err := s.resolve(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.cache.putToken(token, td, gen, keys), nil
}

// resolve checks a payload against revocations and current data and fills in what it names.
// What a scope resolves to is cached per generation, so only the revocation check is redone
// for another token of the same user and scope.
func (s *Service) resolve(ctx context.Context, p fernet.Payload) (*TokenData, error) {
	if err := s.cache.refresh(ctx); err != nil {
		return nil, err
	}
	key := scopeKeyOf(p)
	if base, ok := s.cache.scope(key); ok {
		// Everything but the revocation check passed for this scope in this generation.
		td := *base
		td.Payload = p
		if err := s.checkRevoked(ctx, &td); err != nil {
			return nil, err
		}
		return &td, nil
	}
	gen := s.cache.generation()
	td := &TokenData{Payload: p}
	var err error
	if td.User, err = s.store.GetUser(ctx, p.UserID); err != nil {
		return nil, notFoundAs(err, "the user no longer exists.")
	}
	if !td.User.Enabled {
		return nil, &TokenNotFoundError{Reason: "the user is disabled."}
	}
	if td.UserDomain, err = s.enabledDomain(ctx, td.User.DomainID); err != nil {
		return nil, err
	}
	if err := s.checkRevoked(ctx, td); err != nil {
		return nil, err
	}
	if err := s.resolveScopeData(ctx, td); err != nil {
		return nil, err
	}
	base := *td
	base.Payload = fernet.Payload{}
	s.cache.putScope(key, &base, gen)
	return td, nil
}

func notFoundAs(err error, reason string) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return &TokenNotFoundError{Reason: reason}
	}
	return err
}

func (s *Service) enabledDomain(ctx context.Context, id string) (Project, error) {
	d, err := s.cachedDomain(ctx, id)
	if err != nil {
		return d, notFoundAs(err, "its domain no longer exists.")
	}
	if !d.Enabled {
		return d, &TokenNotFoundError{Reason: fmt.Sprintf("the domain %s is disabled.", d.Name)}
	}
	return d, nil
}

// cachedProject returns a project or domain by id through the generation's cache.
func (s *Service) cachedProject(ctx context.Context, id string) (Project, error) {
	return s.cache.lookup(ctx, lookupKey{kind: projectByID, key: id},
		func(ctx context.Context) (Project, error) { return s.store.GetProject(ctx, id) })
}

// cachedDomain returns a domain by id through the generation's cache.
func (s *Service) cachedDomain(ctx context.Context, id string) (Project, error) {
	return s.cache.lookup(ctx, lookupKey{kind: domainByID, key: id},
		func(ctx context.Context) (Project, error) { return s.store.GetDomain(ctx, id) })
}

// cachedDomainByName returns a domain by name through the generation's cache.
func (s *Service) cachedDomainByName(ctx context.Context, name string) (Project, error) {
	return s.cache.lookup(ctx, lookupKey{kind: domainByName, key: name},
		func(ctx context.Context) (Project, error) { return s.store.GetDomainByName(ctx, name) })
}

// resolveScopeData loads the scope's project/domain and the roles the token carries.
func (s *Service) resolveScopeData(ctx context.Context, td *TokenData) error {
	p := td.Payload
	var target scopeTarget
	switch {
	case p.ProjectID != "":
		pr, err := s.cachedProject(ctx, p.ProjectID)
		if err != nil {
			return notFoundAs(err, "the project no longer exists.")
		}
		if !pr.Enabled {
			return &TokenNotFoundError{Reason: fmt.Sprintf("the project %s is disabled.", pr.Name)}
		}
		dom, err := s.enabledDomain(ctx, pr.DomainID)
		if err != nil {
			return err
		}
		td.Project, td.ProjectDomain = &pr, &dom
		td.IsAdminProject = s.isAdminProject(pr, dom)
		target.projectID = pr.ID
	case p.DomainID != "":
		dom, err := s.enabledDomain(ctx, p.DomainID)
		if err != nil {
			return err
		}
		td.Domain = &dom
		target.domainID = dom.ID
	case p.System:
		target.system = true
	default:
		return nil // unscoped: no roles
	}
	roles, err := s.effectiveRoles(ctx, p.UserID, target)
	if err != nil {
		return err
	}
	if p.AppCredID != "" {
		if roles, err = s.appCredRoles(ctx, td, roles); err != nil {
			return err
		}
	}
	if len(roles) == 0 {
		return &TokenNotFoundError{Reason: fmt.Sprintf("the user %s has no role on the requested scope.", p.UserID)}
	}
	td.Roles = roles
	return nil
}

// appCredRoles limits a token to the roles its application credential delegated that the user
// still holds.
func (s *Service) appCredRoles(ctx context.Context, td *TokenData, userRoles []Role) ([]Role, error) {
	ac, err := s.store.GetAppCredential(ctx, td.Payload.AppCredID)
	if err != nil {
		return nil, notFoundAs(err, "the application credential no longer exists.")
	}
	td.AppCred = &ac
	var out []Role
	for _, r := range userRoles {
		if slices.Contains(ac.RoleIDs, r.ID) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Service) isAdminProject(p, domain Project) bool {
	if s.opts.AdminProjectName == "" {
		return true
	}
	return p.Name == s.opts.AdminProjectName && domain.Name == s.opts.AdminProjectDomain
}

// checkRevoked fails a token that a revocation event matches.
func (s *Service) checkRevoked(ctx context.Context, td *TokenData) error {
	events, err := s.cache.revocations(ctx)
	if err != nil {
		return err
	}
	p := td.Payload
	for _, e := range events {
		if revokes(e, p, td.User.DomainID) {
			return &TokenNotFoundError{Reason: "the token has been revoked."}
		}
	}
	return nil
}

// revokes reports whether an event matches a token: every field the event sets must match,
// and the token must have been issued no later than the event's cut-off.
func revokes(e RevocationEvent, p fernet.Payload, userDomainID string) bool {
	if p.IssuedAt.After(e.IssuedBefore) {
		return false
	}
	match := func(want, have string) bool { return want == "" || want == have }
	auditChain := p.AuditIDs[len(p.AuditIDs)-1]
	return match(e.UserID, p.UserID) && match(e.ProjectID, p.ProjectID) &&
		(e.DomainID == "" || e.DomainID == p.DomainID || e.DomainID == userDomainID) &&
		match(e.AuditID, p.AuditIDs[0]) && match(e.AuditChainID, auditChain) && e.RoleID == ""
}

// ValidateToken implements auth.Validator for services running in the same process.
func (s *Service) ValidateToken(ctx context.Context, token string) (*auth.Context, error) {
	td, err := s.Validate(ctx, token, false)
	var nf *TokenNotFoundError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("%w: %s", auth.ErrInvalidToken, nf.Reason)
	}
	if err != nil {
		return nil, err
	}
	return td.AuthContext(token), nil
}

// AuthContext describes the token's caller for policy checks and logs.
func (td *TokenData) AuthContext(token string) *auth.Context {
	c := &auth.Context{
		TokenID: token, UserID: td.User.ID, UserName: td.User.Name,
		UserDomainID: td.UserDomain.ID, UserDomainName: td.UserDomain.Name,
		System: td.Payload.System, IsAdminProject: td.IsAdminProject,
		AuthMethods: td.Payload.Methods, AuditIDs: td.Payload.AuditIDs,
		ApplicationCredentialID: td.Payload.AppCredID,
		IssuedAt:                td.Payload.IssuedAt, ExpiresAt: td.Payload.ExpiresAt,
	}
	if td.Project != nil {
		c.ProjectID, c.ProjectName = td.Project.ID, td.Project.Name
		c.ProjectDomainID, c.ProjectDomainName = td.ProjectDomain.ID, td.ProjectDomain.Name
	}
	if td.Domain != nil {
		c.DomainID, c.DomainName = td.Domain.ID, td.Domain.Name
	}
	for _, r := range td.Roles {
		c.Roles = append(c.Roles, r.Name)
		c.RoleIDs = append(c.RoleIDs, r.ID)
	}
	return c
}

// RevokeToken revokes one token (and, for a token obtained by the token method, not its
// parent) by its audit id.
func (s *Service) RevokeToken(ctx context.Context, td *TokenData) error {
	now := s.now()
	return s.store.AddRevocation(ctx, RevocationEvent{
		ID: newID(), AuditID: td.Payload.AuditIDs[0], IssuedBefore: now, RevokedAt: now,
	})
}

// revokeUserTokens revokes every token of a user issued up to now (password change, disable).
func (s *Service) revokeUserTokens(ctx context.Context, userID string) error {
	now := s.now()
	return s.store.AddRevocation(ctx, RevocationEvent{ID: newID(), UserID: userID, IssuedBefore: now, RevokedAt: now})
}
