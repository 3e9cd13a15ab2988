package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/gostack/gostack/bench/internal/harness"
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

// settleTime is how long the server idles after becoming ready before its RSS is read.
const settleTime = 500 * time.Millisecond

// server is a running `gostack serve` started by the benchmark.
type server struct {
	cmd    *exec.Cmd
	url    string        // http://127.0.0.1:PORT
	ready  time.Duration // from exec to the first successful GET /v3
	access access        // the admin credentials from adminrc
	done   chan error
}

// access is what adminrc says about reaching the cloud as admin.
type access struct {
	AuthURL, Username, Password, Project, UserDomain, ProjectDomain string
}

// startServer runs gostack serve with its state in work/state, its log in work/server.log,
// and waits until GET /v3 answers 200.
func startServer(ctx context.Context, bin, work string, rounds int) (*server, error) {
	port, err := harness.FreePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(work, "gostack.conf")
	text := fmt.Sprintf("[DEFAULT]\nmy_ip = 127.0.0.1\n\n[eventlet_server]\npublic_bind_host = 127.0.0.1\npublic_port = %d\n\n[identity]\npassword_hash_rounds = %d\n", port, rounds)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	if _, err := harness.WriteServiceFiles(work, nil); err != nil { // image, network: off their standard ports
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(work, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	state := filepath.Join(work, "state")
	cmd := exec.Command(bin, "serve", "--state-dir", state, "--config-file", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	s := &server{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan error, 1)}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx, start); err != nil {
		_ = s.stop()
		return nil, err
	}
	s.ready = time.Since(start)
	if s.access, err = readAdminrc(filepath.Join(state, "adminrc")); err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls GET /v3 until it answers 200, the process exits or time runs out.
func (s *server) waitReady(ctx context.Context, start time.Time) error {
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for time.Since(start) < readyTimeout {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("gostack serve exited before it was ready (%v); see its log", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := probe.Get(s.url + "/v3")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("gostack serve was not ready after %s", readyTimeout)
}

// idleRSS lets the server settle, then reads its resident set size; 0 if unreadable.
func (s *server) idleRSS() int64 {
	time.Sleep(settleTime)
	return harness.ReadRSS(s.cmd.Process.Pid)
}

// stop asks the server to shut down (SIGTERM) and waits, killing it after 10 seconds.
func (s *server) stop() error {
	if s.cmd.Process == nil {
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

// readAdminrc reads the exports bootstrap wrote.
func readAdminrc(path string) (access, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return access{}, fmt.Errorf("reading adminrc: %w", err)
	}
	vars := parseExports(string(data))
	a := access{AuthURL: vars["OS_AUTH_URL"], Username: vars["OS_USERNAME"], Password: vars["OS_PASSWORD"],
		Project: vars["OS_PROJECT_NAME"], UserDomain: vars["OS_USER_DOMAIN_NAME"], ProjectDomain: vars["OS_PROJECT_DOMAIN_NAME"]}
	if a.Username == "" || a.Password == "" || a.Project == "" {
		return a, fmt.Errorf("%s lacks OS_USERNAME, OS_PASSWORD or OS_PROJECT_NAME", path)
	}
	return a, nil
}

// parseExports reads `export NAME=value` lines, with value optionally single- or
// double-quoted (shell quoting of the simple kind adminrc uses).
func parseExports(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		name, value, ok := strings.Cut(rest, "=")
		if !ok {
			continue
		}
		out[strings.TrimSpace(name)] = unquote(strings.TrimSpace(value))
	}
	return out
}

// unquote removes one level of shell quotes, as adminrc writes them: single quotes (with
// the usual quote-backslash-quote-quote escape inside) or double quotes.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return strings.ReplaceAll(v[1:len(v)-1], `'\''`, `'`)
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
