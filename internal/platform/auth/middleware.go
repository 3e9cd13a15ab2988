package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// authRequired is keystonemiddleware's message for a missing or rejected token.
const authRequired = "The request you have made requires authentication."

// Middleware requires a valid X-Auth-Token on every request it wraps: a missing or invalid
// token gives a 401 in the API's dialect with `WWW-Authenticate: Keystone uri="<identityURL>"`;
// a valid one puts its Context in the request context and names the user and project in the
// access log (httpapi.SetLogIdentity). Validator errors other than ErrInvalidToken (identity
// unreachable) give a 503.
func Middleware(api *httpapi.API, v Validator, identityURL string) func(http.Handler) http.Handler {
	if api == nil {
		api = &httpapi.API{}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token := strings.TrimSpace(r.Header.Get("X-Auth-Token"))
			if token == "" {
				api.WriteError(w, r, unauthorized(identityURL))
				return
			}
			c, err := v.ValidateToken(r.Context(), token)
			switch {
			case errors.Is(err, ErrInvalidToken):
				api.WriteError(w, r, unauthorized(identityURL))
				return
			case err != nil:
				logger(api.Log).ErrorContext(r.Context(), "token validation failed", "service", api.Service,
					"request_id", httpapi.RequestID(r.Context()), "error", err)
				api.WriteError(w, r, httpapi.ServiceUnavailable(
					"The identity service could not validate the token; try again later."))
				return
			case c == nil || c.Expired(time.Now()):
				api.WriteError(w, r, unauthorized(identityURL))
				return
			}
			c = c.clone()
			c.TokenID = token
			httpapi.SetLogIdentity(r.Context(), c.UserID, c.ProjectID)
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		})
	}
}

// logger returns l, or the default logger when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// unauthorized is the 401 that sends the client to the identity service.
func unauthorized(identityURL string) *httpapi.Error {
	e := httpapi.Unauthorized(authRequired)
	if identityURL != "" {
		e.Header = http.Header{"WWW-Authenticate": {`Keystone uri="` + identityURL + `"`}}
	}
	return e
}
