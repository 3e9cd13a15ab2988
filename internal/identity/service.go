// Package identity is gostack's identity service, compatible with OpenStack Keystone's v3 API:
// domains, projects, users, groups, roles and assignments, the service catalog, application
// credentials, credentials, and Fernet tokens that any node sharing the key repository can verify.
package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/identity/migrations"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// Migrations is the identity database schema.
var Migrations = migrations.Set

// Service is a running identity service.
type Service struct {
	opts     Options
	store    *Store
	keys     *fernet.Repository
	credKeys *fernet.Repository
	codec    *fernet.Codec
	policy   *policy.Enforcer
	cache    *cache
	api      *httpapi.API
	log      *slog.Logger
	now      func() time.Time
}

// Deps are what the identity service needs from its host process.
type Deps struct {
	DB  *db.DB
	Log *slog.Logger
}

// New opens the identity service over a migrated database and a set-up key repository.
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
		return nil, fmt.Errorf("identity policy: %w", err)
	}
	keys := fernet.NewRepository(opts.FernetKeyRepository, opts.MaxActiveKeys)
	if _, _, err := keys.Keys(); err != nil {
		return nil, fmt.Errorf("fernet key repository %s: %w (run \"gostack fernet setup\")", opts.FernetKeyRepository, err)
	}
	store := NewStore(deps.DB)
	s := &Service{
		opts:     opts,
		store:    store,
		keys:     keys,
		credKeys: fernet.NewRepository(opts.CredentialKeys, opts.MaxActiveKeys),
		codec:    fernet.NewCodec(keys),
		policy:   enforcer,
		cache:    newCache(store),
		api:      &httpapi.API{Service: "identity", Errors: httpapi.KeystoneErrors, Log: log},
		log:      log,
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	store.onWrite = s.cache.invalidate
	return s, nil
}

// Store returns the service's persistence layer.
func (s *Service) Store() *Store { return s.store }

// Handler returns the identity API with the shared middleware around it.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	return s.api.Middleware(mux, s.opts.MaxBodySize)
}

// newID returns a new entity id in Keystone's form: 32 lowercase hex digits.
func newID() string {
	u := uuid.New()
	return fmt.Sprintf("%x", u[:])
}
