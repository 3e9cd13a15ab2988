package placement

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// Placement's error codes (placement/errors.py), sent in "code" from microversion 1.23 on.
const (
	codeDefault             = "placement.undefined_code"
	codeInventoryInUse      = "placement.inventory.inuse"
	codeConcurrentUpdate    = "placement.concurrent_update"
	codeDuplicateName       = "placement.duplicate_name"
	codeProviderInUse       = "placement.resource_provider.inuse"
	codeCannotDeleteParent  = "placement.resource_provider.cannot_delete_parent"
	codeProviderNotFound    = "placement.resource_provider.not_found"
	codeQueryDuplicateKey   = "placement.query.duplicate_key"
	codeQueryBadValue       = "placement.query.bad_value"
	codeQueryMissingValue   = "placement.query.missing_value"
	errorCodeMinorVersion   = 23
	detailSeparator         = "\n\n "
	detailTrailer           = "  "
	explanationConflict     = "There was a conflict when trying to complete your request."
	explanationBadRequest   = "The server could not comply with the request since it is either malformed or otherwise incorrect."
	explanationNotFound     = "The resource could not be found."
	explanationForbidden    = "Access was denied to this resource."
	explanationNotAcceptabl = "The resource could not be generated that was acceptable to your request."
)

// apiError is an error the placement API reports to its client: an HTTP status, a
// Placement error code and a message saying what is wrong.
type apiError struct {
	Status int
	Code   string
	Detail string
}

// Error implements error.
func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Detail) }

// newError returns an *apiError with a formatted detail.
func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// badRequest returns a 400 with the default code.
func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codeDefault, format, args...)
}

// notFound returns a 404 with the default code.
func notFound(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, codeDefault, format, args...)
}

// conflict returns a 409 with the given code.
func conflict(code, format string, args ...any) *apiError {
	return newError(http.StatusConflict, code, format, args...)
}

// staleProvider is the 409 for a resource provider generation that is not the current one.
func staleProvider(uuid string) *apiError {
	return conflict(codeConcurrentUpdate,
		"resource provider generation conflict: the generation of resource provider %s is not the one given; fetch the provider again and retry.", uuid)
}

// explanation is webob's explanation of a status, which Placement's detail starts with.
func explanation(status int) string {
	switch status {
	case http.StatusBadRequest:
		return explanationBadRequest
	case http.StatusForbidden:
		return explanationForbidden
	case http.StatusNotFound:
		return explanationNotFound
	case http.StatusConflict:
		return explanationConflict
	case http.StatusNotAcceptable:
		return explanationNotAcceptabl
	}
	return ""
}

// errorBody renders one error as Placement does (API-WG errors guideline).
func errorBody(status int, code, detail, requestID string, withCode bool) map[string]any {
	if exp := explanation(status); exp != "" && detail != exp {
		detail = exp + detailSeparator + detail + detailTrailer
	}
	e := map[string]any{"status": status, "title": http.StatusText(status), "detail": detail}
	if withCode {
		e["code"] = code
	}
	if requestID != "" {
		e["request_id"] = requestID
	}
	return map[string]any{"errors": []any{e}}
}

// placementErrors renders the errors of the shared middleware (401, 413, 500, 503) in
// Placement's format; they carry the default code.
var placementErrors httpapi.ErrorFormat = func(e *httpapi.Error) any {
	return errorBody(e.Status, codeDefault, e.Message, "", true)
}

// writeError writes err in Placement's format. Errors of unknown kind are logged and become a
// 500 naming only the request id.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var pe *apiError
	var he *httpapi.Error
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &he) && he.Status >= 400 && he.Status < 500:
		for k, vs := range he.Header {
			w.Header()[http.CanonicalHeaderKey(k)] = vs
		}
		pe = &apiError{Status: he.Status, Code: codeDefault, Detail: he.Message}
	default:
		s.api.WriteError(w, r, err)
		return
	}
	v := httpapi.VersionFrom(r.Context())
	withCode := v.AtLeast(1, errorCodeMinorVersion)
	body := errorBody(pe.Status, pe.Code, pe.Detail, httpapi.RequestID(r.Context()), withCode)
	if pe.Status == http.StatusNotAcceptable && v == (httpapi.Version{}) {
		e := body["errors"].([]any)[0].(map[string]any)
		e["min_version"], e["max_version"] = Microversions.Min.String(), Microversions.Max.String()
	}
	s.api.WriteJSON(w, pe.Status, body)
}
