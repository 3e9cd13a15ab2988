// Package placement is gostack's placement service, compatible with OpenStack Placement's API
// up to microversion 1.39: resource providers in trees with inventories, traits and
// aggregates, resource classes, consumers' allocations whose capacity checks hold under
// concurrency on every database engine, usages, and the allocation candidates the compute
// scheduler asks for on every boot.
package placement

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gostack/gostack/internal/placement/migrations"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// Migrations is the placement database schema.
var Migrations = migrations.Set

// Microversions are the placement microversions gostack serves.
var Microversions = httpapi.Microversions{Service: "placement",
	Min: httpapi.Version{Major: 1, Minor: 0}, Max: httpapi.Version{Major: 1, Minor: 39}}

// Service is a running placement service.
type Service struct {
	opts   Options
	db     *db.DB
	policy *policy.Enforcer
	api    *httpapi.API
	auth   func(http.Handler) http.Handler
	log    *slog.Logger
	now    func() time.Time
	topo   topologyCache
}

// Deps are what the placement service needs from its host process.
type Deps struct {
	DB          *db.DB
	Validator   auth.Validator
	IdentityURL string
	Log         *slog.Logger
}

// New opens the placement service over a migrated database.
func New(ctx context.Context, opts Options, deps Deps) (*Service, error) {
	if err := deps.DB.CheckSchema(ctx, Migrations); err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	enforcer, err := policy.NewEnforcer(Policies(), opts.PolicyFile)
	if err != nil {
		return nil, fmt.Errorf("placement policy: %w", err)
	}
	api := &httpapi.API{Service: "placement", Errors: placementErrors, Log: log}
	return &Service{
		opts:   opts,
		db:     deps.DB,
		policy: enforcer,
		api:    api,
		auth:   auth.Middleware(api, deps.Validator, deps.IdentityURL),
		log:    log,
		now:    func() time.Time { return time.Now().UTC() },
	}, nil
}

// Handler returns the placement API with the shared middleware around it. Requests no route
// matches get Placement's JSON 404 or 405 rather than net/http's plain text.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	return s.api.Middleware(s.jsonFallback(mux), s.opts.MaxBodySize)
}

// Routes registers the placement API on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	authed := func(fn httpapi.HandlerFunc) http.Handler { return s.handle(s.authed(fn)) }
	mux.Handle("GET /{$}", s.handle(s.versions))

	mux.Handle("GET /resource_providers", authed(s.listProviders))
	mux.Handle("POST /resource_providers", authed(s.createProvider))
	mux.Handle("GET /resource_providers/{uuid}", authed(s.showProvider))
	mux.Handle("PUT /resource_providers/{uuid}", authed(s.updateProvider))
	mux.Handle("DELETE /resource_providers/{uuid}", authed(s.deleteProvider))

	mux.Handle("GET /resource_providers/{uuid}/inventories", authed(s.listInventories))
	mux.Handle("POST /resource_providers/{uuid}/inventories", authed(s.createInventory))
	mux.Handle("PUT /resource_providers/{uuid}/inventories", authed(s.setInventories))
	mux.Handle("DELETE /resource_providers/{uuid}/inventories", authed(s.deleteInventories))
	mux.Handle("GET /resource_providers/{uuid}/inventories/{rc}", authed(s.showInventory))
	mux.Handle("PUT /resource_providers/{uuid}/inventories/{rc}", authed(s.updateInventory))
	mux.Handle("DELETE /resource_providers/{uuid}/inventories/{rc}", authed(s.deleteInventory))

	mux.Handle("GET /resource_providers/{uuid}/usages", authed(s.providerUsages))
	mux.Handle("GET /resource_providers/{uuid}/allocations", authed(s.providerAllocations))
	mux.Handle("GET /resource_providers/{uuid}/aggregates", authed(s.listAggregates))
	mux.Handle("PUT /resource_providers/{uuid}/aggregates", authed(s.setAggregates))
	mux.Handle("GET /resource_providers/{uuid}/traits", authed(s.listProviderTraits))
	mux.Handle("PUT /resource_providers/{uuid}/traits", authed(s.setProviderTraits))
	mux.Handle("DELETE /resource_providers/{uuid}/traits", authed(s.deleteProviderTraits))

	mux.Handle("GET /resource_classes", authed(s.listClasses))
	mux.Handle("POST /resource_classes", authed(s.createClass))
	mux.Handle("GET /resource_classes/{name}", authed(s.showClass))
	mux.Handle("PUT /resource_classes/{name}", authed(s.putClass))
	mux.Handle("DELETE /resource_classes/{name}", authed(s.deleteClass))

	mux.Handle("GET /traits", authed(s.listTraits))
	mux.Handle("GET /traits/{name}", authed(s.showTrait))
	mux.Handle("PUT /traits/{name}", authed(s.putTrait))
	mux.Handle("DELETE /traits/{name}", authed(s.deleteTrait))

	mux.Handle("GET /allocations/{consumer}", authed(s.showAllocations))
	mux.Handle("PUT /allocations/{consumer}", authed(s.putAllocations))
	mux.Handle("DELETE /allocations/{consumer}", authed(s.deleteAllocations))
	mux.Handle("POST /allocations", authed(s.postAllocations))
	mux.Handle("GET /usages", authed(s.totalUsages))
	mux.Handle("GET /allocation_candidates", authed(s.allocationCandidates))
	mux.Handle("POST /reshaper", authed(s.reshape))
}

// handle adapts a handler: it negotiates the microversion (406 outside 1.0–1.39), puts it in
// the request context and writes the handler's error in Placement's format.
func (s *Service) handle(fn httpapi.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := Microversions.Negotiate(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		r = r.WithContext(httpapi.WithVersion(r.Context(), v))
		if err := fn(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authed runs fn behind token validation; the auth middleware's own refusals (401, 503) are
// written in Placement's format by the API's ErrorFormat.
func (s *Service) authed(fn httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var ferr error
		s.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ferr = fn(w, r) })).ServeHTTP(w, r)
		return ferr
	}
}

// version returns the request's negotiated microversion.
func version(r *http.Request) httpapi.Version { return httpapi.VersionFrom(r.Context()) }

// atLeast reports whether the request's microversion is 1.minor or later.
func atLeast(r *http.Request, minor int) bool { return version(r).AtLeast(1, minor) }

// writeJSON writes a successful response; at 1.15+ GETs carry cache-control and last-modified.
func (s *Service) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if r.Method == http.MethodGet && atLeast(r, 15) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Last-Modified", s.now().Format(http.TimeFormat))
	}
	s.api.WriteJSON(w, status, v)
}

// noContent writes a 204.
func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// caller returns the authenticated caller (the auth middleware guarantees one).
func caller(r *http.Request) *auth.Context {
	if c, ok := auth.FromContext(r.Context()); ok {
		return c
	}
	return &auth.Context{}
}

// enforce checks a policy rule for the caller, giving Placement's 403.
func (s *Service) enforce(r *http.Request, rule string, target map[string]string) error {
	c := caller(r)
	if target == nil {
		target = map[string]string{"project_id": c.ProjectID, "user_id": c.UserID}
	}
	if s.policy.Allowed(rule, target, c.Credentials()) {
		return nil
	}
	return newError(http.StatusForbidden, codeDefault, "Policy does not allow %s to be performed.", rule)
}

// jsonFallback turns net/http's plain-text 404 and 405 for unrouted requests into Placement's
// JSON errors, keeping the Allow header of a 405.
func (s *Service) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		if v, err := Microversions.Negotiate(w, r); err == nil {
			r = r.WithContext(httpapi.WithVersion(r.Context(), v))
		}
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		status := probe.status
		if status != http.StatusMethodNotAllowed {
			status = http.StatusNotFound
		}
		msg := "The resource could not be found."
		if status == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("The method specified is not allowed for this resource: %s %s.", r.Method, r.URL.Path)
		}
		s.writeError(w, r, newError(status, codeDefault, "%s", msg))
	})
}

// statusProbe is a ResponseWriter that only records what net/http's mux would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }
