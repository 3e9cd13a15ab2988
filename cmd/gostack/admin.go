package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/identity/fernet"
	"github.com/gostack/gostack/internal/image"
	"github.com/gostack/gostack/internal/network"
	"github.com/gostack/gostack/internal/placement"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/policy"
)

// parseEnv parses a command's flags — the common ones plus any that extra adds — and loads
// the configuration they name.
func parseEnv(name string, args []string, extra func(*flag.FlagSet)) (*env, error) {
	var c commonFlags
	fs := newFlags(name)
	c.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("gostack %s: unexpected argument %q", name, fs.Arg(0))
	}
	return c.load()
}

// openCommand parses a command's flags, loads its configuration and opens its state directory
// and database.
func openCommand(ctx context.Context, name string, args []string, extra func(*flag.FlagSet)) (*env, *db.DB, error) {
	e, err := parseEnv(name, args, extra)
	if err != nil {
		return nil, nil, err
	}
	d, err := e.openState(ctx)
	return e, d, err
}

// runDBSync is `gostack db sync`: apply every pending migration.
func runDBSync(ctx context.Context, args []string, stdout io.Writer) error {
	_, d, err := openCommand(ctx, "db sync", args, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	for _, m := range migrations {
		if err := d.Migrate(ctx, m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Service, err)
		}
		cur, _, err := d.SchemaVersion(ctx, m)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: schema version %d\n", m.Service, cur)
	}
	return nil
}

// runDBVersion is `gostack db version`: the recorded and the shipped schema version per service.
func runDBVersion(ctx context.Context, args []string, stdout io.Writer) error {
	e, err := parseEnv("db version", args, nil)
	if err != nil {
		return err
	}
	d, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	for _, m := range migrations {
		cur, latest, err := d.SchemaVersion(ctx, m)
		if err != nil {
			return err
		}
		state := "up to date"
		if cur != latest {
			state = `out of date: run "gostack db sync"`
		}
		fmt.Fprintf(stdout, "%s: %d of %d (%s)\n", m.Service, cur, latest, state)
	}
	return nil
}

// keyRepositories returns the token and credential key repositories the configuration names.
func (e *env) keyRepositories() (tokens, credentials *fernet.Repository, err error) {
	opts, err := e.identityOptions()
	if err != nil {
		return nil, nil, err
	}
	return fernet.NewRepository(opts.FernetKeyRepository, opts.MaxActiveKeys),
		fernet.NewRepository(opts.CredentialKeys, opts.MaxActiveKeys), nil
}

// runFernetSetup is `gostack fernet setup` (keystone-manage fernet_setup and credential_setup).
func runFernetSetup(ctx context.Context, args []string, stdout io.Writer) error {
	e, err := parseEnv("fernet setup", args, nil)
	if err != nil {
		return err
	}
	tokens, creds, err := e.keyRepositories()
	if err != nil {
		return err
	}
	for _, r := range []*fernet.Repository{tokens, creds} {
		if err := r.Setup(); err != nil {
			return err
		}
		if err := printIndexes(stdout, r); err != nil {
			return err
		}
	}
	return nil
}

// runFernetRotate is `gostack fernet rotate` (keystone-manage fernet_rotate).
func runFernetRotate(ctx context.Context, args []string, stdout io.Writer) error {
	e, err := parseEnv("fernet rotate", args, nil)
	if err != nil {
		return err
	}
	tokens, _, err := e.keyRepositories()
	if err != nil {
		return err
	}
	if err := tokens.Rotate(); err != nil {
		return err
	}
	return printIndexes(stdout, tokens)
}

func printIndexes(w io.Writer, r *fernet.Repository) error {
	idx, err := r.Indexes()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: keys %v (0 is staged, %d is primary)\n", r.Dir(), idx, idx[len(idx)-1])
	return nil
}

// runConfigSample is `gostack config sample`.
func runConfigSample(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("gostack config sample: unexpected argument %q", args[0])
	}
	return schema().WriteSample(stdout)
}

// servicePolicies are the default rules of each service, by the name `policy sample` takes.
var servicePolicies = map[string]func() []policy.Rule{
	"identity":  identity.Policies,
	"image":     image.Policies,
	"network":   network.Policies,
	"placement": placement.Policies,
}

// runPolicySample is `gostack policy sample SERVICE`.
func runPolicySample(ctx context.Context, args []string, stdout io.Writer) error {
	var names []string
	for n := range servicePolicies {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) != 1 || servicePolicies[args[0]] == nil {
		return fmt.Errorf("gostack policy sample: name one service of %v", names)
	}
	return policy.WriteSample(stdout, servicePolicies[args[0]]())
}
