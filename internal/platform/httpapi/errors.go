// Package httpapi is the HTTP glue every gostack service is built on: API errors rendered in
// each OpenStack service's own JSON dialect, strict JSON decoding, request ids, access logs,
// panic recovery, pagination and sorting parameters, microversion negotiation and graceful
// serving. Real OpenStack clients (openstack CLI, openstacksdk, gophercloud) find here the
// headers and bodies they expect from Keystone, Nova, Neutron, Glance and Cinder.
package httpapi

import (
	"fmt"
	"html"
	"net/http"
	"strings"
)

// Error is an API error: an HTTP status and a message that says what is wrong.
type Error struct {
	Status  int
	Title   string // defaults to http.StatusText(Status)
	Message string
	Header  http.Header // extra response headers (e.g. WWW-Authenticate), may be nil
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.title(), e.Message)
}

// title returns the error's title, defaulting to the status text.
func (e *Error) title() string {
	if e.Title != "" {
		return e.Title
	}
	if t := http.StatusText(e.Status); t != "" {
		return t
	}
	return "Error"
}

// Errorf returns an *Error with the given status and a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// BadRequest returns a 400 *Error.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// Unauthorized returns a 401 *Error.
func Unauthorized(format string, args ...any) *Error {
	return Errorf(http.StatusUnauthorized, format, args...)
}

// Forbidden returns a 403 *Error.
func Forbidden(format string, args ...any) *Error {
	return Errorf(http.StatusForbidden, format, args...)
}

// NotFound returns a 404 *Error.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, format, args...)
}

// Conflict returns a 409 *Error.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, format, args...)
}

// RequestTooLarge returns a 413 *Error.
func RequestTooLarge(format string, args ...any) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, format, args...)
}

// NotAcceptable returns a 406 *Error.
func NotAcceptable(format string, args ...any) *Error {
	return Errorf(http.StatusNotAcceptable, format, args...)
}

// ServiceUnavailable returns a 503 *Error.
func ServiceUnavailable(format string, args ...any) *Error {
	return Errorf(http.StatusServiceUnavailable, format, args...)
}

// ErrorFormat renders an Error as the body of one service's dialect.
type ErrorFormat func(e *Error) any

// Error dialects of the OpenStack services.
var (
	// KeystoneErrors renders {"error": {"code": 404, "title": "Not Found", "message": "…"}}.
	KeystoneErrors ErrorFormat = keystoneError
	// NovaErrors renders {"itemNotFound": {"code": 404, "message": "…"}}, the outer key chosen
	// by status as Nova's (and Cinder's) wsgi.Fault does; unlisted statuses are "computeFault".
	NovaErrors ErrorFormat = novaError
	// NeutronErrors renders {"NeutronError": {"type": "NotFound", "message": "…", "detail": ""}},
	// the type being the Title without spaces (so Title "NetworkNotFound" gives that type).
	NeutronErrors ErrorFormat = neutronError
	// GlanceErrors renders webob's JSON error body as Glance returns it:
	// {"code": "404 Not Found", "title": "Not Found", "message": "…"}.
	GlanceErrors ErrorFormat = glanceError
)

// novaFaultNames maps statuses to the outer key of Nova's fault bodies (nova.api.openstack.wsgi).
var novaFaultNames = map[int]string{
	http.StatusBadRequest:            "badRequest",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "itemNotFound",
	http.StatusMethodNotAllowed:      "badMethod",
	http.StatusConflict:              "conflictingRequest",
	http.StatusRequestEntityTooLarge: "overLimit",
	http.StatusUnsupportedMediaType:  "badMediaType",
	http.StatusTooManyRequests:       "overLimit",
	http.StatusNotImplemented:        "notImplemented",
	http.StatusServiceUnavailable:    "serviceUnavailable",
}

func keystoneError(e *Error) any {
	return map[string]any{"error": map[string]any{
		"code":    e.Status,
		"title":   e.title(),
		"message": e.Message,
	}}
}

func novaError(e *Error) any {
	name, ok := novaFaultNames[e.Status]
	if !ok {
		name = "computeFault"
	}
	return map[string]any{name: map[string]any{
		"code":    e.Status,
		"message": e.Message,
	}}
}

func neutronError(e *Error) any {
	return map[string]any{"NeutronError": map[string]any{
		"type":    strings.ReplaceAll(e.title(), " ", ""),
		"message": e.Message,
		"detail":  "",
	}}
}

func glanceError(e *Error) any {
	return map[string]any{
		"code":    fmt.Sprintf("%d %s", e.Status, e.title()),
		"title":   e.title(),
		"message": e.Message,
	}
}

// webobError renders an error the way webob's HTTP exceptions do for a client that does not
// ask for JSON: an HTML page (for */*, text/html or no Accept) or plain text (text/plain).
// It returns "" when the client prefers JSON.
func webobError(accept string, e *Error) (contentType string, body []byte) {
	accept = strings.ToLower(accept)
	status := fmt.Sprintf("%d %s", e.Status, e.title())
	switch {
	case strings.Contains(accept, "json"):
		return "", nil
	case strings.Contains(accept, "text/plain") && !strings.Contains(accept, "html"):
		return "text/plain; charset=UTF-8", []byte(status + "\n\n" + e.Message + "\n\n")
	}
	page := "<html>\n <head>\n  <title>" + html.EscapeString(status) + "</title>\n </head>\n <body>\n  <h1>" +
		html.EscapeString(status) + "</h1>\n  " + html.EscapeString(e.Message) + "<br /><br />\n\n\n\n </body>\n</html>"
	return "text/html; charset=UTF-8", []byte(page)
}
