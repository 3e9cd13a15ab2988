package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestErrorFormats(t *testing.T) {
	tests := []struct {
		name   string
		format ErrorFormat
		err    *Error
		want   string
	}{
		{"keystone", KeystoneErrors, NotFound("Could not find user: u1."),
			`{"error":{"code":404,"message":"Could not find user: u1.","title":"Not Found"}}`},
		{"keystone custom title", KeystoneErrors, &Error{Status: 401, Title: "Unauthorized", Message: "m"},
			`{"error":{"code":401,"message":"m","title":"Unauthorized"}}`},
		{"nova 400", NovaErrors, BadRequest("bad"), `{"badRequest":{"code":400,"message":"bad"}}`},
		{"nova 401", NovaErrors, Unauthorized("u"), `{"unauthorized":{"code":401,"message":"u"}}`},
		{"nova 403", NovaErrors, Forbidden("f"), `{"forbidden":{"code":403,"message":"f"}}`},
		{"nova 404", NovaErrors, NotFound("Instance x could not be found."),
			`{"itemNotFound":{"code":404,"message":"Instance x could not be found."}}`},
		{"nova 405", NovaErrors, Errorf(405, "m"), `{"badMethod":{"code":405,"message":"m"}}`},
		{"nova 406", NovaErrors, NotAcceptable("m"), `{"computeFault":{"code":406,"message":"m"}}`},
		{"nova 409", NovaErrors, Conflict("c"), `{"conflictingRequest":{"code":409,"message":"c"}}`},
		{"nova 413", NovaErrors, RequestTooLarge("q"), `{"overLimit":{"code":413,"message":"q"}}`},
		{"nova 415", NovaErrors, Errorf(415, "m"), `{"badMediaType":{"code":415,"message":"m"}}`},
		{"nova 429", NovaErrors, Errorf(429, "m"), `{"overLimit":{"code":429,"message":"m"}}`},
		{"nova 500", NovaErrors, Errorf(500, "m"), `{"computeFault":{"code":500,"message":"m"}}`},
		{"nova 501", NovaErrors, Errorf(501, "m"), `{"notImplemented":{"code":501,"message":"m"}}`},
		{"nova 503", NovaErrors, ServiceUnavailable("m"), `{"serviceUnavailable":{"code":503,"message":"m"}}`},
		{"neutron default type", NeutronErrors, NotFound("Network n could not be found."),
			`{"NeutronError":{"detail":"","message":"Network n could not be found.","type":"NotFound"}}`},
		{"neutron typed", NeutronErrors, &Error{Status: 404, Title: "NetworkNotFound", Message: "m"},
			`{"NeutronError":{"detail":"","message":"m","type":"NetworkNotFound"}}`},
		{"glance", GlanceErrors, NotFound("No image found with ID x"),
			`{"code":"404 Not Found","message":"No image found with ID x","title":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.format(tt.err))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("body = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	e := Errorf(409, "name %q taken", "x")
	if got, want := e.Error(), `409 Conflict: name "x" taken`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		method     string
		wantStatus int
		wantBody   string // substring; "" means the body must be empty
		wantHeader [2]string
		wantLogged bool
	}{
		{name: "api error", err: NotFound("no such thing"), method: "GET", wantStatus: 404,
			wantBody: `{"itemNotFound":{"code":404,"message":"no such thing"}}`},
		{name: "wrapped api error", err: fmt.Errorf("looking up: %w", Conflict("busy")), method: "POST",
			wantStatus: 409, wantBody: `"conflictingRequest"`},
		{name: "headers", err: &Error{Status: 401, Message: "auth", Header: http.Header{"Www-Authenticate": {`Keystone uri="http://k"`}}},
			method: "GET", wantStatus: 401, wantBody: `"unauthorized"`, wantHeader: [2]string{"WWW-Authenticate", `Keystone uri="http://k"`}},
		{name: "max bytes", err: fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), method: "PUT",
			wantStatus: 413, wantBody: `limit of 10 bytes`},
		{name: "internal hidden", err: errors.New("db password wrong at 10.0.0.1"), method: "GET",
			wantStatus: 500, wantBody: `"computeFault"`, wantLogged: true},
		{name: "head has no body", err: NotFound("x"), method: "HEAD", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := &API{Service: "compute", Errors: NovaErrors, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			w := httptest.NewRecorder()
			r := httptest.NewRequest(tt.method, "/servers", nil)
			a.WriteError(w, r, tt.err)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			body := w.Body.String()
			if tt.wantBody == "" && body != "" {
				t.Errorf("body = %q, want empty", body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %s, want it to contain %s", body, tt.wantBody)
			}
			if strings.Contains(body, "password") {
				t.Errorf("body leaks the internal error: %s", body)
			}
			if tt.wantHeader[0] != "" && w.Header().Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("header %s = %q, want %q", tt.wantHeader[0], w.Header().Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if logged := strings.Contains(logs.String(), "db password wrong"); logged != tt.wantLogged {
				t.Errorf("real error logged = %v, want %v (logs: %s)", logged, tt.wantLogged, logs.String())
			}
		})
	}
}

func TestInternalErrorNamesRequestID(t *testing.T) {
	a := &API{Errors: KeystoneErrors, Log: slog.New(slog.DiscardHandler)}
	h := a.Middleware(a.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return errors.New("boom")
	}), 0)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	id := w.Header().Get(RequestIDHeader)
	if w.Code != 500 || id == "" || !strings.Contains(w.Body.String(), id) {
		t.Errorf("status %d, request id %q, body %s: want 500 naming the request id", w.Code, id, w.Body.String())
	}
}

func TestWriteJSON(t *testing.T) {
	a := &API{Log: slog.New(slog.DiscardHandler)}
	w := httptest.NewRecorder()
	a.WriteJSON(w, 201, map[string]string{"id": "x"})
	if w.Code != 201 || w.Body.String() != `{"id":"x"}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %v", w.Code, w.Body.String(), w.Header())
	}

	w = httptest.NewRecorder()
	a.WriteJSON(w, 204, map[string]string{"id": "x"})
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Errorf("204: got %d %q", w.Code, w.Body.String())
	}

	w = httptest.NewRecorder()
	a.WriteJSON(w, 200, map[string]any{"f": func() {}})
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("unencodable: got %d %q", w.Code, w.Body.String())
	}
}

func TestWriteErrorAfterStartOnlyLogs(t *testing.T) {
	var logs bytes.Buffer
	a := &API{Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	h := a.Middleware(a.Handle(func(w http.ResponseWriter, r *http.Request) error {
		a.WriteJSON(w, 200, []int{1})
		return errors.New("late failure")
	}), 0)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || w.Body.String() != "[1]" {
		t.Errorf("got %d %q, want the started response untouched", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "late failure") {
		t.Errorf("late error not logged: %s", logs.String())
	}
}
