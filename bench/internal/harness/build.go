// Package harness is what gostack's benchmarks share: it builds the gostack binary, starts
// `gostack serve` on free loopback ports with a temporary state directory and its own
// config files, logs in as the bootstrap admin, watches the server's memory and CPU in
// /proc while work runs, and prints figures as a table with targets and verdicts.
package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the gostack command into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "gostack")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/gostack/gostack/cmd/gostack")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building gostack (run from inside the module, or pass -gostack): %w", err)
	}
	return bin, nil
}

// FreePort asks the kernel for an unused loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
