package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

func (s *Service) userRoutes() []route {
	return []route{
		{"GET /v3/users", s.listUsers},
		{"POST /v3/users", s.createUser},
		{"GET /v3/users/{id}", s.getUser},
		{"PATCH /v3/users/{id}", s.updateUser},
		{"DELETE /v3/users/{id}", s.deleteUser},
		{"GET /v3/users/{id}/projects", s.listUserProjects},
		{"GET /v3/users/{id}/groups", s.listUserGroups},
	}
}

// maxIdentityName is the longest user or group name Keystone accepts.
const maxIdentityName = 255

// userKnown are the user attributes that are not kept as extra attributes.
var userKnown = []string{"id", "name", "domain_id", "enabled", "password", "default_project_id", "options", "password_expires_at"}

// userBoolOptions are the boolean user options Keystone defines.
var userBoolOptions = []string{
	"ignore_change_password_upon_first_use", "ignore_password_expiry", "ignore_lockout_failure_attempts",
	"ignore_user_inactivity", "lock_password", "multi_factor_auth_enabled",
}

// mfaRulesOption is the one user option that is not a boolean: a list of lists of auth methods.
const mfaRulesOption = "multi_factor_auth_rules"

func (s *Service) userView(r *http.Request, u User) map[string]any {
	v := map[string]any{
		"id": u.ID, "name": u.Name, "domain_id": u.DomainID, "enabled": u.Enabled,
		"password_expires_at": formatTime(u.PasswordExpiresAt), "options": nonNilMap(u.Options),
		"links": s.selfLink(r, "/v3/users/"+u.ID),
	}
	if u.DefaultProjectID != "" {
		v["default_project_id"] = u.DefaultProjectID
	}
	return withExtra(v, u.Extra)
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func userTarget(u User) map[string]string {
	return map[string]string{"target.user.id": u.ID, "target.user.domain_id": u.DomainID}
}

// userFor loads the user named in the path and checks a policy rule on it.
func (s *Service) userFor(r *http.Request, rule string) (User, error) {
	u, err := s.store.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return u, err
	}
	return u, s.enforce(r, rule, userTarget(u))
}

// inCallerDomain keeps, for a domain-scoped caller, only the items in that domain, as
// Keystone's user and group lists do.
func inCallerDomain[T any](r *http.Request, items []T, domainOf func(T) string) []T {
	d := caller(r).DomainID
	if d == "" {
		return items
	}
	return slices.DeleteFunc(items, func(it T) bool { return domainOf(it) != d })
}

// userFilter reads the name, domain_id and enabled query filters of a user list.
func userFilter(r *http.Request) (UserFilter, error) {
	q := r.URL.Query()
	f := UserFilter{Name: q.Get("name"), DomainID: q.Get("domain_id")}
	var err error
	f.Enabled, err = boolQuery(r, "enabled")
	return f, err
}

// writeEntities writes a Keystone list of entities through their view, applying list_limit.
func writeEntities[T any](s *Service, w http.ResponseWriter, r *http.Request, key string, items []T,
	view func(*http.Request, T) map[string]any) {
	items, truncated := limit(s, items)
	views := make([]map[string]any, len(items))
	for i, it := range items {
		views[i] = view(r, it)
	}
	s.writeList(w, r, key, views, truncated)
}

// listDomain returns the domain a user or group list is limited to (the domain_id filter, else
// a domain-scoped caller's domain) after checking the list's policy rule on it.
func (s *Service) listDomain(r *http.Request, rule string) (string, error) {
	d := r.URL.Query().Get("domain_id")
	if d == "" {
		d = caller(r).DomainID
	}
	return d, s.enforce(r, rule, map[string]string{"target.domain_id": d})
}

// checkPatch rejects an empty PATCH body and any change of the entity's id or domain.
func checkPatch(a *attrs, id, domainID string) error {
	if len(a.m) == 0 {
		return invalidf("Invalid input for field '%s': at least one attribute is required.", a.entity)
	}
	if a.has("id") && a.str("id", false) != id {
		a.fail("id", "the id cannot be changed.")
	}
	if a.has("domain_id") && a.str("domain_id", false) != domainID {
		a.fail("domain_id", "the domain cannot be changed.")
	}
	return nil
}

func (s *Service) listUsers(w http.ResponseWriter, r *http.Request) error {
	f, err := userFilter(r)
	if err != nil {
		return err
	}
	if f.DomainID, err = s.listDomain(r, "identity:list_users"); err != nil {
		return err
	}
	users, err := s.store.ListUsers(r.Context(), f)
	if err != nil {
		return err
	}
	writeEntities(s, w, r, "users", inCallerDomain(r, users, func(u User) string { return u.DomainID }), s.userView)
	return nil
}

func (s *Service) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFor(r, "identity:get_user")
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"user": s.userView(r, u)})
	return nil
}

func (s *Service) createUser(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	u := User{
		ID: newID(), Name: a.name("name", true, maxIdentityName), DomainID: a.str("domain_id", false),
		Enabled: a.boolean("enabled", true), DefaultProjectID: a.str("default_project_id", true),
		CreatedAt: s.now(),
	}
	a.str("description", true)
	u.Options = userOptions(a, nil)
	password := passwordField(a)
	u.Extra = a.extra(userKnown...)
	if a.err != nil {
		return a.err
	}
	if u.DomainID == "" {
		u.DomainID = s.callerDomain(r)
	}
	if err := s.enforce(r, "identity:create_user", userTarget(u)); err != nil {
		return err
	}
	if _, err := s.store.GetDomain(r.Context(), u.DomainID); err != nil {
		return err
	}
	if err := s.checkDefaultProject(r.Context(), u.DefaultProjectID); err != nil {
		return err
	}
	pw, err := s.adminPassword(r.Context(), &u, password)
	if err != nil {
		return err
	}
	if err := s.store.CreateUser(r.Context(), u, pw); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"user": s.userView(r, u)})
	return nil
}

func (s *Service) updateUser(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	u, err := s.userFor(r, "identity:update_user")
	if err != nil {
		return err
	}
	wasEnabled, oldProject := u.Enabled, u.DefaultProjectID
	password, err := applyUserPatch(a, &u)
	if err != nil {
		return err
	}
	if u.DefaultProjectID != oldProject {
		if err := s.checkDefaultProject(r.Context(), u.DefaultProjectID); err != nil {
			return err
		}
	}
	pw, err := s.adminPassword(r.Context(), &u, password)
	if err != nil {
		return err
	}
	if u.Enabled {
		// As in Keystone, (re-)enabling a user clears its lockout.
		u.FailedAuthCount, u.FailedAuthAt = 0, time.Time{}
	}
	if err := s.store.UpdateUser(r.Context(), u, pw); err != nil {
		return err
	}
	if pw != nil || (wasEnabled && !u.Enabled) {
		if err := s.revokeUserTokens(r.Context(), u.ID); err != nil {
			return err
		}
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"user": s.userView(r, u)})
	return nil
}

// adminPassword checks a password an admin sets on create or PATCH against the security
// compliance rules and records its expiry on u; nil when no password was sent.
func (s *Service) adminPassword(ctx context.Context, u *User, password *string) (*Password, error) {
	if password == nil {
		return nil, nil
	}
	pw, err := s.passwordPolicy(ctx, *u, *password, false)
	if err != nil {
		return nil, err
	}
	u.PasswordExpiresAt = pw.ExpiresAt
	return pw, nil
}

// applyUserPatch applies the fields a PATCH of a user may change and returns the new password,
// if one was sent.
func applyUserPatch(a *attrs, u *User) (*string, error) {
	if err := checkPatch(a, u.ID, u.DomainID); err != nil {
		return nil, err
	}
	if a.has("name") {
		u.Name = a.name("name", true, maxIdentityName)
	}
	u.Enabled = a.boolean("enabled", u.Enabled)
	if a.has("default_project_id") {
		u.DefaultProjectID = a.str("default_project_id", true)
	}
	a.str("description", true)
	u.Options = userOptions(a, u.Options)
	password := passwordField(a)
	u.Extra = mergeExtra(u.Extra, a.extra(userKnown...))
	return password, a.err
}

// userOptions validates the options object of a request and merges it into the stored
// options; an option set to null is removed.
func userOptions(a *attrs, stored map[string]any) map[string]any {
	patch := a.object("options")
	for _, name := range slices.Sorted(maps.Keys(patch)) {
		v := patch[name]
		if v == nil {
			continue
		}
		switch {
		case slices.Contains(userBoolOptions, name):
			if _, ok := v.(bool); !ok {
				a.fail("options."+name, "expected a boolean, got %s.", jsonType(v))
			}
		case name == mfaRulesOption:
			if !validMFARules(v) {
				a.fail("options."+name, "expected a list of non-empty lists of authentication method names.")
			}
		default:
			a.fail("options", "'%s' is not a user option.", name)
		}
	}
	return mergeExtra(stored, patch)
}

// validMFARules reports whether v is a list of non-empty lists of strings.
func validMFARules(v any) bool {
	rules, ok := v.([]any)
	if !ok {
		return false
	}
	for _, rule := range rules {
		methods, ok := rule.([]any)
		if !ok || len(methods) == 0 {
			return false
		}
		for _, m := range methods {
			if _, ok := m.(string); !ok {
				return false
			}
		}
	}
	return true
}

// passwordField returns the password a create or update sets, or nil when none (or null) is sent.
func passwordField(a *attrs) *string {
	if v, ok := a.m["password"]; !ok || v == nil {
		return nil
	}
	pw := a.str("password", false)
	return &pw
}

// checkDefaultProject verifies that a user's default project exists and is not a domain.
func (s *Service) checkDefaultProject(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	p, err := s.store.GetProject(ctx, id)
	if err != nil {
		return err
	}
	if p.IsDomain {
		return invalidf("User's default project ID cannot be a domain ID: %s", id)
	}
	return nil
}

func (s *Service) deleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFor(r, "identity:delete_user")
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(r.Context(), u.ID); err != nil {
		return err
	}
	if err := s.revokeUserTokens(r.Context(), u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changePassword is a user's self-service password change. Keystone authenticates it by the
// original password alone; when a token is present it must be the user's own.
func (s *Service) changePassword(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	a, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	original, password := requiredString(a, "original_password"), requiredString(a, "password")
	for _, name := range slices.Sorted(maps.Keys(a.extra("original_password", "password"))) {
		a.fail(name, "additional properties are not allowed.")
	}
	if a.err != nil {
		return a.err
	}
	u, err := s.verifyOriginalPassword(r.Context(), id, original)
	if err != nil {
		return err
	}
	pw, err := s.passwordPolicy(r.Context(), u, password, true)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(r.Context(), *pw); err != nil {
		return err
	}
	if err := s.revokeUserTokens(r.Context(), u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requiredString returns a field that must be present and a string.
func requiredString(a *attrs, field string) string {
	if !a.has(field) {
		a.fail(field, "this field is required.")
		return ""
	}
	return a.str(field, false)
}

// verifyOriginalPassword authenticates a password change as Keystone does: lockout applies and
// failures count, a disabled user is refused, but an expired password may still be changed.
func (s *Service) verifyOriginalPassword(ctx context.Context, id, secret string) (User, error) {
	u, err := s.checkPassword(ctx, UserSecret{UserID: id, Secret: secret})
	var ae *AuthError
	if errors.As(err, &ae) && s.expiredButValid(ctx, u, secret) {
		err = nil
	}
	if err != nil {
		return u, err
	}
	if !u.Enabled {
		return u, &AuthError{Message: fmt.Sprintf("The account is disabled for user: %s.", u.ID)}
	}
	return u, nil
}

// expiredButValid reports whether secret is the user's current password and it has expired.
func (s *Service) expiredButValid(ctx context.Context, u User, secret string) bool {
	now := s.now()
	if u.ID == "" || s.lockedOut(u, now) {
		return false
	}
	pws, err := s.store.Passwords(ctx, u.ID, 1)
	if err != nil || len(pws) == 0 {
		return false
	}
	current := pws[0]
	return !current.ExpiresAt.IsZero() && !now.Before(current.ExpiresAt) && Check(current.Hash, secret)
}

// passwordPolicy is the one place a new password is checked against [identity] and
// [security_compliance] and hashed: it returns the history entry to store. selfService marks a
// user's own change, to which lock_password and minimum_password_age also apply.
func (s *Service) passwordPolicy(ctx context.Context, u User, password string, selfService bool) (*Password, error) {
	if err := s.checkPasswordRules(password); err != nil {
		return nil, err
	}
	history, err := s.store.Passwords(ctx, u.ID, max(1, s.opts.UniquePasswords))
	if err != nil {
		return nil, err
	}
	now := s.now()
	if selfService {
		if err := s.checkSelfService(u, history, now); err != nil {
			return nil, err
		}
	}
	if err := s.checkHistory(history, password); err != nil {
		return nil, err
	}
	pw, err := newPassword(s.opts.Hasher, u.ID, password, now)
	if err != nil {
		return nil, err
	}
	pw.SelfService = selfService
	if s.opts.PasswordExpires > 0 && !optionSet(u, "ignore_password_expiry") {
		pw.ExpiresAt = now.Add(s.opts.PasswordExpires).Truncate(time.Second)
	}
	return pw, nil
}

// checkPasswordRules applies max_password_length and password_regex (matched at the start of
// the password, like Python's re.match).
func (s *Service) checkPasswordRules(password string) error {
	if s.opts.MaxPasswordLength > 0 && utf8.RuneCountInString(password) > s.opts.MaxPasswordLength {
		return invalidf("Invalid input for field 'user.password': the password length must be less than or equal to %d.", s.opts.MaxPasswordLength)
	}
	re := s.opts.PasswordRegex
	if re == nil {
		return nil
	}
	if loc := re.FindStringIndex(password); loc == nil || loc[0] != 0 {
		desc := s.opts.PasswordRegexDesc
		if desc == "" {
			desc = "it must match " + re.String()
		}
		return invalidf("The password does not match the requirements: %s.", desc)
	}
	return nil
}

// checkSelfService applies lock_password and, when the current password was itself set by
// the user, minimum_password_age.
func (s *Service) checkSelfService(u User, history []Password, now time.Time) error {
	if optionSet(u, "lock_password") {
		return invalidf("You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.")
	}
	if s.opts.MinimumPasswordAge <= 0 || len(history) == 0 || !history[0].SelfService {
		return nil
	}
	allowed := history[0].CreatedAt.Add(s.opts.MinimumPasswordAge)
	if !now.Before(allowed) {
		return nil
	}
	day := 24 * time.Hour
	return invalidf("You cannot change your password at this time due to the minimum password age. "+
		"Once you change your password, it must be used for %d day(s) before it can be changed. "+
		"Please try again in %d day(s) or contact your administrator to reset your password.",
		int(s.opts.MinimumPasswordAge/day), int(allowed.Sub(now)/day))
}

// checkHistory applies unique_last_password_count: the new password must differ from the
// user's last N passwords.
func (s *Service) checkHistory(history []Password, password string) error {
	n := s.opts.UniquePasswords
	if n <= 0 {
		return nil
	}
	for _, old := range history[:min(n, len(history))] {
		if Check(old.Hash, password) {
			return invalidf("The new password cannot be identical to a previous password. The total number which includes the new password must be unique is %d.", n)
		}
	}
	return nil
}

func (s *Service) listUserProjects(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFor(r, "identity:list_user_projects")
	if err != nil {
		return err
	}
	enabled, err := boolQuery(r, "enabled")
	if err != nil {
		return err
	}
	projects, err := s.userProjects(r.Context(), u.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	projects = slices.DeleteFunc(projects, func(p Project) bool {
		return !matches(q.Get("domain_id"), p.DomainID) || !matches(q.Get("name"), p.Name) ||
			(enabled != nil && *enabled != p.Enabled)
	})
	s.writeProjects(w, r, projects)
	return nil
}

// matches reports whether an optional filter value (empty matches all) matches have.
func matches(want, have string) bool { return want == "" || want == have }

func (s *Service) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	u, err := s.userFor(r, "identity:list_groups_for_user")
	if err != nil {
		return err
	}
	groups, err := s.store.ListGroups(r.Context(), GroupFilter{UserID: u.ID, Name: r.URL.Query().Get("name")})
	if err != nil {
		return err
	}
	writeEntities(s, w, r, "groups", inCallerDomain(r, groups, func(g Group) string { return g.DomainID }), s.groupView)
	return nil
}
