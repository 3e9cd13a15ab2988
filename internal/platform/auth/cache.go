package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// cacheEntry is the cached outcome of validating one token: either invalid, or its caller
// (without the raw token, which is never cached).
type cacheEntry struct {
	Invalid bool      `json:"invalid,omitempty"`
	Caller  *Context  `json:"caller,omitempty"`
	Until   time.Time `json:"until"`
}

// tokenCache stores validation outcomes under the sha256 of the token.
type tokenCache interface {
	get(ctx context.Context, key string, now time.Time) (cacheEntry, bool)
	set(ctx context.Context, key string, e cacheEntry, now time.Time)
}

// tokenKey is the cache key of a token: the hex sha256, so raw tokens never become keys.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// maxMemoryEntries bounds the in-memory cache; past it, expired entries are swept and, if
// that is not enough, the cache starts over.
const maxMemoryEntries = 10000

// memoryCache is a process-local tokenCache.
type memoryCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

func newMemoryCache() *memoryCache {
	return &memoryCache{entries: make(map[string]cacheEntry)}
}

func (m *memoryCache) get(_ context.Context, key string, now time.Time) (cacheEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return cacheEntry{}, false
	}
	if !now.Before(e.Until) {
		delete(m.entries, key)
		return cacheEntry{}, false
	}
	return e, true
}

func (m *memoryCache) set(_ context.Context, key string, e cacheEntry, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= maxMemoryEntries {
		for k, old := range m.entries {
			if !now.Before(old.Until) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= maxMemoryEntries {
			clear(m.entries)
		}
	}
	m.entries[key] = e
}

// memcachedCache shares validation outcomes between processes through memcached. Memcached
// failures are logged and treated as misses: the cache only ever saves work.
type memcachedCache struct {
	client *memcache.Client
	log    *slog.Logger
}

// memcachePrefix namespaces gostack's token entries in a shared memcached.
const memcachePrefix = "gostack:token:"

func (m *memcachedCache) get(ctx context.Context, key string, now time.Time) (cacheEntry, bool) {
	item, err := m.client.Get(memcachePrefix + key)
	if err != nil {
		if !errors.Is(err, memcache.ErrCacheMiss) {
			m.log.WarnContext(ctx, "token cache: memcached get failed", "error", err)
		}
		return cacheEntry{}, false
	}
	var e cacheEntry
	if err := json.Unmarshal(item.Value, &e); err != nil {
		m.log.WarnContext(ctx, "token cache: undecodable memcached entry", "error", err)
		return cacheEntry{}, false
	}
	if !now.Before(e.Until) || (!e.Invalid && e.Caller == nil) {
		return cacheEntry{}, false
	}
	return e, true
}

func (m *memcachedCache) set(ctx context.Context, key string, e cacheEntry, now time.Time) {
	value, err := json.Marshal(e)
	if err != nil {
		m.log.WarnContext(ctx, "token cache: encoding entry", "error", err)
		return
	}
	ttl := e.Until.Sub(now)
	secs := int32((ttl + time.Second - 1) / time.Second) // memcached counts whole seconds
	if secs <= 0 {
		return
	}
	err = m.client.Set(&memcache.Item{Key: memcachePrefix + key, Value: value, Expiration: secs})
	if err != nil {
		m.log.WarnContext(ctx, "token cache: memcached set failed", "error", err)
	}
}

// layeredCache reads the local cache first, then the shared one (filling the local one).
type layeredCache struct {
	local  *memoryCache
	shared tokenCache
}

func (l layeredCache) get(ctx context.Context, key string, now time.Time) (cacheEntry, bool) {
	if e, ok := l.local.get(ctx, key, now); ok {
		return e, true
	}
	e, ok := l.shared.get(ctx, key, now)
	if ok {
		l.local.set(ctx, key, e, now)
	}
	return e, ok
}

func (l layeredCache) set(ctx context.Context, key string, e cacheEntry, now time.Time) {
	l.local.set(ctx, key, e, now)
	l.shared.set(ctx, key, e, now)
}
