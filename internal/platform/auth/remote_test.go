package auth

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// fakeClock is a settable clock shared by the validator and the fake Keystone.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeKeystone imitates Keystone v3's /v3/auth/tokens: password auth issues service tokens,
// GET validates subject tokens using the caller's service token.
type fakeKeystone struct {
	t     *testing.T
	clock *fakeClock

	mu          sync.Mutex
	serviceTTL  time.Duration
	issued      map[string]time.Time // service token → expiry
	users       map[string]time.Time // user token → expiry
	authCalls   int
	validations int
	rejected    int // GETs refused for a bad service token
	nextID      int
}

func newFakeKeystone(t *testing.T, clock *fakeClock) (*fakeKeystone, *httptest.Server) {
	k := &fakeKeystone{t: t, clock: clock, serviceTTL: time.Hour,
		issued: map[string]time.Time{}, users: map[string]time.Time{}}
	srv := httptest.NewServer(k)
	t.Cleanup(srv.Close)
	return k, srv
}

func (k *fakeKeystone) addUserToken(token string, ttl time.Duration) {
	k.mu.Lock()
	k.users[token] = k.clock.Now().Add(ttl)
	k.mu.Unlock()
}

func (k *fakeKeystone) revokeServiceTokens() {
	k.mu.Lock()
	clear(k.issued)
	k.mu.Unlock()
}

func (k *fakeKeystone) counts() (auth, validations, rejected int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.authCalls, k.validations, k.rejected
}

func (k *fakeKeystone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/identity/v3/auth/tokens" {
		http.NotFound(w, r)
		return
	}
	if !r.URL.Query().Has("nocatalog") {
		k.t.Errorf("%s without ?nocatalog", r.Method)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		k.authCalls++
		k.issue(w, r)
	case http.MethodGet:
		k.validations++
		k.validate(w, r)
	default:
		w.WriteHeader(405)
	}
}

func (k *fakeKeystone) issue(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string                `json:"name"`
						Password string                `json:"password"`
						Domain   struct{ Name string } `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project struct {
					Name   string                `json:"name"`
					Domain struct{ Name string } `json:"domain"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(400)
		return
	}
	u, p := req.Auth.Identity.Password.User, req.Auth.Scope.Project
	if u.Name != "nova" || u.Password != "secret" || u.Domain.Name != "Default" ||
		p.Name != "service" || p.Domain.Name != "Default" || req.Auth.Identity.Methods[0] != "password" {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`)
		return
	}
	k.nextID++
	token := fmt.Sprintf("svc-%d", k.nextID)
	expires := k.clock.Now().Add(k.serviceTTL)
	k.issued[token] = expires
	w.Header().Set("X-Subject-Token", token)
	w.WriteHeader(201)
	_, _ = io.WriteString(w, tokenJSON("nova-id", "service-id", expires, `[{"id":"r-admin","name":"admin"},{"id":"r-svc","name":"service"}]`))
}

func (k *fakeKeystone) validate(w http.ResponseWriter, r *http.Request) {
	if exp, ok := k.issued[r.Header.Get("X-Auth-Token")]; !ok || !k.clock.Now().Before(exp) {
		k.rejected++
		w.WriteHeader(401)
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	exp, ok := k.users[subject]
	if !ok || !k.clock.Now().Before(exp) {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error":{"code":404,"title":"Not Found","message":"Could not find token: x."}}`)
		return
	}
	w.Header().Set("X-Subject-Token", subject)
	_, _ = io.WriteString(w, tokenJSON("user-"+subject, "proj-1", exp, `[{"id":"r-member","name":"member"},{"id":"r-reader","name":"reader"}]`))
}

// tokenJSON renders a Keystone v3 token body.
func tokenJSON(userID, projectID string, expires time.Time, roles string) string {
	return fmt.Sprintf(`{"token": {
	  "methods": ["password"],
	  "user": {"domain": {"id": "default", "name": "Default"}, "id": %q, "name": "alice", "password_expires_at": null},
	  "audit_ids": ["aud1"],
	  "expires_at": %q,
	  "issued_at": %q,
	  "project": {"domain": {"id": "default", "name": "Default"}, "id": %q, "name": "demo"},
	  "is_domain": false,
	  "roles": %s
	}}`, userID, expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
		expires.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z"), projectID, roles)
}

func newTestValidator(t *testing.T, url string, clock *fakeClock, mod func(*RemoteConfig)) *RemoteValidator {
	t.Helper()
	cfg := RemoteConfig{AuthURL: url + "/identity/v3", Username: "nova", Password: "secret", ProjectName: "service",
		Log: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewRemoteValidator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v.now = clock.Now
	return v
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func wantCounts(t *testing.T, k *fakeKeystone, auth, validations, rejected int) {
	t.Helper()
	a, v, r := k.counts()
	if a != auth || v != validations || r != rejected {
		t.Errorf("keystone calls: auth %d, validations %d, rejected %d; want %d, %d, %d", a, v, r, auth, validations, rejected)
	}
}

func TestRemoteValidatorValidAndCached(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("tok-a", time.Hour)
	v := newTestValidator(t, srv.URL, clock, nil)
	ctx := context.Background()

	c, err := v.ValidateToken(ctx, "tok-a")
	if err != nil {
		t.Fatal(err)
	}
	wantExp := clock.Now().Add(time.Hour)
	if c.TokenID != "tok-a" || c.UserID != "user-tok-a" || c.UserName != "alice" || c.UserDomainID != "default" ||
		c.ProjectID != "proj-1" || c.ProjectName != "demo" || c.ProjectDomainName != "Default" ||
		!c.HasRole("member") || !c.HasRole("reader") || len(c.RoleIDs) != 2 || !c.IsAdminProject ||
		!c.ExpiresAt.Equal(wantExp) || c.AuthMethods[0] != "password" || c.AuditIDs[0] != "aud1" {
		t.Errorf("caller = %+v", c)
	}
	wantCounts(t, k, 1, 1, 0)

	c.Roles[0] = "tampered" // callers' copies must not reach the cache
	for range 3 {
		c2, err := v.ValidateToken(ctx, "tok-a")
		if err != nil || c2.UserID != "user-tok-a" || c2.Roles[0] != "member" || c2.TokenID != "tok-a" {
			t.Fatalf("cached validation = %+v, %v", c2, err)
		}
	}
	wantCounts(t, k, 1, 1, 0)

	clock.Advance(DefaultCacheTTL + time.Second) // the cache TTL ends, the token lives on
	if _, err := v.ValidateToken(ctx, "tok-a"); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, k, 1, 2, 0)
}

func TestRemoteValidatorInvalidCached(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	v := newTestValidator(t, srv.URL, clock, nil)
	for range 3 {
		if _, err := v.ValidateToken(context.Background(), "forged"); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	}
	wantCounts(t, k, 1, 1, 0)
	if _, err := v.ValidateToken(context.Background(), ""); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("empty token: err = %v", err)
	}
	wantCounts(t, k, 1, 1, 0)
}

func TestRemoteValidatorExpiryHonoured(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("short", 2*time.Minute)
	v := newTestValidator(t, srv.URL, clock, nil)
	if _, err := v.ValidateToken(context.Background(), "short"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if _, err := v.ValidateToken(context.Background(), "short"); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, k, 1, 1, 0)
	clock.Advance(90 * time.Second) // past the token's expiry, inside the cache TTL
	if _, err := v.ValidateToken(context.Background(), "short"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token: err = %v, want ErrInvalidToken", err)
	}
	wantCounts(t, k, 1, 2, 0)
}

func TestRemoteValidatorRejectsExpiredBody(t *testing.T) {
	// A Keystone that answers 200 for a token already past its expiry (clock skew).
	clock := newClock()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("X-Subject-Token", "svc")
			w.WriteHeader(201)
			_, _ = io.WriteString(w, tokenJSON("nova", "service", clock.Now().Add(time.Hour), "[]"))
			return
		}
		_, _ = io.WriteString(w, tokenJSON("u", "p", clock.Now().Add(-time.Second), "[]"))
	}))
	defer srv.Close()
	v := newTestValidator(t, srv.URL, clock, func(c *RemoteConfig) { c.AuthURL = srv.URL })
	if _, err := v.ValidateToken(context.Background(), "t"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("err = %v, want ErrInvalidToken", err)
	}
}

func TestRemoteValidatorReauthAfterRejection(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("tok-a", time.Hour)
	k.addUserToken("tok-b", time.Hour)
	v := newTestValidator(t, srv.URL, clock, nil)
	if _, err := v.ValidateToken(context.Background(), "tok-a"); err != nil {
		t.Fatal(err)
	}
	k.revokeServiceTokens() // e.g. Keystone's fernet keys rotated out
	c, err := v.ValidateToken(context.Background(), "tok-b")
	if err != nil || c.UserID != "user-tok-b" {
		t.Fatalf("after re-auth: %+v, %v", c, err)
	}
	wantCounts(t, k, 2, 3, 1)
}

func TestRemoteValidatorReauthBeforeExpiry(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("tok-a", 10*time.Hour)
	k.addUserToken("tok-b", 10*time.Hour)
	v := newTestValidator(t, srv.URL, clock, nil)
	if _, err := v.ValidateToken(context.Background(), "tok-a"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour - 30*time.Second) // inside the renewal margin of the service token
	if _, err := v.ValidateToken(context.Background(), "tok-b"); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, k, 2, 2, 0) // renewed up front: no rejected call
}

func TestRemoteValidatorBackendErrors(t *testing.T) {
	clock := newClock()
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"service auth refused", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }},
		{"no subject token header", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			_, _ = io.WriteString(w, tokenJSON("nova", "service", clock.Now().Add(time.Hour), "[]"))
		}},
		{"validation 500", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.Header().Set("X-Subject-Token", "svc")
				w.WriteHeader(201)
				_, _ = io.WriteString(w, tokenJSON("nova", "service", clock.Now().Add(time.Hour), "[]"))
				return
			}
			w.WriteHeader(500)
		}},
		{"service token always rejected", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.Header().Set("X-Subject-Token", "svc")
				w.WriteHeader(201)
				_, _ = io.WriteString(w, tokenJSON("nova", "service", clock.Now().Add(time.Hour), "[]"))
				return
			}
			w.WriteHeader(401)
		}},
		{"garbage body", func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				w.Header().Set("X-Subject-Token", "svc")
				w.WriteHeader(201)
				_, _ = io.WriteString(w, tokenJSON("nova", "service", clock.Now().Add(time.Hour), "[]"))
				return
			}
			_, _ = io.WriteString(w, `<html>proxy error</html>`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			v := newTestValidator(t, srv.URL, clock, func(c *RemoteConfig) { c.AuthURL = srv.URL })
			_, err := v.ValidateToken(context.Background(), "t")
			if err == nil || errors.Is(err, ErrInvalidToken) {
				t.Errorf("err = %v, want a backend (non-invalid-token) error", err)
			}
		})
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	v := newTestValidator(t, url, clock, nil)
	if _, err := v.ValidateToken(context.Background(), "t"); err == nil || errors.Is(err, ErrInvalidToken) {
		t.Errorf("unreachable Keystone: err = %v", err)
	}
}

func TestRemoteValidatorNoCache(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("tok", time.Hour)
	v := newTestValidator(t, srv.URL, clock, func(c *RemoteConfig) { c.CacheTTL = -1 })
	for range 3 {
		if _, err := v.ValidateToken(context.Background(), "tok"); err != nil {
			t.Fatal(err)
		}
	}
	wantCounts(t, k, 1, 3, 0)
}

func TestRemoteValidatorConcurrent(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	for i := range 5 {
		k.addUserToken("tok-"+strconv.Itoa(i), time.Hour)
	}
	v := newTestValidator(t, srv.URL, clock, nil)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			tok := "tok-" + strconv.Itoa(i%5)
			c, err := v.ValidateToken(context.Background(), tok)
			if err != nil || c.TokenID != tok {
				t.Errorf("%s: %+v, %v", tok, c, err)
			}
		})
	}
	wg.Wait()
	if a, _, _ := k.counts(); a != 1 {
		t.Errorf("service authenticated %d times, want 1", a)
	}
}

func TestNewRemoteValidatorConfig(t *testing.T) {
	good := RemoteConfig{AuthURL: "http://controller:5000", Username: "nova", Password: "p", ProjectName: "service"}
	tests := []struct {
		name    string
		mod     func(*RemoteConfig)
		wantURL string
		wantErr bool
	}{
		{"plain", nil, "http://controller:5000/v3/auth/tokens", false},
		{"with v3", func(c *RemoteConfig) { c.AuthURL = "http://controller:5000/v3/" }, "http://controller:5000/v3/auth/tokens", false},
		{"with prefix", func(c *RemoteConfig) { c.AuthURL = "https://cloud/identity/v3" }, "https://cloud/identity/v3/auth/tokens", false},
		{"no url", func(c *RemoteConfig) { c.AuthURL = "" }, "", true},
		{"bad scheme", func(c *RemoteConfig) { c.AuthURL = "ftp://controller" }, "", true},
		{"no password", func(c *RemoteConfig) { c.Password = "" }, "", true},
		{"no project", func(c *RemoteConfig) { c.ProjectName = "" }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			v, err := NewRemoteValidator(cfg)
			if tt.wantErr {
				if err == nil {
					t.Error("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.tokensURL != tt.wantURL || v.cfg.CacheTTL != DefaultCacheTTL || v.cfg.UserDomainName != "Default" {
				t.Errorf("tokensURL %q, cfg %+v", v.tokensURL, v.cfg)
			}
		})
	}
}

// memcachedEnv names the memcached server the tests use (default 127.0.0.1:11211);
// scripts/test.sh starts Debian's memcached there.
const memcachedEnv = "GOSTACK_TEST_MEMCACHED"

// memcachedServer returns the address of the real test memcached, failing if it is not running.
func memcachedServer(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(memcachedEnv)
	if addr == "" {
		addr = "127.0.0.1:11211"
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("memcached is required at %s (%v). Start it with:  memcached -d -u memcache -l 127.0.0.1 -p 11211\n"+
			"or point $%s at another server.", addr, err, memcachedEnv)
	}
	conn.Close()
	return addr
}

// memcachedTTL asks memcached (meta protocol) for a key's remaining lifetime in seconds; -2 when
// the key is absent, -1 when it never expires.
func memcachedTTL(t *testing.T, addr, key string) int {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "mg %s t\r\n", key)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(line)
	if len(f) == 0 || f[0] == "EN" {
		return -2
	}
	for _, flag := range f[1:] {
		if strings.HasPrefix(flag, "t") {
			ttl, err := strconv.Atoi(flag[1:])
			if err != nil {
				t.Fatalf("memcached answered %q", line)
			}
			return ttl
		}
	}
	t.Fatalf("memcached answered %q", line)
	return 0
}

// uniqueToken is a token name no earlier run left in the shared memcached.
func uniqueToken(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

func TestRemoteValidatorMemcachedShared(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	good, forged := uniqueToken("tok-a"), uniqueToken("forged")
	k.addUserToken(good, 2*time.Minute)
	addr := memcachedServer(t)
	withMemcache := func(c *RemoteConfig) { c.Memcached = []string{addr} }
	v1 := newTestValidator(t, srv.URL, clock, withMemcache)
	v2 := newTestValidator(t, srv.URL, clock, withMemcache)

	if _, err := v1.ValidateToken(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.ValidateToken(context.Background(), forged); !errors.Is(err, ErrInvalidToken) {
		t.Fatal(err)
	}
	c, err := v2.ValidateToken(context.Background(), good) // a second process: served by memcached
	if err != nil || c.UserID != "user-"+good || c.TokenID != good || !c.HasRole("member") {
		t.Fatalf("shared validation = %+v, %v", c, err)
	}
	if _, err := v2.ValidateToken(context.Background(), forged); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("shared invalid: %v", err)
	}
	wantCounts(t, k, 1, 2, 0) // v2 never asked Keystone, not even for a service token

	if ttl := memcachedTTL(t, addr, memcachePrefix+tokenKey(good)); ttl < 115 || ttl > 120 {
		t.Errorf("memcached lifetime %d s, want the token's remaining 120 s", ttl)
	}
	if ttl := memcachedTTL(t, addr, memcachePrefix+tokenKey(forged)); ttl < int(DefaultCacheTTL/time.Second)-5 {
		t.Errorf("invalid-token lifetime %d s, want about %v", ttl, DefaultCacheTTL)
	}
	if ttl := memcachedTTL(t, addr, memcachePrefix+good); ttl != -2 {
		t.Error("the raw token is a memcached key")
	}
	item, err := memcache.New(addr).Get(memcachePrefix + tokenKey(good))
	if err != nil {
		t.Fatal(err)
	}
	var e cacheEntry
	if err := json.Unmarshal(item.Value, &e); err != nil || e.Caller == nil || e.Caller.TokenID != "" {
		t.Errorf("memcached entry %s (%v): want the caller without its raw token", item.Value, err)
	}
}

func TestRemoteValidatorMemcachedDown(t *testing.T) {
	clock := newClock()
	k, srv := newFakeKeystone(t, clock)
	k.addUserToken("tok", time.Hour)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	v := newTestValidator(t, srv.URL, clock, func(c *RemoteConfig) { c.Memcached = []string{addr} })
	for range 2 {
		if _, err := v.ValidateToken(context.Background(), "tok"); err != nil {
			t.Fatalf("memcached down must not fail validation: %v", err)
		}
	}
	wantCounts(t, k, 1, 1, 0) // the local cache still works
}
