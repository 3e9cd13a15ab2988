package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var requestIDFormat = regexp.MustCompile(`^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// logLines decodes the JSON log lines in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// accessLine returns the single access log line ("msg":"request") in buf.
func accessLine(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, m := range logLines(t, buf) {
		if m["msg"] == "request" {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one access log line, got %d in %s", len(found), buf.String())
	}
	return found[0]
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name       string
		handler    HandlerFunc
		body       string
		maxBody    int64
		wantStatus int
		wantBody   string
		wantStack  bool
	}{
		{name: "success", wantStatus: 200, wantBody: `{"ok":true}`,
			handler: func(w http.ResponseWriter, r *http.Request) error {
				SetLogIdentity(r.Context(), "u1", "p1")
				(&API{}).WriteJSON(w, 200, map[string]bool{"ok": true})
				return nil
			}},
		{name: "error", wantStatus: 404, wantBody: `"itemNotFound"`,
			handler: func(w http.ResponseWriter, r *http.Request) error {
				SetLogIdentity(r.Context(), "u1", "p1")
				return NotFound("gone")
			}},
		{name: "panic", wantStatus: 500, wantBody: `"computeFault"`, wantStack: true,
			handler: func(w http.ResponseWriter, r *http.Request) error {
				SetLogIdentity(r.Context(), "u1", "p1")
				var m map[string]int
				m["x"] = 1 // nil map write
				return nil
			}},
		{name: "body too large while reading", body: strings.Repeat("x", 100), maxBody: 10, wantStatus: 413, wantBody: `"overLimit"`,
			handler: func(w http.ResponseWriter, r *http.Request) error {
				SetLogIdentity(r.Context(), "u1", "p1")
				_, err := io.ReadAll(r.Body)
				return err
			}},
		{name: "body too large by content length", body: strings.Repeat("x", 100), maxBody: 10, wantStatus: 413, wantBody: `"overLimit"`,
			handler: func(w http.ResponseWriter, r *http.Request) error {
				t.Error("handler called for an oversized request")
				return nil
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := &API{Service: "compute", Errors: NovaErrors, LegacyRequestIDHeader: "X-Compute-Request-Id",
				Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			var seenID string
			h := a.Middleware(a.Handle(func(w http.ResponseWriter, r *http.Request) error {
				seenID = RequestID(r.Context())
				return tt.handler(w, r)
			}), tt.maxBody)
			srv := httptest.NewServer(h)
			defer srv.Close()

			req, _ := http.NewRequest("POST", srv.URL+"/v2.1/servers?x=1", strings.NewReader(tt.body))
			if strings.Contains(tt.name, "while reading") {
				req.ContentLength = -1 // chunked: the limit is only found while reading
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			srv.Close() // flush the handler's deferred log

			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("got %d %s, want %d containing %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			id := resp.Header.Get("X-OpenStack-Request-ID")
			if !requestIDFormat.MatchString(id) {
				t.Errorf("request id header %q is not req-<uuid4>", id)
			}
			if legacy := resp.Header.Get("X-Compute-Request-Id"); legacy != id {
				t.Errorf("legacy request id header = %q, want %q", legacy, id)
			}
			if seenID != "" && seenID != id {
				t.Errorf("context request id %q != header %q", seenID, id)
			}
			line := accessLine(t, &logs)
			want := map[string]any{"request_id": id, "method": "POST", "path": "/v2.1/servers",
				"status": float64(tt.wantStatus), "bytes": float64(len(body)), "level": "INFO", "service": "compute"}
			if seenID != "" {
				want["user"], want["project"] = "u1", "p1"
			}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("access log %s = %v, want %v", k, line[k], v)
				}
			}
			if _, ok := line["duration"]; !ok {
				t.Errorf("access log has no duration: %v", line)
			}
			if hasStack := strings.Contains(logs.String(), `"stack"`); hasStack != tt.wantStack {
				t.Errorf("stack logged = %v, want %v", hasStack, tt.wantStack)
			}
		})
	}
}

func TestMiddlewareUniqueIDsAndGlobalID(t *testing.T) {
	a := &API{Log: slog.New(slog.DiscardHandler)}
	var global string
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		global = GlobalRequestID(r.Context())
	}), 0)
	inbound := "req-6f0a5b1e-3c1d-4b3a-9a8e-2f7c1d2e3f40"
	seen := map[string]bool{}
	for range 3 {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Openstack-Request-Id", inbound)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		id := w.Header().Get(RequestIDHeader)
		if seen[id] || id == inbound {
			t.Errorf("request id %q reused", id)
		}
		seen[id] = true
	}
	if global != inbound {
		t.Errorf("GlobalRequestID = %q, want %q", global, inbound)
	}

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Openstack-Request-Id", "evil\nvalue")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if global != "" {
		t.Errorf("ill-formed inbound id accepted: %q", global)
	}
}

func TestRequestContextOutsideMiddleware(t *testing.T) {
	ctx := context.Background()
	SetLogIdentity(ctx, "u", "p") // must not panic
	if RequestID(ctx) != "" || GlobalRequestID(ctx) != "" {
		t.Error("ids outside middleware should be empty")
	}
}

func TestMiddlewareAbortHandlerRepanics(t *testing.T) {
	var logs bytes.Buffer
	a := &API{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}), 0)
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
		if strings.Contains(logs.String(), "panic serving request") {
			t.Error("ErrAbortHandler logged as a panic")
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestRecorderFlushAndUnwrap(t *testing.T) {
	a := &API{Log: slog.New(slog.DiscardHandler)}
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}), 0)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !w.Flushed {
		t.Error("flush did not reach the underlying writer")
	}
}
