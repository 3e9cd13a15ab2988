package network

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// DefaultPort is the network API's port when [DEFAULT] bind_port is unset, as Neutron's.
const DefaultPort = 9696

// ConfigFile is the network service's own configuration file, read after the shared ones, as
// Neutron reads neutron.conf (with the ML2 options in it).
const ConfigFile = "neutron.conf"

// RegisterOptions registers the network service's options under Neutron's names.
func RegisterOptions(s *config.Schema) {
	httpapi.RegisterEndpointOptions(s)
	s.Register("DEFAULT",
		config.Opt{Name: "base_mac", Type: config.String, Default: "fa:16:3e:00:00:00",
			Help: "The base of generated MAC addresses: the first three octets are kept, the rest are random."},
		config.Opt{Name: "global_physnet_mtu", Type: config.Int, Default: "1500", Min: config.IntBound(68),
			Help: "The MTU of the underlying physical networks; overlay networks get it minus their encapsulation."},
		config.Opt{Name: "max_fixed_ips_per_port", Type: config.Int, Default: "5", Min: config.IntBound(1),
			Help: "The most fixed IPs a port may have."},
		config.Opt{Name: "pagination_max_limit", Type: config.String, Default: "-1",
			Help: "The most items a list returns in one page; -1 means no limit."},
		config.Opt{Name: "dataplane_driver", Type: config.String, Default: "noop",
			Help: "What wires networks on the hosts: noop (nothing; the API and IPAM only)."},
		config.Opt{Name: "router_distributed", Type: config.Bool, Default: "false",
			Help: "Whether new routers are distributed (DVR) unless an admin says otherwise."},
		config.Opt{Name: "l3_ha", Type: config.Bool, Default: "false",
			Help: "Whether new routers are highly available unless an admin says otherwise."},
		config.Opt{Name: "enable_snat_by_default", Type: config.Bool, Default: "true",
			Help: "Whether a router's external gateway does SNAT when enable_snat is not given."},
		config.Opt{Name: "max_routes", Type: config.Int, Default: "30", Min: config.IntBound(0),
			Help: "The most static routes a router may have."},
	)
	s.Register("quotas",
		config.Opt{Name: "default_quota", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The default of every resource's quota not set below; -1 means unlimited."},
		config.Opt{Name: "quota_network", Type: config.Int, Default: "100", Min: config.IntBound(-1), Help: "Networks per project."},
		config.Opt{Name: "quota_subnet", Type: config.Int, Default: "100", Min: config.IntBound(-1), Help: "Subnets per project."},
		config.Opt{Name: "quota_port", Type: config.Int, Default: "500", Min: config.IntBound(-1), Help: "Ports per project."},
		config.Opt{Name: "quota_router", Type: config.Int, Default: "10", Min: config.IntBound(-1), Help: "Routers per project."},
		config.Opt{Name: "quota_floatingip", Type: config.Int, Default: "50", Min: config.IntBound(-1), Help: "Floating IPs per project."},
		config.Opt{Name: "quota_security_group", Type: config.Int, Default: "10", Min: config.IntBound(-1), Help: "Security groups per project."},
		config.Opt{Name: "quota_security_group_rule", Type: config.Int, Default: "100", Min: config.IntBound(-1), Help: "Security group rules per project."},
	)
	s.Register("ml2",
		config.Opt{Name: "type_drivers", Type: config.List, Default: "local,flat,vlan,vxlan,geneve",
			Help: "The network types networks may have."},
		config.Opt{Name: "tenant_network_types", Type: config.List, Default: "vxlan,local",
			Help: "The types tried, in order, for a network created without provider attributes."},
		config.Opt{Name: "mechanism_drivers", Type: config.List, Default: "linuxbridge",
			Help: "Accepted for compatibility; the data plane is [DEFAULT] dataplane_driver."},
		config.Opt{Name: "extension_drivers", Type: config.List, Default: "port_security",
			Help: "Accepted for compatibility; port security is always available."},
		config.Opt{Name: "path_mtu", Type: config.Int, Default: "0", Min: config.IntBound(0),
			Help: "The MTU of the path overlay traffic takes; 0 means global_physnet_mtu."},
	)
	s.Register("ml2_type_flat",
		config.Opt{Name: "flat_networks", Type: config.List, Default: "*",
			Help: "Physical networks flat networks may use; * means any."})
	s.Register("ml2_type_vlan",
		config.Opt{Name: "network_vlan_ranges", Type: config.List,
			Help: "Physical networks for VLAN networks, as physnet or physnet:first:last (tenant VLANs come from the ranges)."})
	s.Register("ml2_type_vxlan",
		config.Opt{Name: "vni_ranges", Type: config.List, Default: "1:1000",
			Help: "VNI ranges, first:last, tenant VXLAN networks are given ids from."})
	s.Register("ml2_type_geneve",
		config.Opt{Name: "vni_ranges", Type: config.List, Default: "1:1000",
			Help: "VNI ranges, first:last, tenant Geneve networks are given ids from."})
}

// Options are the network service's settings.
type Options struct {
	BindHost       string
	Port           int
	PublicEndpoint string
	MaxBodySize    int64
	BaseMAC        [3]byte
	PhysnetMTU     int
	PathMTU        int
	MaxFixedIPs    int
	PageMax        int // 0 = no limit
	Dataplane      string
	L3             L3Config
	ML2            ML2Config
	Quotas         map[string]int // default limit per resource; -1 = unlimited
	PolicyFile     string
}

// L3Config are the router defaults.
type L3Config struct {
	Distributed, HA, SNAT bool
	MaxRoutes             int
}

// ML2Config is the type-driver configuration.
type ML2Config struct {
	TypeDrivers  []string
	TenantTypes  []string
	FlatNetworks []string          // "*" = any
	VLANRanges   map[string][]span // physnet → tenant ranges (may be empty: provider only)
	VXLANRanges  []span
	GeneveRanges []span
}

// span is an inclusive range of segmentation ids.
type span struct{ First, Last int }

// OptionsFrom reads Options from a loaded configuration.
func OptionsFrom(c *config.Config) (Options, error) {
	o := Options{
		BindHost:       c.String("DEFAULT", "bind_host"),
		Port:           c.Int("DEFAULT", "bind_port"),
		PublicEndpoint: c.String("DEFAULT", "public_endpoint"),
		MaxBodySize:    int64(c.Int("DEFAULT", "max_request_body_size")),
		PhysnetMTU:     c.Int("DEFAULT", "global_physnet_mtu"),
		PathMTU:        c.Int("ml2", "path_mtu"),
		MaxFixedIPs:    c.Int("DEFAULT", "max_fixed_ips_per_port"),
		Dataplane:      c.String("DEFAULT", "dataplane_driver"),
		PolicyFile:     c.String("oslo_policy", "policy_file"),
		L3: L3Config{Distributed: c.Bool("DEFAULT", "router_distributed"), HA: c.Bool("DEFAULT", "l3_ha"),
			SNAT: c.Bool("DEFAULT", "enable_snat_by_default"), MaxRoutes: c.Int("DEFAULT", "max_routes")},
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.PathMTU == 0 {
		o.PathMTU = o.PhysnetMTU
	}
	if n, err := strconv.Atoi(strings.TrimSpace(c.String("DEFAULT", "pagination_max_limit"))); err == nil && n > 0 {
		o.PageMax = n
	}
	o.Quotas = map[string]int{}
	for _, r := range quotaResources {
		o.Quotas[r] = c.Int("quotas", "quota_"+r)
	}
	mac, err := parseBaseMAC(c.String("DEFAULT", "base_mac"))
	if err != nil {
		return o, err
	}
	o.BaseMAC = mac
	o.ML2, err = ml2From(c)
	return o, err
}

func parseBaseMAC(s string) ([3]byte, error) {
	var out [3]byte
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return out, fmt.Errorf("[DEFAULT] base_mac %q is not a MAC address", s)
	}
	for i := range 3 {
		v, err := strconv.ParseUint(parts[i], 16, 8)
		if err != nil {
			return out, fmt.Errorf("[DEFAULT] base_mac %q is not a MAC address", s)
		}
		out[i] = byte(v)
	}
	if out[0]&1 == 1 {
		return out, fmt.Errorf("[DEFAULT] base_mac %q is a multicast address", s)
	}
	return out, nil
}

// knownTypes are the network types gostack's ML2 knows.
var knownTypes = []string{"local", "flat", "vlan", "vxlan", "geneve"}

func ml2From(c *config.Config) (ML2Config, error) {
	m := ML2Config{
		TypeDrivers:  c.List("ml2", "type_drivers"),
		TenantTypes:  c.List("ml2", "tenant_network_types"),
		FlatNetworks: c.List("ml2_type_flat", "flat_networks"),
		VLANRanges:   map[string][]span{},
	}
	for _, t := range append(slices.Clone(m.TypeDrivers), m.TenantTypes...) {
		if !slices.Contains(knownTypes, t) {
			return m, fmt.Errorf("[ml2] unknown network type %q (known: %v)", t, knownTypes)
		}
	}
	for _, t := range m.TenantTypes {
		if !slices.Contains(m.TypeDrivers, t) {
			return m, fmt.Errorf("[ml2] tenant_network_types: %q is not one of type_drivers %v", t, m.TypeDrivers)
		}
	}
	for _, item := range c.List("ml2_type_vlan", "network_vlan_ranges") {
		parts := strings.Split(item, ":")
		switch len(parts) {
		case 1:
			m.VLANRanges[parts[0]] = append(m.VLANRanges[parts[0]], []span{}...)
		case 3:
			sp, err := parseSpan(parts[1]+":"+parts[2], 1, 4094)
			if err != nil {
				return m, fmt.Errorf("[ml2_type_vlan] network_vlan_ranges %q: %w", item, err)
			}
			m.VLANRanges[parts[0]] = append(m.VLANRanges[parts[0]], sp)
		default:
			return m, fmt.Errorf("[ml2_type_vlan] network_vlan_ranges %q: want physnet or physnet:first:last", item)
		}
	}
	var err error
	if m.VXLANRanges, err = parseSpans(c.List("ml2_type_vxlan", "vni_ranges"), "[ml2_type_vxlan] vni_ranges"); err != nil {
		return m, err
	}
	m.GeneveRanges, err = parseSpans(c.List("ml2_type_geneve", "vni_ranges"), "[ml2_type_geneve] vni_ranges")
	return m, err
}

func parseSpans(items []string, what string) ([]span, error) {
	var out []span
	for _, it := range items {
		sp, err := parseSpan(it, 1, 1<<24-1)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", what, it, err)
		}
		out = append(out, sp)
	}
	return out, nil
}

func parseSpan(s string, lo, hi int) (span, error) {
	a, b, ok := strings.Cut(s, ":")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || first < lo || last > hi || first > last {
		return span{}, fmt.Errorf("want first:last with %d <= first <= last <= %d", lo, hi)
	}
	return span{first, last}, nil
}
