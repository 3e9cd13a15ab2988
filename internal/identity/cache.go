package identity

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gostack/gostack/internal/identity/fernet"
)

// generationCheckInterval is how often a node asks the database whether another node wrote.
// Writes made through this node invalidate at once.
const generationCheckInterval = time.Second

// Bounds of the caches: each map is emptied when full. Rendered token bodies are kept only
// while their total size is under maxCachedBodyBytes; past it, bodies are rendered per request.
const (
	maxCachedTokens    = 100000
	maxCachedScopes    = 10000
	maxCachedProjects  = 10000
	maxCachedCatalogs  = 1000
	maxCachedBodyBytes = 32 << 20
)

// cache keeps what token validation and issue read on every request: validated tokens with
// their rendered bodies, resolved scopes, projects and domains, revocation events, roles and the catalog.
// All of it belongs to one identity generation and is dropped when the generation moves, so a
// change on any node is seen everywhere within a second.
type cache struct {
	store *Store
	stale atomic.Bool // set by local writes
	// bodyBytes is the size of the rendered bodies held by the current token map.
	bodyBytes atomic.Int64

	mu      sync.RWMutex
	gen     int64
	checked time.Time
	// keys is the Fernet key set the cached tokens were decoded with: a token is served from
	// the cache only while the repository holds exactly these keys, so a rotation that
	// removes a key invalidates its tokens at once, as decoding them would.
	keys     []*fernet.Key
	tokens   map[string]*cachedToken
	scopes   map[scopeKey]*TokenData
	projects map[lookupKey]Project
	catalogs map[string][]byte // rendered catalog JSON by project id
	revoked  []RevocationEvent
	roles    *roleIndex
	catalog  []catalogService
}

// cachedToken is a validated token with its rendered bodies, filled on first use.
type cachedToken struct {
	td *TokenData
	// body holds the rendered GET /v3/auth/tokens body without ([0]) and with ([1]) catalog.
	body [2]atomic.Pointer[[]byte]
}

// scopeKey is what a token's resolved data depends on besides its payload's times and ids.
type scopeKey struct {
	userID, projectID, domainID, appCredID string
	system                                 bool
}

func scopeKeyOf(p fernet.Payload) scopeKey {
	return scopeKey{userID: p.UserID, projectID: p.ProjectID, domainID: p.DomainID, appCredID: p.AppCredID, system: p.System}
}

func newCache(store *Store) *cache {
	c := &cache{store: store}
	c.reset()
	c.stale.Store(true)
	return c
}

// reset drops everything cached; the caller holds mu for writing (or owns c).
func (c *cache) reset() {
	c.resetTokens()
	c.scopes = map[scopeKey]*TokenData{}
	c.projects = map[lookupKey]Project{}
	c.catalogs = map[string][]byte{}
	c.revoked, c.roles, c.catalog = nil, nil, nil
}

// resetTokens empties the token map; the caller holds mu for writing (or owns c).
func (c *cache) resetTokens() {
	c.tokens = map[string]*cachedToken{}
	c.bodyBytes.Store(0)
}

// keepBody reports whether a rendered body of n bytes may be cached, counting it if so.
func (c *cache) keepBody(n int) bool {
	if c.bodyBytes.Add(int64(n)) <= maxCachedBodyBytes {
		return true
	}
	c.bodyBytes.Add(-int64(n))
	return false
}

// invalidate marks everything stale; the next read checks the generation.
func (c *cache) invalidate() { c.stale.Store(true) }

// refresh drops cached data if another write happened since it was read.
func (c *cache) refresh(ctx context.Context) error {
	now := time.Now()
	c.mu.RLock()
	fresh := !c.stale.Load() && now.Sub(c.checked) < generationCheckInterval
	c.mu.RUnlock()
	if fresh {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stale.Load() && now.Sub(c.checked) < generationCheckInterval {
		return nil
	}
	c.stale.Store(false)
	gen, err := c.store.Generation(ctx)
	if err != nil {
		c.stale.Store(true)
		return err
	}
	c.checked = now
	if gen != c.gen {
		c.gen = gen
		c.reset()
	}
	return nil
}

// token returns the cached entry of a token decoded with exactly the key set keys, or nil.
func (c *cache) token(id string, keys []*fernet.Key) *cachedToken {
	if keys == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !slices.Equal(keys, c.keys) {
		return nil
	}
	return c.tokens[id]
}

// putToken caches a token decoded with keys and resolved at generation gen, unless the
// generation moved meanwhile. It returns the entry either way.
func (c *cache) putToken(id string, td *TokenData, gen int64, keys []*fernet.Key) *cachedToken {
	ct := &cachedToken{td: td}
	if keys == nil {
		return ct
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return ct // computed from older data
	}
	if !slices.Equal(keys, c.keys) {
		c.keys = keys
		c.resetTokens()
	}
	if len(c.tokens) >= maxCachedTokens {
		c.resetTokens()
	}
	c.tokens[id] = ct
	return ct
}

func (c *cache) generation() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// scope returns the resolved data cached for a scope: a TokenData without payload.
func (c *cache) scope(k scopeKey) (*TokenData, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	td, ok := c.scopes[k]
	return td, ok
}

// putScope caches a scope's resolved data, unless the generation moved since gen.
func (c *cache) putScope(k scopeKey, td *TokenData, gen int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.scopes) >= maxCachedScopes {
		c.scopes = map[scopeKey]*TokenData{}
	}
	c.scopes[k] = td
}

// lookupKind says how a cached project or domain was looked up.
type lookupKind uint8

const (
	projectByID lookupKind = iota
	domainByID
	domainByName
	projectByName // within lookupKey.domainID
)

// lookupKey is one way of finding a project or domain.
type lookupKey struct {
	kind     lookupKind
	domainID string
	key      string // the id or the name
}

// lookup returns the project or domain k finds, reading it with fetch when it is not cached.
// Only lookups that find something are cached.
func (c *cache) lookup(ctx context.Context, k lookupKey, fetch func(context.Context) (Project, error)) (Project, error) {
	return load(ctx, c,
		func() (Project, bool) { p, ok := c.projects[k]; return p, ok },
		func(p Project) {
			if len(c.projects) >= maxCachedProjects {
				c.projects = map[lookupKey]Project{}
			}
			c.projects[k] = p
		},
		fetch)
}

// load returns a cached value, computing it with fill when absent. The value is kept only if
// the generation did not move meanwhile.
func load[T any](ctx context.Context, c *cache, get func() (T, bool), set func(T), fill func(context.Context) (T, error)) (T, error) {
	c.mu.RLock()
	v, ok := get()
	gen := c.gen
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := fill(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if gen == c.gen {
		set(v)
	}
	c.mu.Unlock()
	return v, nil
}

func (c *cache) revocations(ctx context.Context) ([]RevocationEvent, error) {
	return load(ctx, c,
		func() ([]RevocationEvent, bool) { return c.revoked, c.revoked != nil },
		func(v []RevocationEvent) { c.revoked = v },
		func(ctx context.Context) ([]RevocationEvent, error) {
			ev, err := c.store.Revocations(ctx)
			if ev == nil {
				ev = []RevocationEvent{}
			}
			return ev, err
		})
}

func (c *cache) roleIndex(ctx context.Context) (*roleIndex, error) {
	return load(ctx, c,
		func() (*roleIndex, bool) { return c.roles, c.roles != nil },
		func(v *roleIndex) { c.roles = v },
		func(ctx context.Context) (*roleIndex, error) { return loadRoleIndex(ctx, c.store) })
}

func (c *cache) catalogServices(ctx context.Context) ([]catalogService, error) {
	return load(ctx, c,
		func() ([]catalogService, bool) { return c.catalog, c.catalog != nil },
		func(v []catalogService) { c.catalog = v },
		func(ctx context.Context) ([]catalogService, error) { return loadCatalog(ctx, c.store) })
}

// catalogJSON returns the catalog rendered for a project ("" for none) as JSON.
func (c *cache) catalogJSON(ctx context.Context, projectID string) ([]byte, error) {
	return load(ctx, c,
		func() ([]byte, bool) { b, ok := c.catalogs[projectID]; return b, ok },
		func(v []byte) {
			if len(c.catalogs) >= maxCachedCatalogs {
				c.catalogs = map[string][]byte{}
			}
			c.catalogs[projectID] = v
		},
		func(ctx context.Context) ([]byte, error) {
			services, err := c.catalogServices(ctx)
			if err != nil {
				return nil, err
			}
			return json.Marshal(renderCatalog(services, projectID))
		})
}
