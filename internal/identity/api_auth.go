package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// timeFormat is how Keystone writes token times.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeFormat)
}

// versionDoc describes identity v3.14, as Keystone does.
func (s *Service) versionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links":       []httpapi.Link{{Rel: "self", Href: s.baseURL(r) + "/v3/"}},
		"media-types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}
}

func (s *Service) versions(w http.ResponseWriter, r *http.Request) error {
	s.api.WriteJSON(w, http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{s.versionDoc(r)}}})
	return nil
}

func (s *Service) version(w http.ResponseWriter, r *http.Request) error {
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"version": s.versionDoc(r)})
	return nil
}

// authBody is the POST /v3/auth/tokens request.
type authBody struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *userRef `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
			AppCred *struct {
				ID     string   `json:"id"`
				Name   string   `json:"name"`
				Secret string   `json:"secret"`
				User   *userRef `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type nameRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userRef struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Domain   *nameRef `json:"domain"`
}

func (u *userRef) secret() UserSecret {
	if u == nil {
		return UserSecret{}
	}
	us := UserSecret{UserID: u.ID, UserName: u.Name, Secret: u.Password}
	if u.Domain != nil {
		us.DomainID, us.DomainName = u.Domain.ID, u.Domain.Name
	}
	return us
}

// parseAuth validates the request body into an AuthRequest.
func parseAuth(r *http.Request) (AuthRequest, error) {
	var body authBody
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return AuthRequest{}, err
	}
	if body.Auth == nil || body.Auth.Identity == nil {
		return AuthRequest{}, invalidf("Invalid input for field 'auth/identity': an 'auth' object with an 'identity' is required.")
	}
	id := body.Auth.Identity
	req := AuthRequest{Methods: id.Methods}
	if id.Password != nil {
		if id.Password.User == nil {
			return req, invalidf("Invalid input for field 'identity/password/user': a user is required.")
		}
		us := id.Password.User.secret()
		req.Password = &us
	}
	if id.Token != nil {
		req.Token = id.Token.ID
	}
	if id.AppCred != nil {
		req.AppCred = &AppCredAuth{ID: id.AppCred.ID, Name: id.AppCred.Name, Secret: id.AppCred.Secret, User: id.AppCred.User.secret()}
	}
	var err error
	req.Scope, err = parseScope(body.Auth.Scope)
	return req, err
}

func parseScope(raw json.RawMessage) (ScopeRequest, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return ScopeRequest{}, nil
	}
	var word string
	if json.Unmarshal(raw, &word) == nil {
		if word != "unscoped" {
			return ScopeRequest{}, invalidf("Invalid input for field 'scope': %q is not a scope; use an object or \"unscoped\".", word)
		}
		return ScopeRequest{Kind: "unscoped"}, nil
	}
	var sc struct {
		Project *struct {
			ID     string   `json:"id"`
			Name   string   `json:"name"`
			Domain *nameRef `json:"domain"`
		} `json:"project"`
		Domain *nameRef `json:"domain"`
		System *struct {
			All bool `json:"all"`
		} `json:"system"`
	}
	if err := json.Unmarshal(raw, &sc); err != nil {
		return ScopeRequest{}, invalidf("Invalid input for field 'scope': %v", err)
	}
	n := 0
	for _, set := range []bool{sc.Project != nil, sc.Domain != nil, sc.System != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return ScopeRequest{}, invalidf("Invalid input for field 'scope': specify only one of project, domain or system.")
	}
	switch {
	case sc.Project != nil:
		out := ScopeRequest{Kind: "project", ProjectID: sc.Project.ID, ProjectName: sc.Project.Name}
		if sc.Project.Domain != nil {
			out.DomainID, out.DomainName = sc.Project.Domain.ID, sc.Project.Domain.Name
		}
		return out, nil
	case sc.Domain != nil:
		return ScopeRequest{Kind: "domain", DomainID: sc.Domain.ID, DomainName: sc.Domain.Name}, nil
	case sc.System != nil:
		if !sc.System.All {
			return ScopeRequest{}, invalidf("Invalid input for field 'scope/system': only {\"all\": true} is supported.")
		}
		return ScopeRequest{Kind: "system"}, nil
	}
	return ScopeRequest{}, nil
}

func (s *Service) issueToken(w http.ResponseWriter, r *http.Request) error {
	req, err := parseAuth(r)
	if err != nil {
		return err
	}
	token, td, err := s.Authenticate(r.Context(), req)
	if err != nil {
		return err
	}
	httpapi.SetLogIdentity(r.Context(), td.User.ID, td.Payload.ProjectID)
	body, err := s.tokenBody(r.Context(), td, !r.URL.Query().Has("nocatalog"))
	if err != nil {
		return err
	}
	w.Header().Set("X-Subject-Token", token)
	s.api.WriteJSON(w, http.StatusCreated, body)
	return nil
}

// subject validates the X-Subject-Token of a request and checks the caller may see it.
func (s *Service) subject(r *http.Request, rule string) (*cachedToken, error) {
	token := r.Header.Get("X-Subject-Token")
	if token == "" {
		return nil, invalidf("The X-Subject-Token header is required.")
	}
	allowExpired, err := boolQuery(r, "allow_expired")
	if err != nil {
		return nil, err
	}
	ct, err := s.validate(r.Context(), token, allowExpired != nil && *allowExpired)
	if err != nil {
		return nil, err
	}
	return ct, s.enforce(r, rule, map[string]string{"target.token.user_id": ct.td.User.ID})
}

func (s *Service) validateToken(w http.ResponseWriter, r *http.Request) error {
	rule := "identity:validate_token"
	if r.Method == http.MethodHead {
		rule = "identity:check_token"
	}
	ct, err := s.subject(r, rule)
	if err != nil {
		return err
	}
	body, err := s.renderedToken(r.Context(), ct, !r.URL.Query().Has("nocatalog"))
	if err != nil {
		return err
	}
	w.Header().Set("X-Subject-Token", r.Header.Get("X-Subject-Token"))
	writeJSONBytes(w, http.StatusOK, body)
	return nil
}

// renderedToken returns a validated token's JSON body, rendered once per cached token (while
// the cache's budget for bodies lasts).
func (s *Service) renderedToken(ctx context.Context, ct *cachedToken, withCatalog bool) ([]byte, error) {
	slot := &ct.body[0]
	if withCatalog {
		slot = &ct.body[1]
	}
	if b := slot.Load(); b != nil {
		return *b, nil
	}
	m, err := s.tokenBody(ctx, ct.td, withCatalog)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding token body: %w", err)
	}
	if s.cache.keepBody(len(b)) && !slot.CompareAndSwap(nil, &b) {
		s.cache.bodyBytes.Add(-int64(len(b))) // another request cached it first
	}
	return b, nil
}

// writeJSONBytes writes an already encoded JSON body, as httpapi's WriteJSON would write it.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Service) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if !s.opts.RevokeByID {
		return &ForbiddenError{Message: "Token revocation by id is disabled ([token] revoke_by_id = false)."}
	}
	ct, err := s.subject(r, "identity:revoke_token")
	if err != nil {
		return err
	}
	if err := s.RevokeToken(r.Context(), ct.td); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenBody renders a token as Keystone does.
func (s *Service) tokenBody(ctx context.Context, td *TokenData, withCatalog bool) (map[string]any, error) {
	p := td.Payload
	t := map[string]any{
		"methods":    p.Methods,
		"audit_ids":  p.AuditIDs,
		"expires_at": formatTime(p.ExpiresAt),
		"issued_at":  formatTime(p.IssuedAt),
		"user": map[string]any{
			"id": td.User.ID, "name": td.User.Name, "password_expires_at": formatTime(td.User.PasswordExpiresAt),
			"domain": map[string]any{"id": td.UserDomain.ID, "name": td.UserDomain.Name},
		},
	}
	roles := make([]map[string]any, len(td.Roles))
	for i, role := range td.Roles {
		roles[i] = map[string]any{"id": role.ID, "name": role.Name}
	}
	switch {
	case td.Project != nil:
		t["project"] = map[string]any{"id": td.Project.ID, "name": td.Project.Name,
			"domain": map[string]any{"id": td.ProjectDomain.ID, "name": td.ProjectDomain.Name}}
		t["is_domain"] = false
		t["is_admin_project"] = td.IsAdminProject
		t["roles"] = roles
	case td.Domain != nil:
		t["domain"] = map[string]any{"id": td.Domain.ID, "name": td.Domain.Name}
		t["roles"] = roles
	case p.System:
		t["system"] = map[string]any{"all": true}
		t["roles"] = roles
	}
	if td.AppCred != nil {
		t["application_credential"] = map[string]any{"id": td.AppCred.ID, "name": td.AppCred.Name, "restricted": !td.AppCred.Unrestricted}
	}
	if withCatalog && (td.Project != nil || td.Domain != nil || p.System) {
		catalog, err := s.cache.catalogJSON(ctx, p.ProjectID)
		if err != nil {
			return nil, err
		}
		t["catalog"] = json.RawMessage(catalog)
	}
	return map[string]any{"token": t}, nil
}

// callerToken re-validates the caller's own token (for the /v3/auth/* views of it).
func (s *Service) callerToken(r *http.Request) (*TokenData, error) {
	return s.Validate(r.Context(), r.Header.Get("X-Auth-Token"), false)
}

func (s *Service) authCatalog(w http.ResponseWriter, r *http.Request) error {
	td, err := s.callerToken(r)
	if err != nil {
		return err
	}
	if td.Project == nil {
		return &ForbiddenError{Message: "A project-scoped token is required to produce a service catalog."}
	}
	catalog, err := s.cache.catalogJSON(r.Context(), td.Payload.ProjectID)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{
		"catalog": json.RawMessage(catalog),
		"links":   map[string]any{"self": s.baseURL(r) + r.URL.Path, "previous": nil, "next": nil},
	})
	return nil
}

func (s *Service) authProjects(w http.ResponseWriter, r *http.Request) error {
	projects, err := s.userProjects(r.Context(), caller(r).UserID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, p := range projects {
		if p.Enabled {
			out = append(out, s.projectView(r, p))
		}
	}
	s.writeList(w, r, "projects", out, false)
	return nil
}

func (s *Service) authDomains(w http.ResponseWriter, r *http.Request) error {
	domains, err := s.userDomains(r.Context(), caller(r).UserID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, d := range domains {
		if d.Enabled {
			out = append(out, s.domainView(r, d))
		}
	}
	s.writeList(w, r, "domains", out, false)
	return nil
}

func (s *Service) authSystem(w http.ResponseWriter, r *http.Request) error {
	ids, err := s.assignedRoleIDs(r.Context(), caller(r).UserID, scopeTarget{system: true})
	if err != nil {
		return err
	}
	system := []map[string]bool{}
	if len(ids) > 0 {
		system = append(system, map[string]bool{"all": true})
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"system": system,
		"links": map[string]any{"self": s.baseURL(r) + strings.TrimSuffix(r.URL.Path, "/"), "previous": nil, "next": nil}})
	return nil
}
