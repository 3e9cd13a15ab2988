// Package e2e drives a real `gostack serve` with real clients: the openstack CLI and gophercloud.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// gostackBin is the binary under test, built once by TestMain.
var gostackBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	for _, tool := range []struct{ bin, pkg string }{
		{"openstack", "python3-openstackclient"}, {"glance", "python3-glanceclient"}, {"qemu-img", "qemu-utils"},
	} {
		if _, err := exec.LookPath(tool.bin); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %s is required (apt-get install %s); .ci/run installs it\n", tool.bin, tool.pkg)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "gostack-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	gostackBin = filepath.Join(dir, "gostack")
	args := []string{"build", "-o", gostackBin}
	if raceBuild {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/gostack/gostack/cmd/gostack")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building gostack:", err)
		return 1
	}
	return m.Run()
}

// adminPassword is the bootstrap admin password of every test cloud.
const adminPassword = "e2e-Admin-pass"

// cloud is a running gostack serve and the admin credentials for it.
type cloud struct {
	dir     string
	conf    string
	authURL string
	env     map[string]string // OS_* variables of adminrc
	// ports are the APIs' ports by service file (glance-api.conf …), so parallel clouds do
	// not all listen on 9292, 9696 ….
	ports map[string]int
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serviceFiles are the service-specific configuration files gostack reads beside the shared one;
// startCloud gives each service's API its own free loopback port there.
var serviceFiles = []string{"glance-api.conf", "neutron.conf", "placement.conf"}

// startCloud runs gostack on a fresh database of the dialect. SQLite uses the zero-setup first
// start; MariaDB and PostgreSQL go through the operator's steps: db sync, fernet setup, bootstrap.
func startCloud(t testing.TB, dialect db.Dialect) *cloud {
	t.Helper()
	c := &cloud{dir: t.TempDir()}
	port := freePort(t)
	conf := fmt.Sprintf("[DEFAULT]\nmy_ip = 127.0.0.1\n\n[eventlet_server]\npublic_bind_host = 127.0.0.1\npublic_port = %d\n\n"+
		"[identity]\npassword_hash_rounds = 4\n\n[bootstrap]\nadmin_password = %s\n", port, adminPassword)
	if dialect != db.SQLite {
		conf += "\n[database]\nconnection = " + dbtest.URL(t, dialect) + "\n"
	}
	c.conf = filepath.Join(c.dir, "gostack.conf")
	if err := os.WriteFile(c.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c.ports = map[string]int{}
	for _, file := range serviceFiles {
		c.ports[file] = freePort(t)
		conf := fmt.Sprintf("[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = %d\n", c.ports[file])
		if err := os.WriteFile(filepath.Join(c.dir, file), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if dialect != db.SQLite {
		c.gostack(t, "db", "sync")
		c.gostack(t, "fernet", "setup")
		c.gostack(t, "bootstrap")
	}
	c.serve(t)
	c.env = readRC(t, filepath.Join(c.dir, "adminrc"))
	c.authURL = c.env["OS_AUTH_URL"]
	return c
}

// gostack runs a gostack admin command against the cloud's configuration.
func (c *cloud) gostack(t testing.TB, args ...string) string {
	t.Helper()
	args = append(args, "--config-file", c.conf, "--state-dir", c.dir)
	out, err := exec.Command(gostackBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gostack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serve starts `gostack serve` and waits until the identity API answers.
func (c *cloud) serve(t testing.TB) {
	t.Helper()
	logPath := filepath.Join(c.dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gostackBin, "serve", "--config-file", c.conf, "--state-dir", c.dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
		logFile.Close()
		log, _ := os.ReadFile(logPath)
		if bytes.Contains(log, []byte("WARNING: DATA RACE")) {
			t.Errorf("the race detector found a data race in gostack serve")
		}
		if t.Failed() {
			t.Logf("gostack serve log:\n%s", tail(string(log), 8000))
		}
	})
	rc := filepath.Join(c.dir, "adminrc")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("gostack serve exited: %v\n%s", err, log)
		default:
		}
		if env, err := os.ReadFile(rc); err == nil && bytes.Contains(env, []byte("OS_AUTH_URL")) {
			url := parseRC(string(env))["OS_AUTH_URL"]
			if resp, err := http.Get(url); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gostack serve did not become ready in 20s")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// readRC parses the export lines of an adminrc.
func readRC(t testing.TB, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseRC(string(data))
}

func parseRC(s string) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if ok {
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}

// as returns the environment of another user of the same cloud.
func (c *cloud) as(user, password, project string) map[string]string {
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["OS_USERNAME"], env["OS_PASSWORD"], env["OS_PROJECT_NAME"] = user, password, project
	return env
}

// cli runs the openstack CLI with env and returns its stdout and stderr and whether it succeeded.
func cli(env map[string]string, args ...string) (stdout, stderr string, ok bool) {
	return client(env, "openstack", args...)
}

// client runs a command-line client with env as its only OS_* variables and returns its stdout
// and stderr and whether it succeeded.
func client(env map[string]string, name string, args ...string) (stdout, stderr string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// openstack runs the CLI as admin and fails the test if it fails.
func (c *cloud) openstack(t testing.TB, args ...string) string {
	t.Helper()
	return mustCLI(t, c.env, args...)
}

func mustCLI(t testing.TB, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, ok := cli(env, args...)
	if !ok {
		t.Fatalf("openstack %s failed:\n%s%s", strings.Join(args, " "), out, errOut)
	}
	return out
}

// openstackJSON runs the CLI with -f json as env's user and decodes the output into v.
func openstackJSON(t testing.TB, env map[string]string, v any, args ...string) {
	t.Helper()
	out := mustCLI(t, env, append(args, "-f", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("openstack %s: bad JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// openstackFails runs the CLI expecting failure and returns what it printed.
func openstackFails(t testing.TB, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, ok := cli(env, args...)
	if ok {
		t.Fatalf("openstack %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	return out + errOut
}
