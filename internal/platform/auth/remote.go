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
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// DefaultCacheTTL is how long RemoteValidator trusts a validation result by default
// (keystonemiddleware's token_cache_time).
const DefaultCacheTTL = 5 * time.Minute

// serviceTokenMargin is how long before its expiry the service token is renewed.
const serviceTokenMargin = time.Minute

// maxResponseBody bounds what is read from the identity service.
const maxResponseBody = 4 << 20

// RemoteConfig configures a RemoteValidator: the Keystone endpoint and the service user it
// authenticates as (keystonemiddleware's [keystone_authtoken] options).
type RemoteConfig struct {
	// AuthURL is the identity endpoint, with or without the trailing "/v3".
	AuthURL string
	// Username and Password of the service user; UserDomainName defaults to "Default".
	Username, UserDomainName, Password string
	// ProjectName scopes the service token; ProjectDomainName defaults to "Default".
	ProjectName, ProjectDomainName string
	// CacheTTL bounds how long a result is cached (0 means DefaultCacheTTL, < 0 no caching).
	CacheTTL time.Duration
	// Memcached lists memcached servers ("host:port") sharing the cache; empty means in-memory.
	Memcached []string
	// HTTPClient makes the calls to Keystone; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Log receives cache and identity-service warnings; nil means slog.Default().
	Log *slog.Logger
}

// RemoteValidator validates tokens against a Keystone v3 endpoint over HTTP, as
// keystonemiddleware does: it authenticates itself as a service user (password auth,
// project-scoped; re-authenticating when its token expires or is rejected) and calls
// GET {AuthURL}/v3/auth/tokens with X-Auth-Token = its own token and X-Subject-Token = the
// user's token. Results, valid and invalid, are cached for CacheTTL (never past the token's
// expiry), in memory and, when Memcached is set, in memcached under the sha256 of the token.
type RemoteValidator struct {
	cfg       RemoteConfig
	tokensURL string
	client    *http.Client
	cache     tokenCache // nil when caching is disabled
	log       *slog.Logger
	now       func() time.Time

	mu         sync.Mutex // guards the service token
	svcToken   string
	svcExpires time.Time
}

// NewRemoteValidator checks cfg and returns a validator. It makes no network call.
func NewRemoteValidator(cfg RemoteConfig) (*RemoteValidator, error) {
	tokensURL, err := tokensEndpoint(cfg.AuthURL)
	if err != nil {
		return nil, err
	}
	if cfg.Username == "" || cfg.Password == "" || cfg.ProjectName == "" {
		return nil, errors.New("auth: remote validator needs a service username, password and project name")
	}
	if cfg.UserDomainName == "" {
		cfg.UserDomainName = "Default"
	}
	if cfg.ProjectDomainName == "" {
		cfg.ProjectDomainName = "Default"
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	v := &RemoteValidator{cfg: cfg, tokensURL: tokensURL, client: cfg.HTTPClient, log: cfg.Log, now: time.Now}
	if v.client == nil {
		v.client = &http.Client{Timeout: 30 * time.Second}
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	if cfg.CacheTTL > 0 {
		local := newMemoryCache()
		v.cache = local
		if len(cfg.Memcached) > 0 {
			v.cache = layeredCache{local: local, shared: &memcachedCache{client: memcache.New(cfg.Memcached...), log: v.log}}
		}
	}
	return v, nil
}

// tokensEndpoint returns {authURL}/v3/auth/tokens, accepting an authURL with or without /v3.
func tokensEndpoint(authURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(authURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("auth: invalid identity auth URL %q: want http(s)://host[:port][/v3]", authURL)
	}
	base := strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/v3")
	return base + "/v3/auth/tokens", nil
}

// ValidateToken returns the caller the token stands for, or an error wrapping ErrInvalidToken
// when the identity service does not accept it. Other errors mean the identity service could
// not be asked.
func (v *RemoteValidator) ValidateToken(ctx context.Context, token string) (*Context, error) {
	if token == "" {
		return nil, fmt.Errorf("empty token: %w", ErrInvalidToken)
	}
	key := tokenKey(token)
	if e, ok := v.cachedEntry(ctx, key); ok {
		return v.fromEntry(e, token)
	}
	c, err := v.fetch(ctx, token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		v.store(ctx, key, cacheEntry{Invalid: true})
		return nil, err
	case err != nil:
		return nil, err
	}
	v.store(ctx, key, cacheEntry{Caller: c})
	c = c.clone()
	c.TokenID = token
	return c, nil
}

func (v *RemoteValidator) cachedEntry(ctx context.Context, key string) (cacheEntry, bool) {
	if v.cache == nil {
		return cacheEntry{}, false
	}
	return v.cache.get(ctx, key, v.now())
}

// fromEntry turns a cache entry into ValidateToken's result for token.
func (v *RemoteValidator) fromEntry(e cacheEntry, token string) (*Context, error) {
	if e.Invalid {
		return nil, fmt.Errorf("token rejected by the identity service (cached): %w", ErrInvalidToken)
	}
	if e.Caller.Expired(v.now()) {
		return nil, fmt.Errorf("token expired at %s: %w", e.Caller.ExpiresAt.Format(time.RFC3339), ErrInvalidToken)
	}
	c := e.Caller.clone()
	c.TokenID = token
	return c, nil
}

// store caches e for CacheTTL, but never past the expiry of the token it describes.
func (v *RemoteValidator) store(ctx context.Context, key string, e cacheEntry) {
	if v.cache == nil {
		return
	}
	now := v.now()
	e.Until = now.Add(v.cfg.CacheTTL)
	if e.Caller != nil {
		if e.Caller.ExpiresAt.IsZero() {
			return
		}
		if e.Caller.ExpiresAt.Before(e.Until) {
			e.Until = e.Caller.ExpiresAt
		}
		e.Caller = e.Caller.clone()
		e.Caller.TokenID = ""
	}
	if e.Until.After(now) {
		v.cache.set(ctx, key, e, now)
	}
}

// fetch asks Keystone about token, renewing the service token once if Keystone rejects it.
func (v *RemoteValidator) fetch(ctx context.Context, token string) (*Context, error) {
	svc, err := v.serviceToken(ctx, "")
	if err != nil {
		return nil, err
	}
	c, rejected, err := v.validate(ctx, svc, token)
	if !rejected {
		return c, err
	}
	if svc, err = v.serviceToken(ctx, svc); err != nil {
		return nil, err
	}
	c, rejected, err = v.validate(ctx, svc, token)
	if rejected {
		return nil, errors.New("identity service rejects the service token it just issued")
	}
	return c, err
}

// validate makes one GET /v3/auth/tokens call. rejected reports a 401: the service token,
// not the user's, was refused.
func (v *RemoteValidator) validate(ctx context.Context, svcToken, token string) (c *Context, rejected bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.tokensURL+"?nocatalog", nil)
	if err != nil {
		return nil, false, fmt.Errorf("building token validation request: %w", err)
	}
	req.Header.Set("X-Auth-Token", svcToken)
	req.Header.Set("X-Subject-Token", token)
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("validating token with the identity service: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, false, fmt.Errorf("reading token validation response: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		c, err := parseToken(body)
		if err != nil {
			return nil, false, err
		}
		if c.Expired(v.now()) {
			return nil, false, fmt.Errorf("token expired at %s: %w", c.ExpiresAt.Format(time.RFC3339), ErrInvalidToken)
		}
		return c, false, nil
	case http.StatusNotFound:
		return nil, false, fmt.Errorf("identity service does not know the token: %w", ErrInvalidToken)
	case http.StatusUnauthorized:
		return nil, true, nil
	default:
		return nil, false, fmt.Errorf("identity service answered token validation with %s: %s",
			resp.Status, snippet(body))
	}
}

// serviceToken returns a valid service token. stale, when set, is a token Keystone just
// rejected: a new one is issued unless another goroutine already replaced it.
func (v *RemoteValidator) serviceToken(ctx context.Context, stale string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fresh := v.svcToken != "" && v.now().Add(serviceTokenMargin).Before(v.svcExpires)
	if fresh && v.svcToken != stale {
		return v.svcToken, nil
	}
	token, expires, err := v.authenticate(ctx)
	if err != nil {
		v.svcToken = ""
		return "", err
	}
	v.svcToken, v.svcExpires = token, expires
	return token, nil
}

// authenticate issues a project-scoped token for the service user (POST /v3/auth/tokens).
func (v *RemoteValidator) authenticate(ctx context.Context) (string, time.Time, error) {
	body, err := json.Marshal(passwordAuthRequest(v.cfg))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encoding service authentication: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.tokensURL+"?nocatalog", bytes.NewReader(body))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("building service authentication request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("authenticating service user %s with the identity service: %w", v.cfg.Username, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading service authentication response: %w", err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", time.Time{}, fmt.Errorf("identity service refused to authenticate service user %s: %s: %s",
			v.cfg.Username, resp.Status, snippet(respBody))
	}
	token := resp.Header.Get("X-Subject-Token")
	if token == "" {
		return "", time.Time{}, errors.New("identity service issued the service token without an X-Subject-Token header")
	}
	c, err := parseToken(respBody)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("service token: %w", err)
	}
	return token, c.ExpiresAt, nil
}

// passwordAuthRequest is the Keystone v3 password authentication body for the service user.
func passwordAuthRequest(cfg RemoteConfig) map[string]any {
	type m = map[string]any
	return m{"auth": m{
		"identity": m{
			"methods": []string{"password"},
			"password": m{"user": m{
				"name":     cfg.Username,
				"domain":   m{"name": cfg.UserDomainName},
				"password": cfg.Password,
			}},
		},
		"scope": m{"project": m{
			"name":   cfg.ProjectName,
			"domain": m{"name": cfg.ProjectDomainName},
		}},
	}}
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
