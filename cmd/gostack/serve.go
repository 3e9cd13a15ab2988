package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

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
	opts, err := e.identityOptions()
	if err != nil {
		return err
	}
	svc, err := identity.New(ctx, opts, identity.Deps{DB: d, Log: e.log})
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(e.cfg.String("eventlet_server", "public_bind_host"), strconv.Itoa(e.cfg.Int("eventlet_server", "public_port")))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("identity API: %w", err)
	}
	e.log.Info("gostack ready", "identity", "http://"+l.Addr().String(), "state_dir", e.stateDir,
		"database", db.RedactURL(e.databaseURL()), "startup", time.Since(start).Round(time.Millisecond))
	return httpapi.Serve(ctx, l, svc.Handler(), e.log)
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
