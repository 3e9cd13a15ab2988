package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyTimeout is how long a starting server may take before the benchmark gives up.
const readyTimeout = 30 * time.Second

// settleTime is how long the server idles before a settled RSS is read.
const settleTime = 500 * time.Millisecond

// service is an API that gostack serve runs beside identity, configured by its own file
// beside gostack.conf.
type service struct {
	name  string // how a benchmark asks for its URL
	file  string // the per-service config file
	probe string // a path that answers 200 without a token once the API serves
}

// services are all the APIs gostack serve runs beside identity. Each gets a free port, so
// that a benchmark never collides with a cloud on the standard ports.
var services = []service{
	{name: "image", file: "glance-api.conf", probe: "/versions"},
	{name: "network", file: "neutron.conf", probe: "/"},
}

// Options says how to start the server.
type Options struct {
	Binary string // the gostack binary
	Dir    string // holds gostack.conf, the service files, state/ and server.log
	// Extra holds more lines for a service's file (by service name: "image", "network"),
	// written after its [DEFAULT] bind_host and bind_port.
	Extra map[string]string
}

// Server is a running `gostack serve` started by a benchmark.
type Server struct {
	IdentityURL string // http://127.0.0.1:PORT
	Password    string // the admin's, from [bootstrap] admin_password
	State       string // the state directory
	LogPath     string
	urls        map[string]string
	cmd         *exec.Cmd
	done        chan error
}

// Start runs gostack serve with its state in Dir/state and its log in Dir/server.log, and
// waits until identity and every other API answer.
func Start(ctx context.Context, o Options) (*Server, error) {
	s := &Server{Password: randomPassword(), State: filepath.Join(o.Dir, "state"), LogPath: filepath.Join(o.Dir, "server.log"),
		urls: map[string]string{}, done: make(chan error, 1)}
	conf, err := s.writeConfig(o)
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	s.cmd = exec.Command(o.Binary, "serve", "--state-dir", s.State, "--config-file", conf)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", o.Binary, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, s.Explain(err)
	}
	return s, nil
}

// writeConfig writes gostack.conf (identity on a free port, the admin's password, cheap
// password hashing) and each service's file with a free port, and returns gostack.conf's path.
func (s *Server) writeConfig(o Options) (string, error) {
	idPort, err := FreePort()
	if err != nil {
		return "", err
	}
	s.IdentityURL = "http://127.0.0.1:" + strconv.Itoa(idPort)
	conf := filepath.Join(o.Dir, "gostack.conf")
	shared := fmt.Sprintf("[DEFAULT]\nmy_ip = 127.0.0.1\n\n[eventlet_server]\npublic_bind_host = 127.0.0.1\npublic_port = %d\n\n"+
		"[identity]\npassword_hash_rounds = 4\n\n[bootstrap]\nadmin_password = %s\n", idPort, s.Password)
	if err := os.WriteFile(conf, []byte(shared), 0o600); err != nil {
		return "", err
	}
	urls, err := WriteServiceFiles(o.Dir, o.Extra)
	if err != nil {
		return "", err
	}
	s.urls = urls
	return conf, nil
}

// WriteServiceFiles writes, beside gostack.conf in dir, each service's own file with
// bind_host 127.0.0.1 and a free bind_port (plus extra[service] lines), so that a benchmark's
// server never takes a standard port; it returns each service's base URL by name.
func WriteServiceFiles(dir string, extra map[string]string) (map[string]string, error) {
	urls := map[string]string{}
	for _, svc := range services {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		urls[svc.name] = "http://127.0.0.1:" + strconv.Itoa(port)
		text := fmt.Sprintf("[DEFAULT]\nbind_host = 127.0.0.1\nbind_port = %d\n", port) + extra[svc.name]
		if err := os.WriteFile(filepath.Join(dir, svc.file), []byte(text), 0o600); err != nil {
			return nil, err
		}
	}
	return urls, nil
}

// randomPassword returns 32 hex digits.
func randomPassword() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails on Linux
	return hex.EncodeToString(b)
}

// URL is the base URL of a service ("image", "network"); "" for one the server does not run.
func (s *Server) URL(name string) string { return s.urls[name] }

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// waitReady polls identity's GET /v3 and each service's probe until all answer 200, the
// process exits or time runs out.
func (s *Server) waitReady(ctx context.Context) error {
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	urls := []string{s.IdentityURL + "/v3"}
	for _, svc := range services {
		urls = append(urls, s.urls[svc.name]+svc.probe)
	}
	for _, u := range urls {
		for !answers(probe, u) {
			select {
			case err := <-s.done:
				s.done <- err
				return fmt.Errorf("gostack serve exited before it was ready (%v)", err)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
			if time.Since(start) > readyTimeout {
				return fmt.Errorf("gostack serve was not ready after %s (%s does not answer 200)", readyTimeout, u)
			}
		}
	}
	return nil
}

// answers reports whether GET url is a 200.
func answers(c *http.Client, url string) bool {
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Explain adds the end of the server log to an error.
func (s *Server) Explain(err error) error {
	data, rerr := os.ReadFile(s.LogPath)
	if rerr != nil || len(data) == 0 {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-15):]
	return fmt.Errorf("%w\nlast lines of the server log:\n  %s", err, strings.Join(lines, "\n  "))
}

// RSS reads the server's resident set size; 0 if unreadable.
func (s *Server) RSS() int64 { return ReadRSS(s.PID()) }

// SettledRSS lets the server idle briefly, then reads its resident set size.
func (s *Server) SettledRSS() int64 {
	time.Sleep(settleTime)
	return s.RSS()
}

// Stop asks the server to shut down (SIGTERM) and waits, killing it after 10 seconds.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case err := <-s.done: // already gone
		s.done <- err
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		return errors.New("gostack serve did not stop within 10s of SIGTERM; killed")
	}
}
