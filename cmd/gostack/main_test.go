package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gostack-cmd-test")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "gostack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gostack runs the binary and returns its combined output and error.
func gostack(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// writeConf writes a configuration file and returns its path.
func writeConf(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gostack.conf")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSamples(t *testing.T) {
	out, err := gostack(t, "config", "sample")
	if err != nil {
		t.Fatal(err, out)
	}
	for _, want := range []string{"[token]", "#expiration = 86400", "[database]", "#connection = <None>", "[security_compliance]", "[fernet_tokens]",
		"[glance_store]", "#filesystem_store_datadir", "[image_format]", "#image_size_cap = 1099511627776"} {
		if !strings.Contains(out, want) {
			t.Errorf("config sample lacks %q", want)
		}
	}
	out, err = gostack(t, "policy", "sample", "identity")
	if err != nil || !strings.Contains(out, `#"identity:create_user":`) {
		t.Errorf("policy sample: %v\n%s", err, out)
	}
	out, err = gostack(t, "policy", "sample", "image")
	if err != nil || !strings.Contains(out, `#"publicize_image": "role:admin"`) {
		t.Errorf("policy sample image: %v\n%s", err, out)
	}
	out, err = gostack(t, "policy", "sample", "network")
	if err != nil || !strings.Contains(out, `#"create_network:shared": "rule:admin_only"`) {
		t.Errorf("policy sample network: %v\n%s", err, out)
	}
	if out, err = gostack(t, "policy", "sample", "nosuch"); err == nil || !strings.Contains(out, "identity") {
		t.Errorf("policy sample of an unknown service: %v %s", err, out)
	}
	if out, err = gostack(t, "frobnicate"); err == nil || !strings.Contains(out, "usage: gostack") {
		t.Errorf("unknown command: %v %s", err, out)
	}
}

func TestConfigProblemsNameFileSectionAndKey(t *testing.T) {
	state := t.TempDir()
	typo := writeConf(t, "[token]\nexpiraton = 5\n")
	out, err := gostack(t, "db", "sync", "--config-file", typo, "--state-dir", state)
	if err != nil || !strings.Contains(out, "gostack.conf:2: [token] expiraton") {
		t.Errorf("unknown option: want a warning naming file, section and key; got %v\n%s", err, out)
	}
	bad := writeConf(t, "[token]\nexpiration = soon\n")
	out, err = gostack(t, "db", "sync", "--config-file", bad, "--state-dir", state)
	if err == nil || !strings.Contains(out, "gostack.conf:2: [token] expiration") {
		t.Errorf("malformed value: want an error naming file, section and key; got %v\n%s", err, out)
	}
}

func TestConfiguredDatabaseNeedsDBSync(t *testing.T) {
	state := t.TempDir()
	conf := writeConf(t, fmt.Sprintf("[database]\nconnection = sqlite:///%s/configured.db\n", state))
	out, err := gostack(t, "serve", "--config-file", conf, "--state-dir", state)
	if err == nil || !strings.Contains(out, `run "gostack db sync"`) {
		t.Fatalf("serve on an unsynced database: %v\n%s", err, out)
	}
	if out, err = gostack(t, "db", "sync", "--config-file", conf, "--state-dir", state); err != nil {
		t.Fatal(err, out)
	}
	out, err = gostack(t, "db", "version", "--config-file", conf, "--state-dir", state)
	if err != nil || !strings.Contains(out, "identity: 1 of 1 (up to date)") {
		t.Errorf("db version: %v\n%s", err, out)
	}
	out, err = gostack(t, "bootstrap", "--bootstrap-password", "pw", "--config-file", conf, "--state-dir", state)
	if err != nil || !strings.Contains(out, "created the admin user admin") {
		t.Errorf("bootstrap: %v\n%s", err, out)
	}
	if rc, err := os.ReadFile(filepath.Join(state, "adminrc")); err != nil || !strings.Contains(string(rc), "OS_PASSWORD='pw'") {
		t.Errorf("adminrc: %v\n%s", err, rc)
	}
}

func TestFernetRotate(t *testing.T) {
	state := t.TempDir()
	if out, err := gostack(t, "fernet", "setup", "--state-dir", state); err != nil || !strings.Contains(out, "keys [0 1]") {
		t.Fatalf("fernet setup: %v\n%s", err, out)
	}
	if out, err := gostack(t, "fernet", "rotate", "--state-dir", state); err != nil || !strings.Contains(out, "keys [0 1 2]") {
		t.Fatalf("fernet rotate: %v\n%s", err, out)
	}
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServeRestartIsIdempotent starts an unconfigured gostack twice on one state directory:
// the second start keeps the admin, its password and adminrc. It also checks the image service's own file: glance-api.conf
// beside gostack.conf gives it its port and public endpoint, which the catalog lists.
func TestServeRestartIsIdempotent(t *testing.T) {
	state := t.TempDir()
	port, imagePort := freePort(t), freePort(t)
	conf := writeConf(t, fmt.Sprintf("[DEFAULT]\nbind_port = 1\n[eventlet_server]\npublic_bind_host = 127.0.0.1\npublic_port = %d\n[identity]\npassword_hash_rounds = 4\n", port))
	glance := fmt.Sprintf("[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = %d\npublic_endpoint = http://images.example:%d/\n", imagePort, imagePort)
	if err := os.WriteFile(filepath.Join(filepath.Dir(conf), "glance-api.conf"), []byte(glance), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"neutron.conf", "placement.conf"} {
		own := fmt.Sprintf("[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = %d\n", freePort(t))
		if err := os.WriteFile(filepath.Join(filepath.Dir(conf), file), []byte(own), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	serveOnce(t, conf, state, port, func(token string) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", imagePort))
		if err != nil {
			t.Fatalf("the image API is not on glance-api.conf's port: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMultipleChoices {
			t.Errorf("image version discovery: %d", resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/v3/auth/catalog", port), nil)
		req.Header.Set("X-Auth-Token", token)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		catalog, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf(`"url":"http://images.example:%d"`, imagePort); !strings.Contains(string(catalog), want) {
			t.Errorf("the catalog lacks %s: %s", want, catalog)
		}
	})
	rc1, err := os.ReadFile(filepath.Join(state, "adminrc"))
	if err != nil {
		t.Fatal(err)
	}
	serveOnce(t, conf, state, port, nil)
	rc2, _ := os.ReadFile(filepath.Join(state, "adminrc"))
	if !bytes.Equal(rc1, rc2) {
		t.Errorf("adminrc changed across restarts:\n%s\n---\n%s", rc1, rc2)
	}
}

// serveOnce runs serve until it answers, logs in with adminrc's password, runs check (if
// any) with the token, and stops it.
func serveOnce(t *testing.T, conf, state string, port int, check func(token string)) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config-file", conf, "--state-dir", state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("serve did not stop cleanly: %v\n%s", err, out.String())
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		resp, err := http.Get(url + "/v3")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("serve not ready:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rc, err := os.ReadFile(filepath.Join(state, "adminrc"))
	if err != nil {
		t.Fatal(err)
	}
	password := between(string(rc), "OS_PASSWORD='", "'")
	body := fmt.Sprintf(`{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": %q}}}, "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}`, password)
	resp, err := http.Post(url+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("login with adminrc's password: %d", resp.StatusCode)
	}
	if check != nil {
		check(resp.Header.Get("X-Subject-Token"))
	}
}

func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(after, end)
	return v
}

// TestRingCommands builds a three-zone object ring the way the Swift guides do with
// swift-ring-builder.
func TestRingCommands(t *testing.T) {
	builder := filepath.Join(t.TempDir(), "object.builder")
	run := func(args ...string) string {
		t.Helper()
		out, err := gostack(t, append([]string{"ring"}, args...)...)
		if err != nil {
			t.Fatalf("gostack ring %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("create", builder, "10", "3", "1")
	for z := 1; z <= 3; z++ {
		out := run("add", builder, fmt.Sprintf("r1z%d-127.0.0.1:62%d0/sdb1", z, z), "100")
		if !strings.Contains(out, "got id") {
			t.Errorf("add: %s", out)
		}
	}
	if out := run("rebalance", "--seed", "1", builder); !strings.Contains(out, "Reassigned 1024 (100.00%) partitions. Balance is now 0.00") {
		t.Errorf("rebalance: %s", out)
	}
	if _, err := os.Stat(strings.TrimSuffix(builder, ".builder") + ".ring.gz"); err != nil {
		t.Errorf("ring file: %v", err)
	}
	show := run("show", builder)
	for _, want := range []string{"1024 partitions, 3 replicas, 1 regions, 3 zones, 3 devices, 0.00 balance", "127.0.0.1:6210", "1024"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	run("set-weight", builder, "z3", "50")
	run("remove", builder, "z2")
	if show := run("show", builder); !strings.Contains(show, "DEL") {
		t.Errorf("removed device not flagged:\n%s", show)
	}

	for _, bad := range [][]string{
		{"create", builder, "10", "3", "1"},                     // exists
		{"create", builder + "2", "40", "3", "1"},               // part power too large
		{"add", builder, "127.0.0.1:6200/sdb1", "100"},          // no region or zone
		{"add", builder, "r1z4-127.0.0.1:6240/sdb1", "heavy"},   // weight not a number
		{"add", builder, "r1z1-127.0.0.1:6210/sdb1", "100"},     // duplicate device
		{"set-weight", builder, "z9", "10"},                     // matches nothing
		{"show", filepath.Join(t.TempDir(), "missing.builder")}, // no such file
	} {
		if out, err := gostack(t, append([]string{"ring"}, bad...)...); err == nil {
			t.Errorf("gostack ring %s succeeded:\n%s", strings.Join(bad, " "), out)
		}
	}
}
