// Package image is gostack's image service, compatible with OpenStack Glance's Images API v2
// (up to 2.16): image records with Glance's fields, filters and JSON-patch updates, members,
// tags, deactivation, interoperable import, per-project quotas, and a data path that streams
// uploads into a store while it hashes them and inspects their real disk format.
package image

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/image/migrations"
	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// Migrations is the image database schema.
var Migrations = migrations.Set

// Service is a running image service.
type Service struct {
	opts    Options
	store   *Store
	stores  *store.Stores
	policy  *policy.Enforcer
	api     *httpapi.API
	auth    func(http.Handler) http.Handler
	log     *slog.Logger
	now     func() time.Time
	imports *importer
}

// Deps are what the image service needs from its host process.
type Deps struct {
	DB          *db.DB
	Stores      *store.Stores
	Validator   auth.Validator // checks X-Auth-Token
	IdentityURL string         // sent in WWW-Authenticate with a 401
	Log         *slog.Logger
}

// New opens the image service over a migrated database.
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
		return nil, fmt.Errorf("image policy: %w", err)
	}
	if err := os.MkdirAll(opts.StagingDir, 0o700); err != nil {
		return nil, fmt.Errorf("image staging directory: %w", err)
	}
	api := &httpapi.API{Service: "image", Errors: httpapi.GlanceErrors, Log: log, NegotiateErrors: true}
	s := &Service{
		opts:   opts,
		store:  NewStore(deps.DB),
		stores: deps.Stores,
		policy: enforcer,
		api:    api,
		auth:   auth.Middleware(api, deps.Validator, deps.IdentityURL),
		log:    log,
		now:    func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	s.imports = newImporter(s)
	return s, nil
}

// Handler returns the image API with the shared middleware around it. Request bodies are
// limited to MaxBodySize except image data, which streams.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Routes(mux)
	return s.api.Middleware(mux, 0)
}

// Wait blocks until background imports have finished (for shutdown and tests).
func (s *Service) Wait() { s.imports.wait() }

// Routes registers the image API on mux.
func (s *Service) Routes(mux *http.ServeMux) {
	json := func(fn httpapi.HandlerFunc) http.Handler { return s.auth(s.limitBody(s.handle(fn))) }
	data := func(fn httpapi.HandlerFunc) http.Handler { return s.auth(s.handle(fn)) }
	open := s.handle

	mux.Handle("GET /{$}", open(s.versions(http.StatusMultipleChoices)))
	mux.Handle("GET /versions", open(s.versions(http.StatusOK)))
	mux.Handle("GET /v2/{$}", open(s.versions(http.StatusOK)))
	mux.Handle("GET /v2", open(s.versions(http.StatusOK)))

	mux.Handle("GET /v2/schemas/{name}", json(s.getSchema))
	mux.Handle("GET /v2/info/import", json(s.importInfo))
	mux.Handle("GET /v2/info/stores", json(s.storesInfo))
	mux.Handle("GET /v2/info/stores/detail", json(s.storesDetail))
	mux.Handle("GET /v2/info/usage", json(s.usageInfo))

	mux.Handle("POST /v2/images", json(s.createImage))
	mux.Handle("GET /v2/images", json(s.listImages))
	mux.Handle("GET /v2/images/{id}", json(s.showImage))
	mux.Handle("PATCH /v2/images/{id}", json(s.updateImage))
	mux.Handle("DELETE /v2/images/{id}", json(s.deleteImage))
	mux.Handle("PUT /v2/images/{id}/file", data(s.uploadData))
	mux.Handle("GET /v2/images/{id}/file", data(s.downloadData))
	mux.Handle("PUT /v2/images/{id}/stage", data(s.stageData))
	mux.Handle("POST /v2/images/{id}/import", json(s.importImage))
	mux.Handle("POST /v2/images/{id}/actions/deactivate", json(s.deactivate))
	mux.Handle("POST /v2/images/{id}/actions/reactivate", json(s.reactivate))
	mux.Handle("PUT /v2/images/{id}/tags/{tag}", json(s.addTag))
	mux.Handle("DELETE /v2/images/{id}/tags/{tag}", json(s.deleteTag))

	mux.Handle("POST /v2/images/{id}/members", json(s.addMember))
	mux.Handle("GET /v2/images/{id}/members", json(s.listMembers))
	mux.Handle("GET /v2/images/{id}/members/{member}", json(s.showMember))
	mux.Handle("PUT /v2/images/{id}/members/{member}", json(s.updateMember))
	mux.Handle("DELETE /v2/images/{id}/members/{member}", json(s.deleteMember))
}

// handle adapts a handler whose errors are the service's own.
func (s *Service) handle(fn httpapi.HandlerFunc) http.Handler {
	return s.api.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkRequestText(r); err != nil {
			return err
		}
		return apiError(fn(w, r))
	})
}

// limitBody applies the JSON body limit.
func (s *Service) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.MaxBodySize > 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodySize)
		}
		next.ServeHTTP(w, r)
	})
}

// newID returns a new image id: a UUID in its canonical form, as Glance's.
func newID() string { return uuid.NewString() }

// Recover is for a deployment with one image API node, at start: uploads and imports that the
// last stop cut off go back to queued, and their partial staging files are removed. (The file
// store never exposes partial data: its temporary files are not image locations.) With several
// nodes it must not run, since another node may be uploading right now.
func (s *Service) Recover(ctx context.Context) error {
	ids, err := s.store.ResetInterrupted(ctx, s.now())
	if err != nil {
		return fmt.Errorf("image: recovering interrupted uploads: %w", err)
	}
	for _, id := range ids {
		s.removeStaged(id)
		s.log.Warn("image: an upload or import was interrupted by the last stop; the image is queued again", "image", id)
	}
	partial, _ := filepath.Glob(filepath.Join(s.opts.StagingDir, ".*.part"))
	for _, p := range partial {
		os.Remove(p)
	}
	return nil
}
