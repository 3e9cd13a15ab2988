package identity

import (
	"regexp"
	"time"

	"github.com/gostack/gostack/internal/platform/config"
)

// RegisterOptions adds the identity service's options, named as in keystone.conf.
func RegisterOptions(s *config.Schema) {
	s.Register("DEFAULT",
		config.Opt{Name: "public_endpoint", Type: config.URI,
			Help: "The base public URL of the identity service (e.g. http://controller:5000). Used in version documents and links; by default it is taken from each request."},
		config.Opt{Name: "max_request_body_size", Type: config.Int, Default: "114688", Min: config.IntBound(1),
			Help: "The largest request body, in bytes, the identity API accepts."},
		config.Opt{Name: "list_limit", Type: config.Int, Min: config.IntBound(1),
			Help: "The most entities a list call returns; unset means no limit."},
	)
	s.Register("eventlet_server",
		config.Opt{Name: "public_bind_host", Type: config.String, Default: "0.0.0.0",
			Help: "The address the identity API listens on."},
		config.Opt{Name: "public_port", Type: config.Port, Default: "5000",
			Help: "The port the identity API listens on."},
	)
	s.Register("token",
		config.Opt{Name: "expiration", Type: config.Int, Default: "86400", Min: config.IntBound(1),
			Help: "The amount of time, in seconds, that a token remains valid."},
		config.Opt{Name: "provider", Type: config.String, Default: "fernet", Choices: []string{"fernet"},
			Help: "The token format. Only fernet is supported: tokens are encrypted and need no storage."},
		config.Opt{Name: "allow_expired_window", Type: config.Int, Default: "172800", Min: config.IntBound(0),
			Help: "How long, in seconds, after expiry a token can still be validated with allow_expired=1."},
		config.Opt{Name: "revoke_by_id", Type: config.Bool, Default: "true",
			Help: "Allow individual tokens to be revoked (DELETE /v3/auth/tokens)."},
		config.Opt{Name: "allow_rescope_scoped_token", Type: config.Bool, Default: "true",
			Help: "Allow a scoped token to be exchanged for a token of another scope."},
	)
	s.Register("fernet_tokens",
		config.Opt{Name: "key_repository", Type: config.String, Default: "$state_path/fernet-keys",
			Help: "The directory holding the Fernet keys that encrypt tokens. Share it between identity nodes."},
		config.Opt{Name: "max_active_keys", Type: config.Int, Default: "3", Min: config.IntBound(1),
			Help: "How many keys to keep after a rotation: one staged, one primary, the rest secondary."},
	)
	s.Register("credential",
		config.Opt{Name: "provider", Type: config.String, Default: "fernet", Choices: []string{"fernet"},
			Help: "How stored credential blobs are encrypted."},
		config.Opt{Name: "key_repository", Type: config.String, Default: "$state_path/credential-keys",
			Help: "The directory holding the Fernet keys that encrypt stored credentials."},
	)
	s.Register("identity",
		config.Opt{Name: "default_domain_id", Type: config.String, Default: DefaultDomainID,
			Help: "The domain used when a request names none."},
		config.Opt{Name: "password_hash_algorithm", Type: config.String, Default: "bcrypt", Choices: []string{"bcrypt", "pbkdf2_sha512"},
			Help: "The algorithm that hashes stored passwords."},
		config.Opt{Name: "password_hash_rounds", Type: config.Int, Min: config.IntBound(4),
			Help: "The cost of the hash: bcrypt log-rounds (default 12) or pbkdf2 iterations (default 60000)."},
		config.Opt{Name: "max_password_length", Type: config.Int, Default: "4096", Min: config.IntBound(1),
			Help: "The longest password accepted."},
	)
	s.Register("security_compliance",
		config.Opt{Name: "lockout_failure_attempts", Type: config.Int, Min: config.IntBound(1),
			Help: "Failed authentications after which a user is locked out; unset disables lockout."},
		config.Opt{Name: "lockout_duration", Type: config.Int, Default: "1800", Min: config.IntBound(1),
			Help: "Seconds a locked-out user stays locked."},
		config.Opt{Name: "password_expires_days", Type: config.Int, Min: config.IntBound(0),
			Help: "Days a password stays valid; unset means passwords never expire."},
		config.Opt{Name: "password_regex", Type: config.String,
			Help: "A regular expression every new password must match."},
		config.Opt{Name: "password_regex_description", Type: config.String,
			Help: "The human-readable requirement shown when a password does not match password_regex."},
		config.Opt{Name: "unique_last_password_count", Type: config.Int, Default: "0", Min: config.IntBound(0),
			Help: "How many of a user's most recent passwords a new one must differ from; 0 disables the check."},
		config.Opt{Name: "minimum_password_age", Type: config.Int, Default: "0", Min: config.IntBound(0),
			Help: "Days a user must wait before changing their password again."},
	)
	s.Register("resource",
		config.Opt{Name: "admin_project_name", Type: config.String,
			Help: "The project whose admins are cloud admins (is_admin_project). Unset: every project counts."},
		config.Opt{Name: "admin_project_domain_name", Type: config.String,
			Help: "The domain of admin_project_name."},
	)
	s.Register("oslo_policy",
		config.Opt{Name: "policy_file", Type: config.String, Default: "$state_path/policy.yaml",
			Help: "A YAML or JSON file of policy rules overriding the in-code defaults of every service. Changes apply without a restart; a missing file means defaults."},
	)
}

// Options are the identity service's settings.
type Options struct {
	PublicEndpoint      string
	MaxBodySize         int64
	ListLimit           int
	TokenExpiration     time.Duration
	AllowExpiredWindow  time.Duration
	RevokeByID          bool
	AllowRescope        bool
	FernetKeyRepository string
	MaxActiveKeys       int
	CredentialKeys      string
	DefaultDomainID     string
	Hasher              Hasher
	MaxPasswordLength   int
	LockoutAttempts     int
	LockoutDuration     time.Duration
	PasswordExpires     time.Duration // 0 = never
	PasswordRegex       *regexp.Regexp
	PasswordRegexDesc   string
	UniquePasswords     int
	MinimumPasswordAge  time.Duration
	AdminProjectName    string
	AdminProjectDomain  string
	PolicyFile          string
}

// OptionsFrom reads Options from a loaded configuration.
func OptionsFrom(c *config.Config) (Options, error) {
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	o := Options{
		PublicEndpoint:      c.String("DEFAULT", "public_endpoint"),
		MaxBodySize:         int64(c.Int("DEFAULT", "max_request_body_size")),
		ListLimit:           c.Int("DEFAULT", "list_limit"),
		TokenExpiration:     time.Duration(c.Int("token", "expiration")) * time.Second,
		AllowExpiredWindow:  time.Duration(c.Int("token", "allow_expired_window")) * time.Second,
		RevokeByID:          c.Bool("token", "revoke_by_id"),
		AllowRescope:        c.Bool("token", "allow_rescope_scoped_token"),
		FernetKeyRepository: c.String("fernet_tokens", "key_repository"),
		MaxActiveKeys:       c.Int("fernet_tokens", "max_active_keys"),
		CredentialKeys:      c.String("credential", "key_repository"),
		DefaultDomainID:     c.String("identity", "default_domain_id"),
		Hasher:              Hasher{Algorithm: c.String("identity", "password_hash_algorithm"), Rounds: c.Int("identity", "password_hash_rounds")},
		MaxPasswordLength:   c.Int("identity", "max_password_length"),
		LockoutAttempts:     c.Int("security_compliance", "lockout_failure_attempts"),
		LockoutDuration:     time.Duration(c.Int("security_compliance", "lockout_duration")) * time.Second,
		PasswordExpires:     days(c.Int("security_compliance", "password_expires_days")),
		PasswordRegexDesc:   c.String("security_compliance", "password_regex_description"),
		UniquePasswords:     c.Int("security_compliance", "unique_last_password_count"),
		MinimumPasswordAge:  days(c.Int("security_compliance", "minimum_password_age")),
		AdminProjectName:    c.String("resource", "admin_project_name"),
		AdminProjectDomain:  c.String("resource", "admin_project_domain_name"),
		PolicyFile:          c.String("oslo_policy", "policy_file"),
	}
	if re := c.String("security_compliance", "password_regex"); re != "" {
		compiled, err := regexp.Compile(re)
		if err != nil {
			return o, &config.ValueError{Section: "security_compliance", Key: "password_regex", Value: re, Reason: err.Error()}
		}
		o.PasswordRegex = compiled
	}
	return o, nil
}
