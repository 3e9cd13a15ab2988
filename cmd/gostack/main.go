// Command gostack is an OpenStack-compatible cloud in one binary.
//
//	gostack serve                 run every enabled service (embedded defaults when unconfigured)
//	gostack bootstrap             create the admin user, projects, roles and identity endpoints
//	gostack db sync               migrate the database to this version's schema
//	gostack db version            show the schema versions
//	gostack fernet setup|rotate   manage the token and credential key repositories
//	gostack ring create|add|…     build object-storage rings, as swift-ring-builder does
//	gostack config sample         print every configuration option with its default and help
//	gostack policy sample SERVICE print a service's default policy rules
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one `gostack …` subcommand.
type command struct {
	name    string // e.g. "db sync"
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = []command{
	{"serve", "run the cloud's services", runServe},
	{"bootstrap", "create the admin user, projects, roles and identity endpoints", runBootstrap},
	{"db sync", "migrate the database to this version's schema", runDBSync},
	{"db version", "show the database schema versions", runDBVersion},
	{"fernet setup", "create the token and credential key repositories", runFernetSetup},
	{"fernet rotate", "rotate the token keys (staged key becomes primary)", runFernetRotate},
	{"ring create", "create a ring builder file: BUILDER PART_POWER REPLICAS MIN_PART_HOURS", runRingCreate},
	{"ring add", "add devices to a ring builder: BUILDER r1z1-IP:PORT/DEVICE WEIGHT …", runRingAdd},
	{"ring set-weight", "change the weight of the devices a search matches", runRingSetWeight},
	{"ring remove", "remove the devices a search matches at the next rebalance", runRingRemove},
	{"ring rebalance", "assign partitions to devices and write BUILDER's .ring.gz", runRingRebalance},
	{"ring show", "show a ring builder's devices and balance", runRingShow},
	{"config sample", "print every configuration option with its default and help", runConfigSample},
	{"policy sample", "print a service's default policy rules as YAML (gostack policy sample identity)", runPolicySample},
}

// errUsage reports a command line that names no command; main prints the usage for it.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Stdout)
	if errors.Is(err, errUsage) {
		usage(os.Stderr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gostack:", err)
		os.Exit(1)
	}
}

// dispatch finds the longest command name that prefixes args and runs it.
func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	for _, c := range commands {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c.run(ctx, args[len(words):], stdout)
		}
	}
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gostack COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Common flags: --config-file FILE (repeatable), --config-dir DIR, --state-dir DIR (default ./gostack-data).")
	fmt.Fprintln(w, "Run 'gostack COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set for a command that exits with the flag error instead of printing twice.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("gostack "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}
