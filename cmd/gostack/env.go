package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/image"
	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/network"
	"github.com/gostack/gostack/internal/placement"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/db"
)

// defaultStateDir is where gostack keeps its state when nothing else is said.
const defaultStateDir = "./gostack-data"

// schema returns every option gostack understands.
func schema() *config.Schema {
	s := config.NewSchema()
	s.Register("DEFAULT",
		config.Opt{Name: "state_path", Type: config.String, Default: defaultStateDir,
			Help: "The directory for gostack's state: the embedded database, key repositories, adminrc and clouds.yaml. --state-dir overrides it."},
		config.Opt{Name: "my_ip", Type: config.String, Default: "127.0.0.1",
			Help: "The address other hosts and clients use to reach this node; it goes into the endpoints bootstrap registers."},
		config.Opt{Name: "debug", Type: config.Bool, Default: "false",
			Help: "Log at debug level."},
	)
	s.Register("database",
		config.Opt{Name: "connection", Type: config.String, Secret: true,
			Help: "The database, as an SQLAlchemy URL: sqlite:////abs/path.db, mysql+pymysql://user:pass@host/db or postgresql://user:pass@host/db. Unset: an SQLite file in the state directory, migrated and bootstrapped automatically."},
	)
	s.Register("bootstrap",
		config.Opt{Name: "admin_password", Type: config.String, Secret: true,
			Help: "The admin user's password at first start (also read from $OS_BOOTSTRAP_PASSWORD). Unset: a random one is generated and written to adminrc."},
		config.Opt{Name: "region_id", Type: config.String, Default: "RegionOne",
			Help: "The region bootstrap creates and registers the identity endpoints in."},
	)
	identity.RegisterOptions(s)
	auth.RegisterOptions(s)
	image.RegisterOptions(s)
	network.RegisterOptions(s)
	placement.RegisterOptions(s)
	return s
}

// env is what every command works with: the loaded configuration and its consequences.
type env struct {
	cfg      *config.Config
	sources  config.Sources // where cfg came from, for the services' own files
	stateDir string         // absolute
	embedded bool           // no [database] connection configured: gostack sets everything up itself
	log      *slog.Logger
}

// commonFlags are the flags every command takes.
type commonFlags struct {
	sources  config.Sources
	stateDir string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	c.sources.RegisterFlags(fs)
	fs.StringVar(&c.stateDir, "state-dir", "", "state directory (default [DEFAULT] state_path, else "+defaultStateDir+")")
}

// load reads the configuration the flags name (or oslo's default locations).
func (c *commonFlags) load() (*env, error) {
	sources := c.sources
	if sources.Empty() {
		sources = config.DefaultSources("gostack")
	}
	cfg, warnings, err := store.LoadConfig(schema(), sources.Files, sources.Dirs)
	log := newLogger(cfg)
	for _, w := range warnings {
		log.Warn("configuration", "problem", w.String())
	}
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	state := cfg.String("DEFAULT", "state_path")
	if c.stateDir != "" {
		state = c.stateDir
	}
	abs, err := filepath.Abs(state)
	if err != nil {
		return nil, err
	}
	if err := cfg.Set("DEFAULT", "state_path", abs); err != nil {
		return nil, err
	}
	return &env{cfg: cfg, sources: sources, stateDir: abs, embedded: !cfg.IsSet("database", "connection"), log: log}, nil
}

// serviceConfig loads what one service reads: the shared configuration, then the service's own
// file (such as glance-api.conf) beside it, whose values win. Warnings are logged for the
// service's file only; the shared files' were logged at start.
func (e *env) serviceConfig(file string) (*config.Config, error) {
	src := e.sources.WithServiceFile(file)
	if len(src.Files) == len(e.sources.Files) {
		return e.cfg, nil
	}
	cfg, warnings, err := store.LoadConfig(schema(), src.Files, src.Dirs)
	for _, w := range warnings {
		if filepath.Base(w.File) == file {
			e.log.Warn("configuration", "problem", w.String())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if err := cfg.Set("DEFAULT", "state_path", e.stateDir); err != nil {
		return nil, err
	}
	return cfg, nil
}

func newLogger(cfg *config.Config) *slog.Logger {
	level := slog.LevelInfo
	if cfg != nil && cfg.Bool("DEFAULT", "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// databaseURL is the configured connection, or the embedded SQLite file.
func (e *env) databaseURL() string {
	if e.embedded {
		return "sqlite:///" + filepath.Join(e.stateDir, "gostack.db")
	}
	return e.cfg.String("database", "connection")
}

// openState creates the state directory (readable only by its owner) and opens the database.
func (e *env) openState(ctx context.Context) (*db.DB, error) {
	if err := os.MkdirAll(e.stateDir, 0o700); err != nil {
		return nil, err
	}
	return e.openDB(ctx)
}

// openDB opens the database the configuration names.
func (e *env) openDB(ctx context.Context) (*db.DB, error) {
	d, err := db.Open(ctx, e.databaseURL())
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", db.RedactURL(e.databaseURL()), err)
	}
	return d, nil
}

// migrations are every service's schema, in dependency order.
var migrations = []db.Migrations{identity.Migrations, image.Migrations, network.Migrations, placement.Migrations}

// identityOptions reads the identity service's options.
func (e *env) identityOptions() (identity.Options, error) {
	return identity.OptionsFrom(e.cfg)
}
