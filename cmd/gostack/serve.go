package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/image"
	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/network"
	"github.com/gostack/gostack/internal/placement"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// api is one service's HTTP API as serve runs it.
type api struct {
	name    string // catalog type
	addr    string // listen address
	handler http.Handler
	done    func() // called after the listener has shut down (may be nil)
}

// runServe is `gostack serve`: it runs every enabled service in this process. Unconfigured, it
// first creates the state directory, the SQLite database, the key repositories and the admin.
func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	start := time.Now()
	e, d, err := openCommand(ctx, "serve", args, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	if e.embedded {
		if err := e.firstStart(ctx, d, stdout); err != nil {
			return err
		}
	}
	idOpts, err := e.identityOptions()
	if err != nil {
		return err
	}
	ids, err := identity.New(ctx, idOpts, identity.Deps{DB: d, Log: e.log})
	if err != nil {
		return err
	}
	identityAPI := api{name: "identity", handler: ids.Handler(), addr: net.JoinHostPort(
		e.cfg.String("eventlet_server", "public_bind_host"), strconv.Itoa(e.cfg.Int("eventlet_server", "public_port")))}
	apis := []api{identityAPI}
	for _, open := range []func(context.Context, *db.DB, *identity.Service) (api, error){e.imageAPI, e.networkAPI, e.placementAPI} {
		a, err := open(ctx, d, ids)
		if err != nil {
			return err
		}
		apis = append(apis, a)
	}
	return e.serveAPIs(ctx, start, apis)
}

// serveAPIs listens on every API's address, then serves them all until ctx ends or one fails.
func (e *env) serveAPIs(ctx context.Context, start time.Time, apis []api) error {
	listeners := make([]net.Listener, len(apis))
	attrs := []any{"state_dir", e.stateDir}
	for i, a := range apis {
		l, err := net.Listen("tcp", a.addr)
		if err != nil {
			for _, prev := range listeners[:i] {
				prev.Close()
			}
			return fmt.Errorf("%s API: %w", a.name, err)
		}
		listeners[i] = l
		attrs = append(attrs, a.name, "http://"+l.Addr().String())
	}
	attrs = append(attrs, "database", db.RedactURL(e.databaseURL()), "startup", time.Since(start).Round(time.Millisecond))
	e.log.Info("gostack ready", attrs...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i, a := range apis {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel() // one API failing stops the others
			errs[i] = httpapi.Serve(ctx, listeners[i], a.handler, e.log)
			if a.done != nil {
				a.done()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serviceSetup is what every service but identity has in common at start: its own
// configuration (the shared files, then its file beside them), where it listens and how the
// catalog lists it.
type serviceSetup struct {
	cfg      *config.Config
	bindHost string
	port     int
	endpoint string // public_endpoint from the service's own file, or ""
}

// setupService loads a service's configuration and reads its endpoint options.
func (e *env) setupService(file string, defaultPort int) (serviceSetup, error) {
	cfg, err := e.serviceConfig(file)
	if err != nil {
		return serviceSetup{}, err
	}
	st := serviceSetup{cfg: cfg, bindHost: cfg.String("DEFAULT", "bind_host"), port: cfg.Int("DEFAULT", "bind_port")}
	if st.port == 0 {
		st.port = defaultPort
	}
	if fromServiceFile(cfg, "public_endpoint", file) { // the shared [DEFAULT] public_endpoint is identity's
		st.endpoint = cfg.String("DEFAULT", "public_endpoint")
	}
	return st, nil
}

// api returns the service's API as serve runs it, after registering it in the catalog.
func (e *env) api(ctx context.Context, d *db.DB, st serviceSetup, entry identity.ServiceEntry, h http.Handler, done func()) (api, error) {
	entry.PublicURL = serviceURL(st.endpoint, st.cfg.String("DEFAULT", "my_ip"), st.port) + entry.PublicURL
	if err := e.register(ctx, d, entry); err != nil {
		return api{}, err
	}
	return api{name: entry.Type, handler: h, done: done, addr: net.JoinHostPort(st.bindHost, strconv.Itoa(st.port))}, nil
}

// imageAPI opens the image service with its own configuration (glance-api.conf).
func (e *env) imageAPI(ctx context.Context, d *db.DB, ids *identity.Service) (api, error) {
	st, err := e.setupService(image.ConfigFile, image.DefaultPort)
	if err != nil {
		return api{}, err
	}
	opts, err := image.OptionsFrom(st.cfg)
	if err != nil {
		return api{}, fmt.Errorf("image: %w", err)
	}
	opts.Port, opts.PublicEndpoint = st.port, st.endpoint
	stores, err := store.FromConfig(st.cfg, e.stateDir)
	if err != nil {
		return api{}, fmt.Errorf("image stores: %w", err)
	}
	svc, err := image.New(ctx, opts, image.Deps{DB: d, Stores: stores, Validator: ids, IdentityURL: e.publicIdentityURL(), Log: e.log})
	if err != nil {
		return api{}, err
	}
	if e.embedded { // one node owns the embedded database: nothing else can be mid-upload
		if err := svc.Recover(ctx); err != nil {
			return api{}, err
		}
	}
	return e.api(ctx, d, st, identity.ServiceEntry{Type: "image", Name: "glance", Description: "OpenStack Image"}, svc.Handler(), svc.Wait)
}

// networkAPI opens the network service with its own configuration (neutron.conf).
func (e *env) networkAPI(ctx context.Context, d *db.DB, ids *identity.Service) (api, error) {
	st, err := e.setupService(network.ConfigFile, network.DefaultPort)
	if err != nil {
		return api{}, err
	}
	opts, err := network.OptionsFrom(st.cfg)
	if err != nil {
		return api{}, fmt.Errorf("network: %w", err)
	}
	opts.Port, opts.PublicEndpoint = st.port, st.endpoint
	svc, err := network.New(ctx, opts, network.Deps{DB: d, Validator: ids, IdentityURL: e.publicIdentityURL(), Log: e.log})
	if err != nil {
		return api{}, err
	}
	return e.api(ctx, d, st, identity.ServiceEntry{Type: "network", Name: "neutron", Description: "OpenStack Networking"}, svc.Handler(), nil)
}

// placementAPI opens the placement service with its own configuration (placement.conf).
func (e *env) placementAPI(ctx context.Context, d *db.DB, ids *identity.Service) (api, error) {
	st, err := e.setupService(placement.ConfigFile, placement.DefaultPort)
	if err != nil {
		return api{}, err
	}
	opts, err := placement.OptionsFrom(st.cfg)
	if err != nil {
		return api{}, fmt.Errorf("placement: %w", err)
	}
	opts.Port, opts.PublicEndpoint = st.port, st.endpoint
	svc, err := placement.New(ctx, opts, placement.Deps{DB: d, Validator: ids, IdentityURL: e.publicIdentityURL(), Log: e.log})
	if err != nil {
		return api{}, err
	}
	return e.api(ctx, d, st, identity.ServiceEntry{Type: "placement", Name: "placement", Description: "Placement"}, svc.Handler(), nil)
}

// register puts a service in the catalog. An embedded cloud keeps its endpoints following the
// configuration; a deployment whose operator registered the service keeps what they wrote.
func (e *env) register(ctx context.Context, d *db.DB, entry identity.ServiceEntry) error {
	st := identity.NewStore(d)
	if !e.embedded {
		existing, err := st.ListServices(ctx, entry.Type, "")
		if err != nil || len(existing) > 0 {
			return err
		}
	}
	if err := st.EnsureService(ctx, e.cfg.String("bootstrap", "region_id"), entry); err != nil {
		return fmt.Errorf("registering the %s service: %w", entry.Type, err)
	}
	return nil
}

// fromServiceFile reports whether a [DEFAULT] option was set in the service's own file.
func fromServiceFile(cfg *config.Config, name, file string) bool {
	src := cfg.Source("DEFAULT", name)
	if i := strings.LastIndex(src, ":"); i > 0 {
		src = src[:i]
	}
	return filepath.Base(src) == file
}

// serviceURL is a service's public URL: its public_endpoint, else http://my_ip:port.
func serviceURL(publicEndpoint, myIP string, port int) string {
	if publicEndpoint != "" {
		return strings.TrimSuffix(publicEndpoint, "/")
	}
	return fmt.Sprintf("http://%s:%d", hostForURL(myIP), port)
}

// firstStart prepares an embedded deployment: schema, key repositories and bootstrap data.
// Every step is idempotent, so it runs at every start and also follows a changed port or host.
func (e *env) firstStart(ctx context.Context, d *db.DB, stdout io.Writer) error {
	for _, m := range migrations {
		if err := d.Migrate(ctx, m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Service, err)
		}
	}
	opts, err := e.identityOptions()
	if err != nil {
		return err
	}
	for _, dir := range []string{opts.FernetKeyRepository, opts.CredentialKeys} {
		if err := fernet.NewRepository(dir, opts.MaxActiveKeys).Setup(); err != nil {
			return fmt.Errorf("key repository %s: %w", dir, err)
		}
	}
	return e.bootstrapCloud(ctx, d, identity.BootstrapOptions{
		Region: e.cfg.String("bootstrap", "region_id"), PublicURL: e.publicIdentityURL(), ExtraProjects: []string{"demo"},
	}, stdout)
}
