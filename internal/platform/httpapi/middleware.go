package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
)

// RequestIDHeader is the response header carrying the request id (oslo.middleware's name).
const RequestIDHeader = "X-Openstack-Request-Id"

// globalRequestIDPattern is the form oslo.middleware accepts for an inbound global request id.
var globalRequestIDPattern = regexp.MustCompile(`^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

type requestInfoKey struct{}

// requestInfo is what Middleware records about one request for its access log line.
type requestInfo struct {
	id       string
	globalID string

	mu      sync.Mutex
	user    string
	project string
}

// RequestID returns the request id ("req-<uuid4>") Middleware gave the request, or "".
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// GlobalRequestID returns the request id the caller sent in X-Openstack-Request-Id (as
// service-to-service calls do), or "" if it sent none or an ill-formed one.
func GlobalRequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info.globalID
	}
	return ""
}

// SetLogIdentity records the user and project that the access log line of the request made
// with ctx names. It does nothing outside Middleware.
func SetLogIdentity(ctx context.Context, userID, projectID string) {
	info, ok := ctx.Value(requestInfoKey{}).(*requestInfo)
	if !ok {
		return
	}
	info.mu.Lock()
	info.user, info.project = userID, projectID
	info.mu.Unlock()
}

// Middleware wraps a service's whole handler: request id (sets X-Openstack-Request-Id:
// "req-<uuid4>" on every response and puts it in the context), panic recovery (500 in the
// dialect, stack logged), a request body limit of maxBody bytes when maxBody > 0 (413 in the
// dialect), and one access log line per request via slog at Info: request_id, user, project,
// method, path, status, bytes, duration. User and project come from SetLogIdentity.
func (a *API) Middleware(next http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: "req-" + uuid.NewString()}
		if in := r.Header.Get(RequestIDHeader); globalRequestIDPattern.MatchString(in) {
			info.globalID = in
		}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		w.Header().Set(RequestIDHeader, info.id)
		if a.LegacyRequestIDHeader != "" {
			w.Header().Set(a.LegacyRequestIDHeader, info.id)
		}
		rec := &recorder{ResponseWriter: w}
		defer a.finish(rec, r, info, start)

		if maxBody > 0 {
			if r.ContentLength > maxBody {
				a.WriteError(rec, r, tooLargeError(maxBody))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
			}
		}
		next.ServeHTTP(rec, r)
	})
}

// finish recovers from a panic in the handler and writes the access log line.
func (a *API) finish(rec *recorder, r *http.Request, info *requestInfo, start time.Time) {
	p := recover()
	if p != nil && p != http.ErrAbortHandler {
		a.logger().ErrorContext(r.Context(), "panic serving request", "service", a.Service,
			"request_id", info.id, "method", r.Method, "path", r.URL.Path,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if !rec.wroteHeader {
			a.WriteError(rec, r, internalError(info.id))
		}
	}
	a.logAccess(r, rec, info, start)
	if p == http.ErrAbortHandler {
		panic(p) // let net/http abort the connection as the handler asked
	}
}

// logAccess writes the one access log line of a request.
func (a *API) logAccess(r *http.Request, rec *recorder, info *requestInfo, start time.Time) {
	info.mu.Lock()
	user, project := info.user, info.project
	info.mu.Unlock()
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.id),
		slog.String("user", user),
		slog.String("project", project),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(start)),
	}
	if a.Service != "" {
		attrs = append(attrs, slog.String("service", a.Service))
	}
	if info.globalID != "" {
		attrs = append(attrs, slog.String("global_request_id", info.globalID))
	}
	a.logger().LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// recorder is the ResponseWriter Middleware hands down: it remembers the status and counts
// the body bytes for the access log.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// WriteHeader records the final status; informational (1xx) statuses pass through.
func (w *recorder) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	if status >= 200 {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write counts the bytes written.
func (w *recorder) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush flushes the underlying writer when it can.
func (w *recorder) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
