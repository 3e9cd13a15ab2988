package dataplane

import (
	"context"
	"os"
)

func init() { Register("noop", func() Driver { return Noop{} }) }

// Noop is the data plane that wires nothing: the API, IPAM and ML2 work, but no packet moves.
// It reports one agent that says so, so `openstack network agent list` tells the truth.
type Noop struct{}

// Name implements Driver.
func (Noop) Name() string { return "noop" }

// Bind returns the "unbound" VIF type: nothing is plugged.
func (Noop) Bind(context.Context, Port) (Binding, error) {
	return Binding{VIFType: "unbound", VIFDetails: map[string]any{}}, nil
}

// Unbind does nothing.
func (Noop) Unbind(context.Context, Port) error { return nil }

// SyncDHCP does nothing.
func (Noop) SyncDHCP(context.Context, string, []Subnet, []Port) error { return nil }

// UpdateDHCPPort does nothing.
func (Noop) UpdateDHCPPort(context.Context, Port, bool) error { return nil }

// SyncRouter does nothing.
func (Noop) SyncRouter(context.Context, string, *Router) error { return nil }

// SyncFloatingIPs translates nothing, so every floating IP stays DOWN.
func (Noop) SyncFloatingIPs(_ context.Context, _ string, fips []FloatingIP) (map[string]string, error) {
	out := make(map[string]string, len(fips))
	for _, f := range fips {
		out[f.ID] = FloatingIPDown
	}
	return out, nil
}

// SyncSecurityGroup does nothing.
func (Noop) SyncSecurityGroup(context.Context, string, []SecurityRule, []Port) error { return nil }

// Agents reports the one noop agent, alive while gostack runs.
func (Noop) Agents(context.Context) ([]Agent, error) {
	host, _ := os.Hostname()
	return []Agent{{Type: "No-op agent", Binary: "gostack-noop-agent", Host: host, Alive: true, Up: true,
		Description: "The noop data plane: networks, subnets and ports exist in the API only; no bridges, DHCP, routing or filtering are set up."}}, nil
}
