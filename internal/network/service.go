// Package network is gostack's networking service, compatible with OpenStack Neutron's v2.0
// API: networks with ML2 type semantics (local, flat, vlan, vxlan, geneve), subnets, ports with
// IP address management that stays correct under concurrency, and the extensions the openstack
// CLI looks for. What happens on the hosts — bridges, namespaces, NAT, DHCP — is a data-plane
// driver behind the dataplane.Driver interface; `noop` wires nothing and says so.
package network

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/network/dataplane"
	"github.com/gostack/gostack/internal/network/migrations"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// Migrations is the network database schema.
var Migrations = migrations.Set

// Service is a running network service.
type Service struct {
	opts      Options
	db        *db.DB
	policy    *policy.Enforcer
	api       *httpapi.API
	auth      func(http.Handler) http.Handler
	dataplane dataplane.Driver
	log       *slog.Logger
	now       func() time.Time
}

// Deps are what the network service needs from its host process.
type Deps struct {
	DB          *db.DB
	Validator   auth.Validator
	IdentityURL string
	Log         *slog.Logger
}

// New opens the network service over a migrated database.
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
		return nil, fmt.Errorf("network policy: %w", err)
	}
	dp, err := dataplane.Open(opts.Dataplane)
	if err != nil {
		return nil, fmt.Errorf("[DEFAULT] dataplane_driver: %w", err)
	}
	api := &httpapi.API{Service: "network", Errors: httpapi.NeutronErrors, Log: log}
	return &Service{
		opts:      opts,
		db:        deps.DB,
		policy:    enforcer,
		api:       api,
		auth:      auth.Middleware(api, deps.Validator, deps.IdentityURL),
		dataplane: dp,
		log:       log,
		now:       func() time.Time { return time.Now().UTC().Truncate(time.Second) },
	}, nil
}

// Handler returns the network API with the shared middleware around it.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	return s.api.Middleware(mux, s.opts.MaxBodySize)
}

// Routes registers the network API on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	authed := func(fn httpapi.HandlerFunc) http.Handler { return s.auth(s.handle(fn)) }
	mux.Handle("GET /{$}", s.handle(s.versions))
	mux.Handle("GET /v2.0/{$}", authed(s.resources))
	mux.Handle("GET /v2.0", authed(s.resources))
	mux.Handle("GET /v2.0/extensions", authed(s.listExtensions))
	mux.Handle("GET /v2.0/extensions/{alias}", authed(s.showExtension))
	mux.Handle("GET /v2.0/agents", authed(s.listAgents))
	mux.Handle("GET /v2.0/availability_zones", authed(s.listAvailabilityZones))

	mux.Handle("POST /v2.0/networks", authed(s.createNetwork))
	mux.Handle("GET /v2.0/networks", authed(s.listNetworks))
	mux.Handle("GET /v2.0/networks/{id}", authed(s.showNetwork))
	mux.Handle("PUT /v2.0/networks/{id}", authed(s.updateNetwork))
	mux.Handle("DELETE /v2.0/networks/{id}", authed(s.deleteNetwork))
	s.tagRoutes(mux, authed, "networks", "net_network", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		n, err := s.loadNetwork(ctx, c, id)
		return networkTarget(n), "update_network", err
	})
	s.subnetRoutes(mux, authed)
	s.portRoutes(mux, authed)
	s.securityGroupRoutes(mux, authed)
	s.routerRoutes(mux, authed)
	s.floatingIPRoutes(mux, authed)
	s.quotaRoutes(mux, authed)
}

// handle adapts a handler whose errors are the service's own.
func (s *Service) handle(fn httpapi.HandlerFunc) http.Handler {
	return s.api.Handle(func(w http.ResponseWriter, r *http.Request) error { return apiError(fn(w, r)) })
}

// newID returns a new resource id: a UUID, as Neutron's.
func newID() string { return uuid.NewString() }

// neutronTime is how Neutron writes times: seconds, UTC, a Z.
func neutronTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
