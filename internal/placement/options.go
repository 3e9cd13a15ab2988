package placement

import (
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// DefaultPort is the placement API's port when [DEFAULT] bind_port is unset, as Placement's.
const DefaultPort = 8778

// ConfigFile is the placement service's own configuration file, read after the shared ones,
// as Placement reads placement.conf.
const ConfigFile = "placement.conf"

// RegisterOptions registers the placement service's options under Placement's names.
func RegisterOptions(s *config.Schema) {
	httpapi.RegisterEndpointOptions(s)
	s.Register("placement",
		config.Opt{Name: "randomize_allocation_candidates", Type: config.Bool, Default: "false",
			Help: "Whether GET /allocation_candidates shuffles its answer before applying limit, so that schedulers spread load instead of always trying the same providers first."},
		config.Opt{Name: "max_allocation_candidates", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The most allocation candidates one request generates before limit is applied; -1 means no bound. Bounding it keeps requests against large, deeply nested clouds fast."},
	)
}

// Options are the placement service's settings.
type Options struct {
	BindHost       string
	Port           int
	PublicEndpoint string
	MaxBodySize    int64
	Randomize      bool // [placement] randomize_allocation_candidates
	MaxCandidates  int  // [placement] max_allocation_candidates; 0 = no bound
	PolicyFile     string
}

// OptionsFrom reads Options from a loaded configuration.
func OptionsFrom(c *config.Config) (Options, error) {
	o := Options{
		BindHost:       c.String("DEFAULT", "bind_host"),
		Port:           c.Int("DEFAULT", "bind_port"),
		PublicEndpoint: c.String("DEFAULT", "public_endpoint"),
		MaxBodySize:    int64(c.Int("DEFAULT", "max_request_body_size")),
		Randomize:      c.Bool("placement", "randomize_allocation_candidates"),
		PolicyFile:     c.String("oslo_policy", "policy_file"),
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if n := c.Int("placement", "max_allocation_candidates"); n > 0 {
		o.MaxCandidates = n
	}
	return o, nil
}
