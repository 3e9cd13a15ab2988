package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// fakeValidator knows a fixed set of tokens.
type fakeValidator struct {
	tokens map[string]*Context
	err    error
}

func (f fakeValidator) ValidateToken(_ context.Context, token string) (*Context, error) {
	if f.err != nil {
		return nil, f.err
	}
	if c, ok := f.tokens[token]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("no such token: %w", ErrInvalidToken)
}

func TestMiddleware(t *testing.T) {
	valid := &Context{UserID: "u1", ProjectID: "p1", Roles: []string{"member"}, ExpiresAt: time.Now().Add(time.Hour)}
	expired := &Context{UserID: "u2", ProjectID: "p2", ExpiresAt: time.Now().Add(-time.Minute)}
	tokens := map[string]*Context{"good": valid, "old": expired}
	tests := []struct {
		name       string
		token      string
		validator  fakeValidator
		wantStatus int
		wantUser   string
	}{
		{name: "missing", validator: fakeValidator{tokens: tokens}, wantStatus: 401},
		{name: "invalid", token: "bogus", validator: fakeValidator{tokens: tokens}, wantStatus: 401},
		{name: "expired", token: "old", validator: fakeValidator{tokens: tokens}, wantStatus: 401},
		{name: "valid", token: "good", validator: fakeValidator{tokens: tokens}, wantStatus: 200, wantUser: "u1"},
		{name: "backend down", token: "good", validator: fakeValidator{err: errors.New("dial tcp: connection refused")}, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			api := &httpapi.API{Service: "compute", Errors: httpapi.NovaErrors, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			var seen *Context
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = FromContext(r.Context())
				w.WriteHeader(200)
			})
			h := api.Middleware(Middleware(api, tt.validator, "http://controller:5000")(inner), 0)
			r := httptest.NewRequest("GET", "/v2.1/servers", nil)
			if tt.token != "" {
				r.Header.Set("X-Auth-Token", tt.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body.String())
			}
			switch tt.wantStatus {
			case 401:
				if got := w.Header().Get("WWW-Authenticate"); got != `Keystone uri="http://controller:5000"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				want := `{"unauthorized":{"code":401,"message":"The request you have made requires authentication."}}`
				if w.Body.String() != want {
					t.Errorf("body = %s, want %s", w.Body.String(), want)
				}
			case 503:
				if !strings.Contains(w.Body.String(), `"serviceUnavailable"`) || strings.Contains(w.Body.String(), "refused") {
					t.Errorf("body = %s", w.Body.String())
				}
				if !strings.Contains(logs.String(), "connection refused") {
					t.Error("backend error not logged")
				}
			case 200:
				if seen == nil || seen.UserID != tt.wantUser || seen.TokenID != tt.token {
					t.Fatalf("context caller = %+v", seen)
				}
				if seen == valid {
					t.Error("the validator's Context was handed to the handler without copying")
				}
			}
			if tt.wantStatus != 200 && seen != nil {
				t.Error("handler ran for a rejected request")
			}
			access := lastAccessLine(t, &logs)
			if access["user"] != tt.wantUser {
				t.Errorf("access log user = %v, want %q", access["user"], tt.wantUser)
			}
		})
	}
}

// lastAccessLine returns the access log line httpapi's middleware wrote.
func lastAccessLine(t *testing.T, logs *bytes.Buffer) map[string]any {
	t.Helper()
	dec := json.NewDecoder(logs)
	var last map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if m["msg"] == "request" {
			last = m
		}
	}
	if last == nil {
		t.Fatal("no access log line")
	}
	return last
}

func TestMiddlewareNilAPIAndNoIdentityURL(t *testing.T) {
	h := Middleware(nil, fakeValidator{}, "")(http.NotFoundHandler())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != "" || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("got %d %v %s", w.Code, w.Header(), w.Body.String())
	}
}
