package auth

import (
	"time"

	"github.com/gostack/gostack/internal/platform/config"
)

// RegisterOptions adds keystonemiddleware's [keystone_authtoken] options and the [cache]
// memcached servers, which a service uses when the identity service runs elsewhere.
func RegisterOptions(s *config.Schema) {
	s.Register("keystone_authtoken",
		config.Opt{Name: "www_authenticate_uri", Type: config.URI,
			Help: "The identity URL clients are sent to in WWW-Authenticate when their token is refused."},
		config.Opt{Name: "auth_url", Type: config.URI,
			Help: "The identity URL this node validates tokens against. Unset: the identity service in this process."},
		config.Opt{Name: "auth_type", Type: config.String, Default: "password", Choices: []string{"password"},
			Help: "How the service user authenticates."},
		config.Opt{Name: "username", Type: config.String, Help: "The service user."},
		config.Opt{Name: "password", Type: config.String, Secret: true, Help: "The service user's password."},
		config.Opt{Name: "user_domain_name", Type: config.String, Default: "Default", Help: "The service user's domain."},
		config.Opt{Name: "project_name", Type: config.String, Default: "service", Help: "The project of the service user's token."},
		config.Opt{Name: "project_domain_name", Type: config.String, Default: "Default", Help: "The domain of project_name."},
		config.Opt{Name: "memcached_servers", Type: config.List,
			Help: "memcached servers (host:port) sharing validated tokens between nodes. Unset: [cache] memcache_servers, else in memory."},
		config.Opt{Name: "token_cache_time", Type: config.Int, Default: "300", Min: config.IntBound(-1),
			Help: "Seconds a validation result is cached (never past the token's expiry); -1 disables caching."},
	)
	s.Register("cache",
		config.Opt{Name: "memcache_servers", Type: config.List,
			Help: "memcached servers (host:port) for caches shared between nodes."},
	)
}

// Remote reports whether tokens are validated against a remote identity service.
func Remote(c *config.Config) bool { return c.String("keystone_authtoken", "auth_url") != "" }

// RemoteConfigFrom reads a RemoteValidator's settings from [keystone_authtoken] and [cache].
func RemoteConfigFrom(c *config.Config) RemoteConfig {
	servers := c.List("keystone_authtoken", "memcached_servers")
	if len(servers) == 0 {
		servers = c.List("cache", "memcache_servers")
	}
	ttl := time.Duration(c.Int("keystone_authtoken", "token_cache_time")) * time.Second
	if ttl == 0 {
		ttl = -1 // 0 seconds means no caching, not the default
	}
	return RemoteConfig{
		AuthURL:           c.String("keystone_authtoken", "auth_url"),
		Username:          c.String("keystone_authtoken", "username"),
		Password:          c.String("keystone_authtoken", "password"),
		UserDomainName:    c.String("keystone_authtoken", "user_domain_name"),
		ProjectName:       c.String("keystone_authtoken", "project_name"),
		ProjectDomainName: c.String("keystone_authtoken", "project_domain_name"),
		CacheTTL:          ttl,
		Memcached:         servers,
	}
}
