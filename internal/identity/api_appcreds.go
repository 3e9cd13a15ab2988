package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

func (s *Service) appCredRoutes() []route {
	return []route{
		{"GET /v3/users/{user_id}/application_credentials", s.listAppCreds},
		{"POST /v3/users/{user_id}/application_credentials", s.createAppCred},
		{"GET /v3/users/{user_id}/application_credentials/{id}", s.getAppCred},
		{"DELETE /v3/users/{user_id}/application_credentials/{id}", s.deleteAppCred},
	}
}

// appCredSecretBytes is how much randomness a generated secret carries; like Keystone, the
// secret is its unpadded url-safe base64 form.
const appCredSecretBytes = 64

// roleIDPattern is Keystone's id_string: what a role id given by a client may look like.
var roleIDPattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,64}$`)

// appCredRequest is a validated create body.
type appCredRequest struct {
	name, description, secret string
	expiresAt                 time.Time
	unrestricted              bool
	roles                     []roleRef // nil: delegate every role of the caller's token
}

// roleRef names a role by id or by name.
type roleRef struct{ id, name string }

func (s *Service) appCredView(r *http.Request, ac AppCredential, roles *roleIndex) map[string]any {
	views := []map[string]any{}
	for _, id := range ac.RoleIDs {
		if role, ok := roles.byID[id]; ok {
			views = append(views, map[string]any{"id": role.ID, "name": role.Name, "domain_id": nullable(role.DomainID)})
		}
	}
	return map[string]any{
		"id": ac.ID, "name": ac.Name, "description": nullable(ac.Description), "user_id": ac.UserID,
		"project_id": ac.ProjectID, "expires_at": formatTime(ac.ExpiresAt), "unrestricted": ac.Unrestricted,
		"roles": views, "access_rules": []any{},
		"links": s.selfLink(r, "/v3/users/"+ac.UserID+"/application_credentials/"+ac.ID),
	}
}

func (s *Service) listAppCreds(w http.ResponseWriter, r *http.Request) error {
	userID := r.PathValue("user_id")
	if err := s.enforce(r, "identity:list_application_credentials", map[string]string{"target.user.id": userID}); err != nil {
		return err
	}
	if _, err := s.store.GetUser(r.Context(), userID); err != nil {
		return err
	}
	creds, err := s.store.ListAppCredentials(r.Context(), userID, r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	roles, err := s.cache.roleIndex(r.Context())
	if err != nil {
		return err
	}
	writeRendered(s, w, r, "application_credentials", creds, func(r *http.Request, ac AppCredential) map[string]any {
		return s.appCredView(r, ac, roles)
	})
	return nil
}

// loadAppCred returns the path's application credential once the caller may act on it by rule.
// As in Keystone, the policy target is the credential's real owner, not the path's user; a
// credential that belongs to another user than the path's is not found.
func (s *Service) loadAppCred(r *http.Request, rule string) (AppCredential, error) {
	userID, id := r.PathValue("user_id"), r.PathValue("id")
	ac, err := s.store.GetAppCredential(r.Context(), id)
	owner := userID
	if err == nil {
		owner = ac.UserID
	} else if !isNotFound(err) {
		return ac, err
	}
	if perr := s.enforce(r, rule, map[string]string{"target.user.id": owner}); perr != nil {
		return ac, perr
	}
	if err == nil && ac.UserID != userID {
		err = &NotFoundError{Kind: "application credential", ID: id}
	}
	return ac, err
}

func (s *Service) getAppCred(w http.ResponseWriter, r *http.Request) error {
	ac, err := s.loadAppCred(r, "identity:get_application_credential")
	if err != nil {
		return err
	}
	roles, err := s.cache.roleIndex(r.Context())
	if err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "application_credential", s.appCredView(r, ac, roles))
	return nil
}

func (s *Service) deleteAppCred(w http.ResponseWriter, r *http.Request) error {
	ac, err := s.loadAppCred(r, "identity:delete_application_credential")
	if err != nil {
		return err
	}
	if err := s.checkUnrestricted(r.Context(), r); err != nil {
		return err
	}
	if err := s.store.DeleteAppCredential(r.Context(), ac.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) createAppCred(w http.ResponseWriter, r *http.Request) error {
	userID := r.PathValue("user_id")
	a, err := decodeEntity(r, "application_credential")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_application_credential", map[string]string{"target.user.id": userID}); err != nil {
		return err
	}
	req, err := s.readAppCred(a)
	if err != nil {
		return err
	}
	if err := s.checkAppCredCreator(r, userID); err != nil {
		return err
	}
	roleIDs, err := s.delegatedRoles(r.Context(), r, req.roles)
	if err != nil {
		return err
	}
	if req.secret == "" {
		if req.secret, err = newAppCredSecret(); err != nil {
			return err
		}
	}
	hash, err := s.opts.Hasher.Hash(req.secret)
	if err != nil {
		return err
	}
	ac := AppCredential{
		ID: newID(), Name: req.name, Description: req.description, UserID: userID,
		ProjectID: caller(r).ProjectID, SecretHash: hash, ExpiresAt: req.expiresAt,
		Unrestricted: req.unrestricted, RoleIDs: roleIDs, CreatedAt: s.now(),
	}
	if err := s.store.CreateAppCredential(r.Context(), ac); err != nil {
		return err
	}
	roles, err := s.cache.roleIndex(r.Context())
	if err != nil {
		return err
	}
	view := s.appCredView(r, ac, roles)
	view["secret"] = req.secret // shown once, never again
	s.writeMember(w, http.StatusCreated, "application_credential", view)
	return nil
}

// readAppCred validates a create body as Keystone's schema does.
func (s *Service) readAppCred(a *attrs) (appCredRequest, error) {
	req := appCredRequest{
		name: a.name("name", true, maxCatalogString), description: a.str("description", true),
		secret: a.str("secret", true), unrestricted: a.boolean("unrestricted", false),
	}
	expires := a.str("expires_at", true)
	if a.has("roles") {
		req.roles = readRoleRefs(a)
	}
	if rules, ok := a.m["access_rules"]; ok && rules != nil {
		if list, isList := rules.([]any); !isList || len(list) > 0 {
			a.fail("access_rules", "access rules are not supported.")
		}
	}
	if a.err != nil {
		return req, a.err
	}
	if expires != "" {
		t, err := parseExpiry(expires, s.now())
		if err != nil {
			return req, err
		}
		req.expiresAt = t
	}
	return req, nil
}

// readRoleRefs reads "roles": a list of {"id": …} or {"name": …} objects.
func readRoleRefs(a *attrs) []roleRef {
	list, ok := a.m["roles"].([]any)
	if !ok {
		a.fail("roles", "expected a list of roles, got %s.", jsonType(a.m["roles"]))
		return nil
	}
	refs := make([]roleRef, 0, len(list))
	for _, item := range list {
		obj, _ := item.(map[string]any)
		id, idOK := obj["id"].(string)
		name, nameOK := obj["name"].(string)
		switch {
		case len(obj) != 1 || (!idOK && !nameOK):
			a.fail("roles", "each role must be an object with exactly one of 'id' or 'name' (a string).")
			return nil
		case idOK && !roleIDPattern.MatchString(id):
			a.fail("roles", "%q is not a valid role id.", id)
			return nil
		case nameOK && (strings.TrimSpace(name) == "" || len([]rune(name)) > maxCatalogString):
			a.fail("roles", "%q is not a valid role name.", name)
			return nil
		}
		refs = append(refs, roleRef{id: id, name: name})
	}
	return refs
}

// parseExpiry reads an ISO 8601 expiry (UTC when it has no offset, as Keystone assumes) that
// must not be in the past.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02"}
	for _, layout := range layouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		t = t.UTC().Truncate(time.Microsecond)
		if t.Before(now) {
			return t, invalidf("Invalid input for field 'application_credential.expires_at': The 'expires_at' must not be before now.")
		}
		return t, nil
	}
	return time.Time{}, invalidf("Invalid input for field 'application_credential.expires_at': %q is not an ISO 8601 timestamp.", v)
}

// checkAppCredCreator enforces Keystone's rules on who may create an application credential:
// the user themself, not through a restricted application credential, with a project-scoped token.
func (s *Service) checkAppCredCreator(r *http.Request, userID string) error {
	if err := s.checkUnrestricted(r.Context(), r); err != nil {
		return err
	}
	c := caller(r)
	if c.UserID != userID {
		return forbiddenAction("Cannot create an application credential for another user.")
	}
	if c.ProjectID == "" {
		return forbiddenAction("An application credential can only be created with a project-scoped token.")
	}
	return nil
}

// checkUnrestricted refuses to manage application credentials with a token that a restricted
// application credential issued.
func (s *Service) checkUnrestricted(ctx context.Context, r *http.Request) error {
	id := caller(r).ApplicationCredentialID
	if id == "" {
		return nil
	}
	ac, err := s.store.GetAppCredential(ctx, id)
	if err != nil {
		return err
	}
	if !ac.Unrestricted {
		return forbiddenAction("Using method 'application_credential' is not allowed for managing additional application credentials.")
	}
	return nil
}

func forbiddenAction(action string) error {
	return &ForbiddenError{Message: "You are not authorized to perform the requested action: " + action}
}

// delegatedRoles resolves the requested roles to ids, each of which the caller's token must
// carry; none requested delegates every role of the token.
func (s *Service) delegatedRoles(ctx context.Context, r *http.Request, refs []roleRef) ([]string, error) {
	held := caller(r).RoleIDs
	if len(refs) == 0 {
		return slices.Clone(held), nil
	}
	var ids []string
	for _, ref := range refs {
		id := ref.id
		if id == "" {
			role, err := s.store.GetRoleByName(ctx, "", ref.name)
			if err != nil {
				return nil, err
			}
			id = role.ID
		}
		if !slices.Contains(held, id) {
			return nil, invalidf("Invalid application credential: Cannot create an application credential with unassigned role")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// newAppCredSecret returns a random secret the way Keystone makes one.
func newAppCredSecret() (string, error) {
	b := make([]byte, appCredSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate application credential secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
