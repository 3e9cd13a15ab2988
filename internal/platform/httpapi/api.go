package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
)

// API is the HTTP glue of one service: its error dialect and logger.
type API struct {
	Service string      // "identity", "compute" …
	Errors  ErrorFormat // the service's error dialect; nil means KeystoneErrors
	Log     *slog.Logger
	// LegacyRequestIDHeader, when set, also carries the request id under a service's
	// historical name (Nova and Cinder send "X-Compute-Request-Id" as well).
	LegacyRequestIDHeader string
	// NegotiateErrors makes error bodies follow the request's Accept header as webob's do
	// (Glance): JSON only when the client asks for it, plain text for text/plain, and HTML
	// otherwise — python-glanceclient sends no Accept and reads the HTML page.
	NegotiateErrors bool
}

// HandlerFunc is a handler that may fail; a returned error is written by WriteError.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts fn to an http.Handler that writes fn's error, if any, with WriteError.
func (a *API) Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			a.WriteError(w, r, err)
		}
	})
}

// WriteJSON writes v as a JSON response with the given status. Statuses that carry no body
// (204, 304) get none. If v cannot be encoded the client gets a 500 in the service's dialect.
func (a *API) WriteJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		a.logger().Error("encoding JSON response", "service", a.Service, "error", err)
		status = http.StatusInternalServerError
		body, _ = json.Marshal(a.format()(&Error{Status: status,
			Message: "An unexpected error prevented the server from fulfilling your request."}))
	}
	writeBody(w, status, body, true)
}

// WriteRawJSON writes body, already encoded JSON, with the given status: for hot paths that
// encode their own JSON.
func (a *API) WriteRawJSON(w http.ResponseWriter, status int, body []byte) {
	writeBody(w, status, body, true)
}

// WriteError writes err as an error response in the service's dialect. An *Error (also when
// wrapped) gives its status, headers and message; an *http.MaxBytesError gives 413; anything
// else gives a 500 whose message names only the request id, while the real error is logged.
// HEAD requests get no body. If the response was already started, the error is only logged.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if rec, ok := w.(*recorder); ok && rec.wroteHeader {
		a.logger().ErrorContext(r.Context(), "error after response was started",
			"service", a.Service, "request_id", RequestID(r.Context()), "error", err)
		return
	}
	e := a.toError(r, err)
	for k, vs := range e.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if a.NegotiateErrors {
		if ct, body := webobError(r.Header.Get("Accept"), e); ct != "" {
			writeTyped(w, e.Status, ct, body, r.Method != http.MethodHead)
			return
		}
	}
	body, mErr := json.Marshal(a.format()(e))
	if mErr != nil { // a custom ErrorFormat returned something unencodable
		body = []byte(`{"message": "internal error"}`)
	}
	writeBody(w, e.Status, body, r.Method != http.MethodHead)
}

// toError maps any error to the *Error sent to the client, logging unexpected ones.
func (a *API) toError(r *http.Request, err error) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		if apiErr.Status < 400 || apiErr.Status > 599 {
			cp := *apiErr
			cp.Status = http.StatusInternalServerError
			return &cp
		}
		return apiErr
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return tooLargeError(tooLarge.Limit)
	}
	id := RequestID(r.Context())
	a.logger().ErrorContext(r.Context(), "unexpected error", "service", a.Service,
		"request_id", id, "method", r.Method, "path", r.URL.Path, "error", err)
	return internalError(id)
}

// internalError is the 500 a client sees for an unexpected failure: no internals, just the id
// an operator needs to find the logged cause.
func internalError(requestID string) *Error {
	msg := "An unexpected error prevented the server from fulfilling your request."
	if requestID != "" {
		msg += fmt.Sprintf(" (Request ID: %s)", requestID)
	}
	return &Error{Status: http.StatusInternalServerError, Message: msg}
}

// tooLargeError is the 413 for a body over limit bytes.
func tooLargeError(limit int64) *Error {
	return RequestTooLarge("Request is too large: the body exceeds the limit of %d bytes.", limit)
}

// writeBody writes a JSON body with its Content-Type and Content-Length.
func writeBody(w http.ResponseWriter, status int, body []byte, withBody bool) {
	writeTyped(w, status, "application/json", body, withBody)
}

// writeTyped writes a body of a content type with its Content-Length.
func writeTyped(w http.ResponseWriter, status int, contentType string, body []byte, withBody bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	if withBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	} else {
		h.Del("Content-Length")
	}
	w.WriteHeader(status)
	if withBody {
		_, _ = w.Write(body)
	}
}

func (a *API) format() ErrorFormat {
	if a.Errors == nil {
		return KeystoneErrors
	}
	return a.Errors
}

func (a *API) logger() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}
