package httpapi

import "github.com/gostack/gostack/internal/platform/config"

// RegisterEndpointOptions registers the [DEFAULT] options that every service but identity
// reads from its own file (glance-api.conf, neutron.conf …) to know where it listens and how
// clients reach it: bind_host, bind_port and public_endpoint. Each service calls it; the
// first call registers them.
func RegisterEndpointOptions(s *config.Schema) {
	s.RegisterShared("DEFAULT",
		config.Opt{Name: "bind_host", Type: config.String, Default: "0.0.0.0",
			Help: "The address a service's API listens on. Set it per service in the service's own file beside the shared one (glance-api.conf, neutron.conf …)."},
		config.Opt{Name: "bind_port", Type: config.Port,
			Help: "The port a service's API listens on; unset means the service's standard port (image 9292, network 9696). Set it per service in the service's own file (glance-api.conf, neutron.conf …)."},
		config.Opt{Name: "public_endpoint", Type: config.URI,
			Help: "The URL clients reach this service at, when it differs from http://my_ip:port (behind a proxy). In the shared file it is identity's; other services read it from their own file."},
	)
}
