package network

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// caller returns the authenticated caller (the auth middleware guarantees one).
func caller(r *http.Request) *auth.Context {
	if c, ok := auth.FromContext(r.Context()); ok {
		return c
	}
	return &auth.Context{}
}

// isAdmin reports whether the caller passes context_is_admin.
func (s *Service) isAdmin(c *auth.Context) bool {
	return s.policy.Allowed("context_is_admin", nil, c.Credentials())
}

// enforce checks a policy rule, giving Neutron's 403.
func (s *Service) enforce(c *auth.Context, rule string, target map[string]string) error {
	if s.policy.Allowed(rule, target, c.Credentials()) {
		return nil
	}
	return &forbiddenError{rule: rule}
}

// forbiddenError is Neutron's 403 for a policy refusal.
type forbiddenError struct{ rule string }

func (e *forbiddenError) Error() string {
	return "(" + e.rule + ") is disallowed by policy"
}

// apiError maps the service's errors to API errors in Neutron's dialect: the error's type
// becomes NeutronError.type.
func apiError(err error) error {
	var nf *NotFoundError
	var conflict *ConflictError
	var bad *BadRequestError
	var forbidden *forbiddenError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &nf):
		return &httpapi.Error{Status: http.StatusNotFound, Title: nf.Kind + "NotFound", Message: nf.Error()}
	case errors.As(err, &conflict):
		return &httpapi.Error{Status: http.StatusConflict, Title: conflict.Type, Message: conflict.Message}
	case errors.As(err, &bad):
		return &httpapi.Error{Status: http.StatusBadRequest, Title: bad.Type, Message: bad.Message}
	case errors.As(err, &forbidden):
		return &httpapi.Error{Status: http.StatusForbidden, Title: "PolicyNotAuthorized", Message: forbidden.Error()}
	}
	var apiErr *httpapi.Error
	if errors.As(err, &apiErr) && apiErr.Title == "" {
		cp := *apiErr
		cp.Title = strings.ReplaceAll(http.StatusText(apiErr.Status), " ", "")
		if apiErr.Status == http.StatusBadRequest {
			cp.Title = "HTTPBadRequest"
		}
		return &cp
	}
	return err
}
