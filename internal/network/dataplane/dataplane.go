// Package dataplane is the interface between gostack's networking control plane (Neutron's
// API, IPAM and ML2 semantics) and whatever wires packets on the hosts: bridges, namespaces,
// NAT and DHCP, as Neutron's agents do. Drivers register by name and are chosen in
// configuration; `noop` wires nothing and says so.
package dataplane

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Segment is how a network is carried between hosts.
type Segment struct {
	NetworkType     string // local, flat, vlan, vxlan, geneve
	PhysicalNetwork string
	SegmentationID  int
	MTU             int
}

// FixedIP is one address of a port.
type FixedIP struct {
	SubnetID  string
	IPAddress string
}

// Port is what a driver needs to wire a port.
type Port struct {
	ID, NetworkID, MACAddress string
	DeviceID, DeviceOwner     string
	HostID                    string
	FixedIPs                  []FixedIP
	Segment                   Segment
	SecurityGroups            []string
	PortSecurity              bool
}

// Binding is a driver's answer to a port binding: Neutron's binding:vif_type and
// binding:vif_details.
type Binding struct {
	VIFType    string
	VIFDetails map[string]any
}

// Subnet is what DHCP serves.
type Subnet struct {
	ID, NetworkID, CIDR, GatewayIP string
	IPVersion                      int
	EnableDHCP                     bool
	DNSNameservers                 []string
}

// Router is a router with its interfaces and gateway.
type Router struct {
	ID              string
	AdminStateUp    bool
	Interfaces      []Port
	Gateway         *Port // nil without an external gateway
	EnableSNAT      bool
	Distributed, HA bool
	Routes          []Route
}

// Route is a static route.
type Route struct{ Destination, NextHop string }

// FloatingIP maps an external address to a fixed one (of FixedPortID) through a router.
type FloatingIP struct {
	ID, RouterID, FloatingIP, FixedIP string
	FloatingNetworkID, FixedPortID    string
}

// Floating IP statuses a driver reports, as Neutron's L3 agent does.
const (
	FloatingIPActive = "ACTIVE"
	FloatingIPDown   = "DOWN"
	FloatingIPError  = "ERROR"
)

// SecurityRule is one rule of a security group.
type SecurityRule struct {
	Direction, EtherType, Protocol string
	PortMin, PortMax               int
	RemoteIPPrefix, RemoteGroupID  string
}

// Agent is what `openstack network agent list` shows of a driver's agents.
type Agent struct {
	Type, Binary, Host string
	Alive, Up          bool
	Description        string
}

// Driver wires the control plane's state on the hosts. Every method is idempotent: the
// control plane may repeat a call after a failure.
type Driver interface {
	// Name is the driver's registered name.
	Name() string
	// Bind wires a port on its host and returns its VIF type and details.
	Bind(ctx context.Context, p Port) (Binding, error)
	// Unbind unwires a port.
	Unbind(ctx context.Context, p Port) error
	// SyncDHCP makes DHCP for a network serve exactly these subnets and ports.
	SyncDHCP(ctx context.Context, networkID string, subnets []Subnet, ports []Port) error
	// UpdateDHCPPort adds, changes or (removed) removes one port's DHCP entries.
	UpdateDHCPPort(ctx context.Context, p Port, removed bool) error
	// SyncRouter makes a router's namespace match; a nil router removes it.
	SyncRouter(ctx context.Context, id string, r *Router) error
	// SyncFloatingIPs makes a router's NAT match its floating IPs and reports each one's
	// status (FloatingIPActive once traffic to it is translated) by id.
	SyncFloatingIPs(ctx context.Context, routerID string, fips []FloatingIP) (map[string]string, error)
	// SyncSecurityGroup makes a group's rules effective on its ports.
	SyncSecurityGroup(ctx context.Context, groupID string, rules []SecurityRule, ports []Port) error
	// Agents reports the driver's agents and their liveness.
	Agents(ctx context.Context) ([]Agent, error)
}

var (
	mu       sync.RWMutex
	registry = map[string]func() Driver{}
)

// Register makes a driver available by name; it panics on a duplicate name.
func Register(name string, factory func() Driver) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("dataplane: duplicate driver " + name)
	}
	registry[name] = factory
}

// Open returns the named driver.
func Open(name string) (Driver, error) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("dataplane: unknown driver %q (known: %v)", name, slices.Sorted(maps.Keys(registry)))
	}
	return f(), nil
}
