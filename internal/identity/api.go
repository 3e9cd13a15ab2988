package identity

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// Routes registers every identity endpoint on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	authed := auth.Middleware(s.api, s, s.opts.PublicEndpoint)
	open := func(pattern string, fn httpapi.HandlerFunc) { mux.Handle(pattern, s.handle(fn)) }
	secured := func(pattern string, fn httpapi.HandlerFunc) { mux.Handle(pattern, authed(s.handle(fn))) }

	open("GET /{$}", s.versions)
	open("GET /v3", s.version)
	open("GET /v3/{$}", s.version)
	open("POST /v3/auth/tokens", s.issueToken)
	// Like Keystone, a self-service password change needs no token (the original password
	// proves who is asking), so users whose password expired can still change it.
	open("POST /v3/users/{id}/password", s.changePassword)
	secured("GET /v3/auth/tokens", s.validateToken)
	secured("HEAD /v3/auth/tokens", s.validateToken)
	secured("DELETE /v3/auth/tokens", s.revokeToken)
	secured("GET /v3/auth/catalog", s.authCatalog)
	secured("GET /v3/auth/projects", s.authProjects)
	secured("GET /v3/auth/domains", s.authDomains)
	secured("GET /v3/auth/system", s.authSystem)

	for _, r := range s.resourceRoutes() {
		secured(r.pattern, r.handler)
	}
}

// route is one authenticated endpoint.
type route struct {
	pattern string
	handler httpapi.HandlerFunc
}

// resourceRoutes lists the CRUD endpoints, grouped by the file that implements them.
func (s *Service) resourceRoutes() []route {
	var all []route
	for _, group := range [][]route{
		s.domainRoutes(), s.projectRoutes(), s.userRoutes(), s.groupRoutes(), s.roleRoutes(),
		s.assignmentRoutes(), s.catalogRoutes(), s.appCredRoutes(), s.credentialRoutes(),
	} {
		all = append(all, group...)
	}
	return all
}

// handle adapts a handler whose errors are identity errors.
func (s *Service) handle(fn httpapi.HandlerFunc) http.Handler {
	return s.api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		err := toHTTP(fn(w, r))
		var he *httpapi.Error
		if errors.As(err, &he) && he.Status == http.StatusUnauthorized {
			he.Header = http.Header{"Www-Authenticate": {`Keystone uri="` + s.baseURL(r) + `"`}}
		}
		return err
	})
}

// toHTTP maps the identity service's errors to API errors, in one place.
func toHTTP(err error) error {
	if err == nil {
		return nil
	}
	var (
		nf   *NotFoundError
		cf   *ConflictError
		ve   *ValidationError
		fe   *ForbiddenError
		ae   *AuthError
		tnf  *TokenNotFoundError
		pf   *policy.ForbiddenError
		herr *httpapi.Error
	)
	switch {
	case errors.As(err, &herr):
		return herr
	case errors.As(err, &nf):
		return httpapi.NotFound("%s", nf.Error())
	case errors.As(err, &cf):
		return httpapi.Conflict("%s", cf.Error())
	case errors.As(err, &ve):
		return httpapi.BadRequest("%s", ve.Message)
	case errors.As(err, &fe):
		return httpapi.Forbidden("%s", fe.Message)
	case errors.As(err, &pf):
		return httpapi.Forbidden("You are not authorized to perform the requested action: %s.", pf.Rule)
	case errors.As(err, &ae):
		return httpapi.Unauthorized("%s", ae.Message)
	case errors.As(err, &tnf):
		return httpapi.NotFound("%s", tnf.Error())
	}
	return err
}

// caller returns the authenticated caller (set by the auth middleware).
func caller(r *http.Request) *auth.Context {
	c, ok := auth.FromContext(r.Context())
	if !ok {
		return &auth.Context{}
	}
	return c
}

// enforce checks a policy rule for the caller against a target.
func (s *Service) enforce(r *http.Request, rule string, target map[string]string) error {
	return s.policy.Enforce(rule, target, caller(r).Credentials())
}

// baseURL is the public root of the identity API, e.g. http://controller:5000.
func (s *Service) baseURL(r *http.Request) string {
	if s.opts.PublicEndpoint != "" {
		return strings.TrimSuffix(s.opts.PublicEndpoint, "/")
	}
	return httpapi.BaseURL(r)
}

// selfLink is the {"self": url} object every Keystone entity carries.
func (s *Service) selfLink(r *http.Request, path string) map[string]any {
	return map[string]any{"self": s.baseURL(r) + path}
}

// writeList writes {"<key>": items, "links": {...}} as Keystone lists do.
func (s *Service) writeList(w http.ResponseWriter, r *http.Request, key string, items any, truncated bool) {
	self := s.baseURL(r) + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	body := map[string]any{key: items, "links": map[string]any{"self": self, "previous": nil, "next": nil}}
	if truncated {
		body["truncated"] = true
	}
	s.api.WriteJSON(w, http.StatusOK, body)
}

// limit applies [DEFAULT] list_limit, reporting whether the list was cut.
func limit[T any](s *Service, items []T) ([]T, bool) {
	if s.opts.ListLimit > 0 && len(items) > s.opts.ListLimit {
		return items[:s.opts.ListLimit], true
	}
	if items == nil {
		items = []T{}
	}
	return items, false
}

// boolQuery parses an optional boolean query parameter as Keystone does.
func boolQuery(r *http.Request, name string) (*bool, error) {
	if !r.URL.Query().Has(name) {
		return nil, nil
	}
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "", "1", "true", "yes", "on":
		v := true
		return &v, nil
	case "0", "false", "no", "off":
		v := false
		return &v, nil
	default:
		return nil, invalidf("Invalid value for query parameter '%s': expected a boolean.", name)
	}
}
