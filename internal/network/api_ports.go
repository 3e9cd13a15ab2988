package network

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/network/dataplane"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// portExtensions are the extensions ports bring.
var portExtensions = []extension{
	{"binding", "Port Binding", "The binding:host_id, binding:vif_type, binding:vif_details, binding:vnic_type and binding:profile attributes of ports."},
	{"allowed-address-pairs", "Allowed Address Pairs", "Addresses (and MACs) a port may send from besides its own."},
	{"extra_dhcp_opt", "Neutron Extra DHCP options", "Extra DHCP options of ports, handed to the data plane's DHCP."},
	{"ip-substring-filtering", "IP address substring filtering", "fixed_ips=ip_address_substr=… filters ports by part of an address."},
	{"ip_allocation", "IP Allocation", "The ip_allocation attribute of ports: immediate, or none for ports created without addresses."},
	{"uplink-status-propagation", "Uplink status propagation extension", "The propagate_uplink_status attribute of ports."},
	{"port-mac-address-regenerate", "Neutron Port MAC address regenerate", "A port update with mac_address null gives the port a new MAC."},
}

// routerPortOwners are the device owners of router ports: they take subnet gateways and get no
// SLAAC addresses (Neutron's ROUTER_INTERFACE_OWNERS_SNAT).
var routerPortOwners = []string{"network:router_interface", "network:ha_router_replicated_interface",
	"network:router_interface_distributed", "network:router_centralized_snat"}

// vnicTypes are the binding:vnic_type values Neutron knows.
var vnicTypes = []string{"normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic",
	"vdpa", "accelerator-direct", "accelerator-direct-physical", "remote-managed"}

// maxAddressPairs is Neutron's default [DEFAULT] max_allowed_address_pair.
const maxAddressPairs = 10

// portPolicies are the default rules of ports, with Neutron's names and defaults: members of
// the network's project, or anyone on a shared network, create ports; binding attributes are
// for admins and services (Nova) only; device owners network:* are the network owner's.
func portPolicies() []policy.Rule {
	many, one := "/v2.0/ports", "/v2.0/ports/{id}"
	ownerOrAdmin := adminOrService + " or (" + netOwnerMember + ")"
	create := func(name, check, what string) policy.Rule { return netRule(name, check, what, "POST", many) }
	get := func(name, check, what string) policy.Rule { return netRule(name, check, what, "GET", one) }
	update := func(name, check, what string) policy.Rule { return netRule(name, check, what, "PUT", one) }
	return []policy.Rule{
		{Name: "network_device", Check: "'True':%(network_device)s", Description: "The port's device owner starts with network:."},
		create("create_port", ownerOrAdmin+" or rule:shared", "Create a port."),
		create("create_port:device_id", adminOrMember+" or role:service", "Give a port's device id."),
		create("create_port:device_owner", "not rule:network_device or "+ownerOrAdmin, "Give a port's device owner."),
		create("create_port:mac_address", ownerOrAdmin, "Give a port's MAC address."),
		create("create_port:fixed_ips", ownerOrAdmin+" or rule:shared", "Give a port's fixed IPs."),
		create("create_port:fixed_ips:ip_address", ownerOrAdmin, "Give a port's fixed IP addresses."),
		create("create_port:fixed_ips:subnet_id", ownerOrAdmin+" or rule:shared", "Give the subnets of a port's fixed IPs."),
		create("create_port:port_security_enabled", ownerOrAdmin, "Set a port's port security."),
		create("create_port:binding:host_id", adminOrService, "Bind a port to a host."),
		create("create_port:binding:profile", "role:service", "Give a port's binding profile."),
		create("create_port:binding:vnic_type", adminOrMember+" or role:service", "Give a port's VNIC type."),
		create("create_port:allowed_address_pairs", "rule:admin_only or ("+netOwnerMember+") or role:service", "Give a port's allowed address pairs."),
		create("create_port:allowed_address_pairs:mac_address", "rule:admin_only or ("+netOwnerMember+") or role:service", "Give the MACs of allowed address pairs."),
		create("create_port:allowed_address_pairs:ip_address", "rule:admin_only or ("+netOwnerMember+") or role:service", "Give the addresses of allowed address pairs."),
		get("get_port", adminOrService+" or ("+netOwnerReader+") or rule:project_reader", "Show or list ports."),
		get("get_port:binding:vif_type", adminOrService, "See a port's VIF type."),
		get("get_port:binding:vif_details", adminOrService, "See a port's VIF details."),
		get("get_port:binding:host_id", adminOrService, "See a port's host."),
		get("get_port:binding:profile", adminOrService, "See a port's binding profile."),
		update("update_port", adminOrService+" or rule:project_member", "Update a port."),
		update("update_port:device_id", adminOrMember+" or role:service", "Change a port's device id."),
		update("update_port:device_owner", "not rule:network_device or "+ownerOrAdmin, "Change a port's device owner."),
		update("update_port:mac_address", adminOrService+" or (role:manager and rule:network_owner)", "Change a port's MAC address."),
		update("update_port:fixed_ips", ownerOrAdmin, "Change a port's fixed IPs."),
		update("update_port:fixed_ips:ip_address", ownerOrAdmin, "Change a port's fixed IP addresses."),
		update("update_port:fixed_ips:subnet_id", ownerOrAdmin+" or rule:shared", "Change the subnets of a port's fixed IPs."),
		update("update_port:port_security_enabled", ownerOrAdmin, "Change a port's port security."),
		update("update_port:binding:host_id", adminOrService, "Bind a port to a host or unbind it."),
		update("update_port:binding:profile", "role:service", "Change a port's binding profile."),
		update("update_port:binding:vnic_type", adminOrService+" or rule:project_member", "Change a port's VNIC type."),
		update("update_port:allowed_address_pairs", "rule:admin_only or ("+netOwnerMember+") or role:service", "Change a port's allowed address pairs."),
		update("update_port:allowed_address_pairs:mac_address", "rule:admin_only or ("+netOwnerMember+") or role:service", "Change the MACs of allowed address pairs."),
		update("update_port:allowed_address_pairs:ip_address", "rule:admin_only or ("+netOwnerMember+") or role:service", "Change the addresses of allowed address pairs."),
		netRule("delete_port", adminOrService+" or ("+netOwnerMember+") or rule:project_member", "Delete a port.", "DELETE", one),
	}
}

// portRoutes registers the port API.
func (s *Service) portRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	mux.Handle("POST /v2.0/ports", authed(s.createPort))
	mux.Handle("GET /v2.0/ports", authed(s.listPorts))
	mux.Handle("GET /v2.0/ports/{id}", authed(s.showPort))
	mux.Handle("PUT /v2.0/ports/{id}", authed(s.updatePort))
	mux.Handle("DELETE /v2.0/ports/{id}", authed(s.deletePort))
	s.tagRoutes(mux, authed, "ports", "net_port", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		p, n, err := s.loadPort(ctx, c, id)
		return portTarget(p, n), "update_port", err
	})
}

// portTarget is the policy target of a port: its project, its network's owner, shared and
// router:external, and whether its device owner is a network device.
func portTarget(p Port, n Network) map[string]string {
	return map[string]string{"project_id": p.ProjectID, "tenant_id": p.ProjectID, "id": p.ID, "network_id": n.ID,
		"network:project_id": n.ProjectID, "network:tenant_id": n.ProjectID,
		"shared": boolText(n.Shared), "router:external": boolText(n.External),
		"device_owner": p.DeviceOwner, "network_device": boolText(strings.HasPrefix(p.DeviceOwner, "network:"))}
}

// bindingAttrs are the attributes only admins and services see.
var bindingAttrs = []string{"binding:host_id", "binding:vif_type", "binding:vif_details", "binding:profile"}

// portView renders a port as Neutron does; hidden lists the attributes the caller may not see.
func portView(p Port, hidden []string) map[string]any {
	fixed := make([]map[string]string, len(p.FixedIPs))
	for i, ip := range p.FixedIPs {
		fixed[i] = map[string]string{"subnet_id": ip.SubnetID, "ip_address": ip.IP.String()}
	}
	pairs := p.AddressPairs
	if pairs == nil {
		pairs = []AddressPair{}
	}
	opts := p.DHCPOptions
	if opts == nil {
		opts = []DHCPOption{}
	}
	details, profile := p.VIFDetails, p.Profile
	if details == nil {
		details = map[string]any{}
	}
	if profile == nil {
		profile = map[string]any{}
	}
	v := map[string]any{
		"id": p.ID, "name": p.Name, "description": p.Description, "network_id": p.NetworkID, "tenant_id": p.ProjectID,
		"project_id": p.ProjectID, "mac_address": p.MAC, "admin_state_up": p.AdminStateUp, "status": p.Status,
		"device_id": p.DeviceID, "device_owner": p.DeviceOwner, "fixed_ips": fixed, "allowed_address_pairs": pairs,
		"extra_dhcp_opts": opts, "security_groups": orEmpty(p.SecurityGroups), "port_security_enabled": p.PortSecurity,
		"binding:vnic_type": p.VNICType, "binding:host_id": p.HostID, "binding:profile": profile, "binding:vif_type": p.VIFType,
		"binding:vif_details": details, "ip_allocation": p.IPAllocation, "propagate_uplink_status": p.PropagateUplinkStatus,
		"qos_policy_id": nil, "qos_network_policy_id": nil, "tags": orEmpty(p.Tags), "revision_number": p.Revision,
		"created_at": neutronTime(p.CreatedAt), "updated_at": neutronTime(p.UpdatedAt),
	}
	for _, h := range hidden {
		delete(v, h)
	}
	return v
}

// portDoc is a port as lists render it: the same document as portView, but a struct, whose
// encoding (json.Marshal) is what lists answer. Lists write it by hand (appendPortJSON), byte
// for byte the same; tests hold the two together. Binding attributes the caller may not see
// stay nil and are left out.
type portDoc struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	Description           string        `json:"description"`
	NetworkID             string        `json:"network_id"`
	TenantID              string        `json:"tenant_id"`
	ProjectID             string        `json:"project_id"`
	MACAddress            string        `json:"mac_address"`
	AdminStateUp          bool          `json:"admin_state_up"`
	Status                string        `json:"status"`
	DeviceID              string        `json:"device_id"`
	DeviceOwner           string        `json:"device_owner"`
	FixedIPs              []fixedIPDoc  `json:"fixed_ips"`
	AddressPairs          []AddressPair `json:"allowed_address_pairs"`
	DHCPOptions           []DHCPOption  `json:"extra_dhcp_opts"`
	SecurityGroups        []string      `json:"security_groups"`
	PortSecurity          bool          `json:"port_security_enabled"`
	VNICType              string        `json:"binding:vnic_type"`
	HostID                any           `json:"binding:host_id,omitempty"`
	Profile               any           `json:"binding:profile,omitempty"`
	VIFType               any           `json:"binding:vif_type,omitempty"`
	VIFDetails            any           `json:"binding:vif_details,omitempty"`
	IPAllocation          string        `json:"ip_allocation"`
	PropagateUplinkStatus bool          `json:"propagate_uplink_status"`
	QoSPolicyID           *string       `json:"qos_policy_id"`
	QoSNetworkPolicyID    *string       `json:"qos_network_policy_id"`
	Tags                  []string      `json:"tags"`
	RevisionNumber        int64         `json:"revision_number"`
	CreatedAt             string        `json:"created_at"`
	UpdatedAt             string        `json:"updated_at"`
}

// fixedIPDoc is one entry of a rendered port's fixed_ips.
type fixedIPDoc struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// portDocOf renders a port for a list; hidden lists the attributes the caller may not see.
func portDocOf(p Port, hidden []string) portDoc {
	d := portDoc{ID: p.ID, Name: p.Name, Description: p.Description, NetworkID: p.NetworkID, TenantID: p.ProjectID,
		ProjectID: p.ProjectID, MACAddress: p.MAC, AdminStateUp: p.AdminStateUp, Status: p.Status, DeviceID: p.DeviceID,
		DeviceOwner: p.DeviceOwner, FixedIPs: make([]fixedIPDoc, len(p.FixedIPs)), AddressPairs: p.AddressPairs,
		DHCPOptions: p.DHCPOptions, SecurityGroups: orEmpty(p.SecurityGroups), PortSecurity: p.PortSecurity, VNICType: p.VNICType,
		IPAllocation: p.IPAllocation, PropagateUplinkStatus: p.PropagateUplinkStatus, Tags: orEmpty(p.Tags),
		RevisionNumber: p.Revision, CreatedAt: neutronTime(p.CreatedAt), UpdatedAt: neutronTime(p.UpdatedAt)}
	for i, ip := range p.FixedIPs {
		d.FixedIPs[i] = fixedIPDoc{SubnetID: ip.SubnetID, IPAddress: ip.IP.String()}
	}
	if d.AddressPairs == nil {
		d.AddressPairs = []AddressPair{}
	}
	if d.DHCPOptions == nil {
		d.DHCPOptions = []DHCPOption{}
	}
	visible := func(attr string) bool { return !slices.Contains(hidden, attr) }
	if visible("binding:host_id") {
		d.HostID = p.HostID
	}
	if visible("binding:vif_type") {
		d.VIFType = p.VIFType
	}
	if visible("binding:vif_details") {
		d.VIFDetails = orEmptyMap(p.VIFDetails)
	}
	if visible("binding:profile") {
		d.Profile = orEmptyMap(p.Profile)
	}
	return d
}

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// hiddenPortAttrs returns the binding attributes the caller may not see on a port.
func (s *Service) hiddenPortAttrs(c *auth.Context, target map[string]string) []string {
	var out []string
	for _, a := range bindingAttrs {
		if !s.policy.Allowed("get_port:"+a, target, c.Credentials()) {
			out = append(out, a)
		}
	}
	return out
}

// loadPort returns a port the caller may see, with its network; others are a 404.
func (s *Service) loadPort(ctx context.Context, c *auth.Context, id string) (Port, Network, error) {
	p, err := getPort(ctx, s.db, id)
	if err != nil {
		return p, Network{}, err
	}
	n, err := getNetworkRow(ctx, s.db, p.NetworkID)
	if err != nil {
		return p, n, err
	}
	if !s.policy.Allowed("get_port", portTarget(p, n), c.Credentials()) {
		return p, n, &NotFoundError{Kind: "Port", ID: id}
	}
	return p, n, nil
}

// portRequest is what a port create or update asks for beyond the attributes it sets.
type portRequest struct {
	fixed      []fixedIPRequest
	fixedGiven bool
	macGiven   bool
	macRenew   bool // update with mac_address null
	sgGiven    bool
}

// fixedIPRequest is one entry of fixed_ips: a subnet, an address, or both.
type fixedIPRequest struct {
	SubnetID string
	IP       netip.Addr
}

// portCreateAttributes are the attributes a port create may carry.
var portCreateAttributes = []string{"name", "description", "project_id", "tenant_id", "network_id", "admin_state_up",
	"mac_address", "fixed_ips", "device_id", "device_owner", "security_groups", "port_security_enabled",
	"allowed_address_pairs", "extra_dhcp_opts", "binding:host_id", "binding:vnic_type", "binding:profile",
	"propagate_uplink_status", "qos_policy_id", "tags"}

// portUpdateAttributes are the attributes a port update may carry.
var portUpdateAttributes = []string{"name", "description", "admin_state_up", "mac_address", "fixed_ips", "device_id",
	"device_owner", "security_groups", "port_security_enabled", "allowed_address_pairs", "extra_dhcp_opts",
	"binding:host_id", "binding:vnic_type", "binding:profile", "propagate_uplink_status", "qos_policy_id"}

// portDefaults are the values of port attributes that need no attribute policy on create.
var portDefaults = map[string]any{"admin_state_up": true, "device_id": "", "device_owner": "", "binding:host_id": "",
	"binding:vnic_type": "normal", "binding:profile": map[string]any{}, "allowed_address_pairs": []any{}, "extra_dhcp_opts": []any{},
	"propagate_uplink_status": false, "qos_policy_id": nil}

// readPortAttrs reads the attributes a create and an update share into p.
func (a *attrs) readPortAttrs(p *Port, req *portRequest) {
	a.str("name", &p.Name, 255)
	a.str("description", &p.Description, 255)
	a.boolean("admin_state_up", &p.AdminStateUp)
	a.str("device_id", &p.DeviceID, 255)
	a.str("device_owner", &p.DeviceOwner, 255)
	a.boolean("port_security_enabled", &p.PortSecurity)
	a.boolean("propagate_uplink_status", &p.PropagateUplinkStatus)
	a.str("binding:host_id", &p.HostID, 255)
	if _, ok := a.body["binding:vnic_type"]; ok {
		a.str("binding:vnic_type", &p.VNICType, 64)
		if a.err == nil && !slices.Contains(vnicTypes, p.VNICType) {
			a.failAttr("binding:vnic_type", "'%s' is not in %s", p.VNICType, pyList(vnicTypes))
		}
	}
	if raw, ok := a.body["binding:profile"]; ok {
		switch v := raw.(type) {
		case nil:
			p.Profile = map[string]any{}
		case map[string]any:
			p.Profile = v
		default:
			a.failAttr("binding:profile", "%s is not a dictionary", pyValue(raw))
		}
	}
	if raw, ok := a.body["mac_address"]; ok {
		req.macGiven = raw != nil
		req.macRenew = raw == nil
		if s, isStr := raw.(string); isStr {
			if m, err := parseMAC(s); err != nil {
				a.failAttr("mac_address", "%s", err.Error())
			} else {
				p.MAC = m.String()
			}
		} else if raw != nil {
			a.failAttr("mac_address", "%s is not a valid MAC address", pyValue(raw))
		}
	}
	if raw, ok := a.body["qos_policy_id"]; ok && raw != nil {
		a.failAttr("qos_policy_id", "QoS policies are not supported; only null is accepted")
	}
	req.fixed, req.fixedGiven = a.fixedIPs("fixed_ips")
	if raw, ok := a.body["security_groups"]; ok {
		req.sgGiven = true
		p.SecurityGroups = []string{}
		if raw != nil {
			a.strList("security_groups", &p.SecurityGroups)
			slices.Sort(p.SecurityGroups)
		}
	}
	if pairs, ok := a.addressPairs("allowed_address_pairs"); ok {
		p.AddressPairs = pairs
	}
	if opts, ok := a.dhcpOptions("extra_dhcp_opts"); ok {
		p.DHCPOptions = mergeDHCPOptions(p.DHCPOptions, opts)
	}
}

// fixedIPs reads fixed_ips: a list of {subnet_id, ip_address} with either or both.
func (a *attrs) fixedIPs(name string) ([]fixedIPRequest, bool) {
	if raw, ok := a.body[name]; ok && raw == nil {
		a.failAttr(name, "Invalid data format for fixed IP: 'None'")
		return nil, false
	}
	items, ok := a.objectList(name, nil, []string{"subnet_id", "ip_address"})
	if !ok {
		return nil, false
	}
	out := make([]fixedIPRequest, 0, len(items))
	var seen []netip.Addr
	for _, m := range items {
		var r fixedIPRequest
		if raw, ok := m["ip_address"]; ok {
			s, _ := raw.(string)
			ip, err := parseIP(s)
			if err != nil {
				a.failAttr(name, "%s is not a valid IP address", pyValue(raw))
				return nil, false
			}
			if slices.Contains(seen, ip) {
				a.failAttr(name, "Duplicate IP address '%s'", ip)
				return nil, false
			}
			seen = append(seen, ip)
			r.IP = ip
		}
		if raw, ok := m["subnet_id"]; ok {
			s, isStr := raw.(string)
			if !isStr || s == "" || len(s) > 36 {
				a.failAttr(name, "%s is not a valid UUID", pyValue(raw))
				return nil, false
			}
			r.SubnetID = s
		}
		out = append(out, r)
	}
	return out, true
}

// addressPairs reads allowed_address_pairs, as Neutron validates them.
func (a *attrs) addressPairs(name string) ([]AddressPair, bool) {
	items, ok := a.objectList(name, []string{"ip_address"}, []string{"mac_address"})
	if !ok {
		if a.err != nil && strings.Contains(a.err.Error(), "Expected keys") {
			a.err = &BadRequestError{Type: "AllowedAddressPairsMissingIP", Message: "AllowedAddressPair must contain ip_address"}
		}
		return nil, false
	}
	if len(items) > maxAddressPairs {
		a.err = &BadRequestError{Type: "AllowedAddressPairExhausted", Message: fmt.Sprintf("The number of allowed address pair exceeds the maximum %d.", maxAddressPairs)}
		return nil, false
	}
	out := make([]AddressPair, 0, len(items))
	for _, m := range items {
		var pair AddressPair
		if raw, ok := m["mac_address"]; ok {
			s, _ := raw.(string)
			mac, err := parseMAC(s)
			if err != nil {
				a.failAttr(name, "%s", err.Error())
				return nil, false
			}
			pair.MACAddress = mac.String()
		}
		s, _ := m["ip_address"].(string)
		if strings.Contains(s, "/") {
			p, err := parseCIDR(s)
			if err != nil || p.Addr().IsMulticast() {
				a.failAttr(name, "'%s' is not a valid IP subnet", s)
				return nil, false
			}
			pair.IPAddress = p.String()
		} else {
			ip, err := parseIP(s)
			if err != nil || ip.IsMulticast() {
				a.failAttr(name, "'%s' is not a valid IP address", s)
				return nil, false
			}
			pair.IPAddress = ip.String()
		}
		if slices.Contains(out, pair) {
			a.err = &BadRequestError{Type: "DuplicateAddressPairInRequest", Message: fmt.Sprintf(
				"Request contains duplicate address pair: mac_address %s ip_address %s.", nullText(pair.MACAddress), pair.IPAddress)}
			return nil, false
		}
		out = append(out, pair)
	}
	return out, true
}

func nullText(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

// dhcpOptions reads extra_dhcp_opts; a null opt_value asks (on update) to remove the option.
func (a *attrs) dhcpOptions(name string) ([]dhcpOptionRequest, bool) {
	items, ok := a.objectList(name, []string{"opt_name", "opt_value"}, []string{"ip_version"})
	if !ok {
		return nil, false
	}
	out := make([]dhcpOptionRequest, 0, len(items))
	for _, m := range items {
		var o dhcpOptionRequest
		o.Name, _ = m["opt_name"].(string)
		o.IPVersion = 4
		if o.Name == "" || len(o.Name) > 64 || strings.ContainsAny(o.Name, "\r\n") {
			a.failAttr(name, "%s is not a valid option name", pyValue(m["opt_name"]))
			return nil, false
		}
		switch v := m["opt_value"].(type) {
		case nil:
			o.Remove = true
		case string:
			blankOK := o.Name == "router" || o.Name == "classless-static-route"
			if (v == "" && !blankOK) || len(v) > 255 || strings.ContainsAny(v, "\r\n") {
				a.failAttr(name, "'%s' is not a valid value for option %s", v, o.Name)
				return nil, false
			}
			o.Value = v
		default:
			a.failAttr(name, "%s is not a valid option value", pyValue(v))
			return nil, false
		}
		if raw, ok := m["ip_version"]; ok {
			switch v := raw.(type) {
			case float64:
				o.IPVersion = int(v)
			case string:
				o.IPVersion = map[string]int{"4": 4, "6": 6}[v]
			default:
				o.IPVersion = 0
			}
			if o.IPVersion != 4 && o.IPVersion != 6 {
				a.failAttr(name, "%s is not in [4, 6]", pyValue(raw))
				return nil, false
			}
		}
		out = append(out, o)
	}
	return out, true
}

// dhcpOptionRequest is one entry of extra_dhcp_opts in a request.
type dhcpOptionRequest struct {
	DHCPOption
	Remove bool
}

// mergeDHCPOptions applies requested options to a port's: same name and IP version replace,
// a null value removes.
func mergeDHCPOptions(have []DHCPOption, reqs []dhcpOptionRequest) []DHCPOption {
	out := slices.Clone(have)
	for _, r := range reqs {
		i := slices.IndexFunc(out, func(o DHCPOption) bool { return o.Name == r.Name && o.IPVersion == r.IPVersion })
		switch {
		case r.Remove && i >= 0:
			out = slices.Delete(out, i, i+1)
		case r.Remove:
		case i >= 0:
			out[i] = r.DHCPOption
		default:
			out = append(out, r.DHCPOption)
		}
	}
	return out
}

// enforcePortAttrs checks the action's rule and those of the attributes the body sets, the
// fixed_ips and allowed_address_pairs sub-attributes included.
func (s *Service) enforcePortAttrs(c *auth.Context, action string, target map[string]string, body map[string]any) error {
	if err := s.enforceAttrs(c, action, target, body); err != nil {
		return err
	}
	for _, attr := range []string{"fixed_ips", "allowed_address_pairs"} {
		items, _ := body[attr].([]any)
		for _, sub := range []string{"subnet_id", "ip_address", "mac_address"} {
			rule := action + ":" + attr + ":" + sub
			if !s.policy.Known(rule) {
				continue
			}
			if slices.ContainsFunc(items, func(it any) bool { m, _ := it.(map[string]any); _, ok := m[sub]; return ok }) {
				if err := s.enforce(c, rule, target); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// createPort is POST /v2.0/ports.
func (s *Service) createPort(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "port")
	if err != nil {
		return err
	}
	if err := notInPost(body, "id", "status", "binding:vif_type", "binding:vif_details", "ip_allocation"); err != nil {
		return err
	}
	now := s.now()
	a := attrs{body: body, what: "port"}
	p := Port{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now},
		Status: StatusDown, AdminStateUp: true, VNICType: "normal", VIFType: vifUnbound, IPAllocation: "immediate"}
	var req portRequest
	a.require("network_id")
	a.str("network_id", &p.NetworkID, 36)
	a.readPortAttrs(&p, &req)
	a.strList("tags", &p.Tags)
	if err := a.finish(portCreateAttributes...); err != nil {
		return err
	}
	if err := s.checkProject(c, p.ProjectID); err != nil {
		return err
	}
	if len(req.fixed) > s.opts.MaxFixedIPs {
		return invalid("Exceeded maximum amount of fixed ips per port.")
	}
	n, err := getNetworkRow(ctx, s.db, p.NetworkID)
	if err == nil && !s.policy.Allowed("get_network", networkTarget(n), c.Credentials()) {
		err = &NotFoundError{Kind: "Network", ID: p.NetworkID}
	}
	if err != nil {
		return err
	}
	if err := s.networkForChild(c, n, p.ProjectID); err != nil {
		return err
	}
	if _, given := body["port_security_enabled"]; !given {
		p.PortSecurity = n.PortSecurity
	}
	target := portTarget(p, n)
	if err := s.enforcePortAttrs(c, "create_port", target, nonDefault(body, portDefaults)); err != nil {
		return err
	}
	if req.fixedGiven && len(req.fixed) == 0 {
		p.IPAllocation = "none"
	}
	for i := range p.AddressPairs {
		if p.AddressPairs[i].MACAddress == "" {
			p.AddressPairs[i].MACAddress = p.MAC // filled in below when the MAC is generated
		}
	}
	base := p
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		p = base // a transaction that lost a race runs again from the start
		p.AddressPairs = slices.Clone(base.AddressPairs)
		p.SecurityGroups = slices.Clone(base.SecurityGroups)
		if err := s.checkQuota(ctx, tx, p.ProjectID, "port", 1); err != nil {
			return err
		}
		if err := s.pickMAC(ctx, tx, &p, req.macGiven); err != nil {
			return err
		}
		t := ipamTx{ctx: ctx, tx: tx, networkID: n.ID, portID: p.ID}
		if err := s.allocate(t, &p, req.fixed, req.fixedGiven); err != nil {
			return err
		}
		if err := s.portSecurity(ctx, tx, c, &p, req, nil); err != nil {
			return err
		}
		ok, err := insertPortRow(ctx, tx, p)
		if err == nil && !ok { // another port took the MAC since pickMAC looked
			err = macInUse(p.NetworkID, p.MAC)
		}
		if err == nil {
			err = refreshPortList(ctx, tx, p.ID)
		}
		return err
	})
	if db.IsForeignKey(err) {
		return &ConflictError{Type: "Conflict", Message: "A subnet or the network of the port was deleted while the port was being made."}
	}
	if err != nil {
		return err
	}
	if p.HostID != "" {
		s.bind(ctx, &p, n)
	}
	s.dhcpPort(ctx, p, n, false)
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"port": portView(p, s.hiddenPortAttrs(c, target))})
	return nil
}

// notInPost refuses attributes that a create may not set, as Neutron words it.
func notInPost(body map[string]any, names ...string) error {
	for _, k := range names {
		if _, ok := body[k]; ok {
			return &BadRequestError{Type: "HTTPBadRequest", Message: "Attribute '" + k + "' not allowed in POST"}
		}
	}
	return nil
}

// pickMAC settles a new port's MAC: the given one, unless the network has it (409
// MacAddressInUse), or a generated one with the base_mac prefix that the network does not
// have. The unique key on network and MAC settles races when the port row is stored.
func (s *Service) pickMAC(ctx context.Context, tx *db.Tx, p *Port, given bool) error {
	for range 16 {
		if !given {
			mac := randomMAC(s.opts.BaseMAC).String()
			for i := range p.AddressPairs {
				if p.AddressPairs[i].MACAddress == p.MAC {
					p.AddressPairs[i].MACAddress = mac
				}
			}
			p.MAC = mac
		}
		used, err := db.Exists(ctx, tx, "SELECT 1 FROM net_port WHERE network_id = ? AND mac_address = ?", p.NetworkID, p.MAC)
		if err != nil || !used {
			return err
		}
		if given {
			return macInUse(p.NetworkID, p.MAC)
		}
	}
	return macGenerationFailure(p.NetworkID)
}

// macGenerationFailure is Neutron's 503 when no free MAC was found.
func macGenerationFailure(networkID string) error {
	return &httpapi.Error{Status: http.StatusServiceUnavailable, Title: "MacAddressGenerationFailure",
		Message: "Unable to generate unique mac on network " + networkID + "."}
}

func macInUse(networkID, mac string) error {
	return &ConflictError{Type: "MacAddressInUse", Message: fmt.Sprintf("Unable to complete operation for network %s. The mac address %s is in use.", networkID, mac)}
}

// allocate gives a new port its addresses, as Neutron's IPAM does: the requested fixed IPs
// (specific addresses first), or else one address from the network's IPv4 subnets (the first
// with room) and one from its stateful IPv6 subnets; and, router ports aside, the EUI-64
// address on every SLAAC or DHCPv6-stateless subnet.
func (s *Service) allocate(t ipamTx, p *Port, reqs []fixedIPRequest, given bool) error {
	all, err := networkSubnets(t.ctx, t.tx, p.NetworkID)
	if err != nil {
		return err
	}
	cands := candidateSubnets(all, p.DeviceOwner)
	if len(all) > 0 && len(cands) == 0 && (!given || len(reqs) > 0) {
		return &ConflictError{Type: "IpAddressGenerationFailureNoMatchingSubnet", Message: fmt.Sprintf(
			"No valid service subnet for the given device owner, network %s, service type %s.", p.NetworkID, p.DeviceOwner)}
	}
	handled := map[string]bool{}
	if given {
		if err := s.allocateRequested(t, p, cands, reqs, handled); err != nil {
			return err
		}
	} else {
		var v4, v6 []*Subnet
		for _, sub := range cands {
			switch {
			case sub.IPVersion == 4:
				v4 = append(v4, sub)
			case !sub.autoAddress():
				v6 = append(v6, sub)
			}
		}
		for _, group := range [][]*Subnet{v4, v6} {
			if len(group) == 0 {
				continue
			}
			if err := takeFromAny(t, p, group); err != nil {
				return err
			}
		}
	}
	return addSLAAC(t, p, cands, handled)
}

// candidateSubnets are the subnets a port may get addresses from: those without service types
// and those whose service types include the port's device owner (DHCP ports may use any
// subnet with DHCP), the latter first, as Neutron orders them.
func candidateSubnets(all []Subnet, owner string) []*Subnet {
	var typed, plain []*Subnet
	for i := range all {
		sub := &all[i]
		switch {
		case len(sub.ServiceTypes) == 0:
			plain = append(plain, sub)
		case slices.Contains(sub.ServiceTypes, owner) || (owner == "network:dhcp" && sub.EnableDHCP):
			typed = append(typed, sub)
		}
	}
	return append(typed, plain...)
}

// takeFromAny allocates one address from the first subnet of the group with room.
func takeFromAny(t ipamTx, p *Port, group []*Subnet) error {
	for _, sub := range group {
		a, ok, err := t.takeAny(sub)
		if err != nil {
			return err
		}
		if ok {
			p.FixedIPs = append(p.FixedIPs, FixedIP{SubnetID: sub.ID, IP: a})
			return nil
		}
	}
	return &ConflictError{Type: "IpAddressGenerationFailure", Message: "No more IP addresses available on network " + p.NetworkID + "."}
}

// allocateRequested allocates the requested fixed IPs, specific addresses first (so that an
// automatic pick cannot take an address asked for by the same request).
func (s *Service) allocateRequested(t ipamTx, p *Port, cands []*Subnet, reqs []fixedIPRequest, handled map[string]bool) error {
	type resolved struct {
		sub *Subnet
		ip  netip.Addr
	}
	var specific, auto []resolved
	for _, r := range reqs {
		sub, err := s.resolveFixedIP(t.ctx, t.tx, p, cands, r)
		if err != nil {
			return err
		}
		if r.IP.IsValid() {
			specific = append(specific, resolved{sub, r.IP})
		} else if !sub.autoAddress() || slices.Contains(routerPortOwners, p.DeviceOwner) {
			auto = append(auto, resolved{sub, r.IP})
		}
	}
	for _, r := range specific {
		if err := t.takeSpecific(r.sub, r.ip); err != nil {
			return err
		}
		p.FixedIPs = append(p.FixedIPs, FixedIP{SubnetID: r.sub.ID, IP: r.ip})
		handled[r.sub.ID] = true
	}
	for _, r := range auto {
		if err := takeFromAny(t, p, []*Subnet{r.sub}); err != nil {
			return err
		}
		handled[r.sub.ID] = true
	}
	return nil
}

// resolveFixedIP finds the subnet of one requested fixed IP and checks the address against
// it, with Neutron's errors.
func (s *Service) resolveFixedIP(ctx context.Context, tx *db.Tx, p *Port, cands []*Subnet, r fixedIPRequest) (*Subnet, error) {
	if len(cands) == 0 {
		return nil, invalid("IP allocation requires subnets for network.")
	}
	var sub *Subnet
	switch {
	case r.SubnetID != "":
		i := slices.IndexFunc(cands, func(x *Subnet) bool { return x.ID == r.SubnetID })
		if i < 0 {
			if _, err := getSubnet(ctx, tx, r.SubnetID); err != nil {
				return nil, err
			}
			return nil, invalid("Failed to create port on network %s, because fixed_ips included invalid subnet %s.", p.NetworkID, r.SubnetID)
		}
		sub = cands[i]
		if r.IP.IsValid() && !validForSubnet(sub.CIDR, r.IP, p.DeviceOwner) {
			return nil, &BadRequestError{Type: "InvalidIpForSubnet", Message: "IP address " + r.IP.String() + " is not a valid IP for the specified subnet."}
		}
	case r.IP.IsValid():
		i := slices.IndexFunc(cands, func(x *Subnet) bool { return validForSubnet(x.CIDR, r.IP, p.DeviceOwner) })
		if i < 0 {
			return nil, &BadRequestError{Type: "InvalidIpForNetwork", Message: "IP address " + r.IP.String() +
				" is not a valid IP for any of the subnets on the specified network."}
		}
		sub = cands[i]
	default:
		return nil, invalid("IP allocation requires subnet_id or ip_address.")
	}
	if r.IP.IsValid() && sub.autoAddress() && !slices.Contains(routerPortOwners, p.DeviceOwner) {
		mac, _ := parseMAC(p.MAC)
		if r.IP != eui64(sub.CIDR, mac) {
			return nil, &BadRequestError{Type: "AllocationOnAutoAddressSubnet", Message: fmt.Sprintf("IPv6 address %s cannot be directly "+
				"assigned to a port on subnet %s as the subnet is configured for automatic addresses", r.IP, sub.ID)}
		}
	}
	return sub, nil
}

// addSLAAC gives the port its EUI-64 address on each automatic-address subnet not handled yet.
func addSLAAC(t ipamTx, p *Port, cands []*Subnet, handled map[string]bool) error {
	if slices.Contains(routerPortOwners, p.DeviceOwner) {
		return nil
	}
	mac, err := parseMAC(p.MAC)
	if err != nil {
		return err
	}
	for _, sub := range cands {
		if !sub.autoAddress() || handled[sub.ID] || slices.ContainsFunc(p.FixedIPs, func(f FixedIP) bool { return f.SubnetID == sub.ID }) {
			continue
		}
		a := eui64(sub.CIDR, mac)
		if err := t.takeSpecific(sub, a); err != nil {
			return err
		}
		p.FixedIPs = append(p.FixedIPs, FixedIP{SubnetID: sub.ID, IP: a})
	}
	return nil
}

// portSecurity settles a port's security groups and address pairs as Neutron does: a port
// with port security and an address gets the groups asked for (checked by the security group
// code) or, unless it is a network device, its project's default group; without port security
// or addresses it may have neither groups nor address pairs. old is the port before an update.
func (s *Service) portSecurity(ctx context.Context, tx *db.Tx, c *auth.Context, p *Port, req portRequest, old *Port) error {
	hasIP := len(p.FixedIPs) > 0
	if len(p.AddressPairs) > 0 && !p.PortSecurity {
		return &ConflictError{Type: "AddressPairAndPortSecurityRequired",
			Message: "Port Security must be enabled in order to have allowed address pairs on a port."}
	}
	if !p.PortSecurity || !hasIP {
		if len(p.SecurityGroups) == 0 {
			return nil
		}
		if req.sgGiven || old == nil {
			return &BadRequestError{Type: "PortSecurityAndIPRequiredForSecurityGroups",
				Message: "Port security must be enabled and port must have an IP address in order to use security groups."}
		}
		return &ConflictError{Type: "PortSecurityPortHasSecurityGroup", Message: "Port has security group associated. " +
			"Cannot disable port security or ip address until security group is removed"}
	}
	if req.sgGiven {
		return s.checkSecurityGroups(ctx, tx, c, p.SecurityGroups)
	}
	if old != nil || strings.HasPrefix(p.DeviceOwner, "network:") {
		return nil
	}
	id, err := s.defaultSecurityGroup(ctx, tx, p.ProjectID)
	if err != nil {
		return err
	}
	p.SecurityGroups = []string{id}
	return nil
}

// withSegments completes a network loaded without its segments, for the data plane.
func (s *Service) withSegments(ctx context.Context, n Network) Network {
	if len(n.Segments) > 0 {
		return n
	}
	full, err := getNetwork(ctx, s.db, n.ID)
	if err != nil {
		s.log.Error("network of a port not loaded", "network", n.ID, "err", err)
		return n
	}
	return full
}

// bind hands a port with a host to the data plane and records the VIF type and details it
// answers; a failure is Neutron's binding_failed. The port is ACTIVE once a back end wired
// it and it is up, else DOWN (the noop data plane answers "unbound").
func (s *Service) bind(ctx context.Context, p *Port, n Network) {
	p.VIFType, p.VIFDetails = vifUnbound, map[string]any{}
	if p.HostID != "" {
		b, err := s.dataplane.Bind(ctx, dataplanePort(*p, s.withSegments(ctx, n)))
		if err != nil {
			s.log.Error("data plane: port binding failed", "port", p.ID, "host", p.HostID, "err", err)
			p.VIFType = vifBindingFailed
		} else {
			p.VIFType, p.VIFDetails = b.VIFType, b.VIFDetails
		}
	}
	p.Status = StatusDown
	if p.AdminStateUp && p.VIFType != vifUnbound && p.VIFType != vifBindingFailed {
		p.Status = StatusActive
	}
	if err := s.db.InTx(ctx, func(tx *db.Tx) error { return rewritePortDoc(ctx, tx, *p) }); err != nil {
		s.log.Error("port binding not recorded", "port", p.ID, "err", err)
	}
}

// unbind tells the data plane a port left its host; a failure is logged, the driver being
// idempotent.
func (s *Service) unbind(ctx context.Context, p Port, n Network) {
	if err := s.dataplane.Unbind(ctx, dataplanePort(p, s.withSegments(ctx, n))); err != nil {
		s.log.Error("data plane: port unbinding failed", "port", p.ID, "host", p.HostID, "err", err)
	}
}

// dataplanePort is what a data-plane driver needs of a port.
func dataplanePort(p Port, n Network) dataplane.Port {
	out := dataplane.Port{ID: p.ID, NetworkID: p.NetworkID, MACAddress: p.MAC, DeviceID: p.DeviceID, DeviceOwner: p.DeviceOwner,
		HostID: p.HostID, SecurityGroups: p.SecurityGroups, PortSecurity: p.PortSecurity}
	for _, ip := range p.FixedIPs {
		out.FixedIPs = append(out.FixedIPs, dataplane.FixedIP{SubnetID: ip.SubnetID, IPAddress: ip.IP.String()})
	}
	if len(n.Segments) > 0 {
		seg := n.Segments[0]
		out.Segment = dataplane.Segment{NetworkType: seg.NetworkType, PhysicalNetwork: seg.PhysicalNetwork,
			SegmentationID: seg.SegmentationID, MTU: n.MTU}
	}
	return out
}

// showPort is GET /v2.0/ports/{id}.
func (s *Service) showPort(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	p, n, err := s.loadPort(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := portView(p, s.hiddenPortAttrs(c, portTarget(p, n)))
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"port": selectFields(v, splitFields(r.URL.Query()["fields"]))})
	return nil
}

// listPorts is GET /v2.0/ports: the caller's project's ports and those on networks it owns
// (all for admins and services), with Neutron's filters — fixed_ips=ip_address=…,
// fixed_ips=subnet_id=…, fixed_ips=ip_address_substr=…, security_groups=… among them —
// sorting, pagination and fields.
func (s *Service) listPorts(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	params := r.URL.Query()
	var extra db.Where
	if values, ok := params["fixed_ips"]; ok {
		cond, args, err := fixedIPFilter(values)
		if err != nil {
			return err
		}
		extra.Add(cond, args...)
		params.Del("fixed_ips")
	}
	if values, ok := params["security_groups"]; ok {
		conds := make([]string, len(values))
		args := make([]any, len(values))
		for i, v := range values {
			conds[i], args[i] = "net_port.doc LIKE ? ESCAPE '!'", likePattern(v)
		}
		extra.Add("("+strings.Join(conds, " OR ")+")", args...)
		params.Del("security_groups")
	}
	stripped := r.Clone(r.Context())
	stripped.URL.RawQuery = params.Encode()
	q, err := portKind.parseList(stripped, s.opts.PageMax)
	if err != nil {
		return err
	}
	if cond := extra.String(); cond != "" {
		q.where.Add(strings.TrimPrefix(cond, " WHERE "), extra.Args...)
	}
	all := s.isAdmin(c) || c.Credentials().HasRole("service")
	if !all {
		q.where.Add("(net_port.project_id = ? OR net_port.network_id IN (SELECT id FROM net_network WHERE project_id = ?))", c.ProjectID, c.ProjectID)
	}
	if len(q.fields) == 0 {
		return s.writePortList(w, r, c, q)
	}
	ports, err := listPorts(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	hiding := s.portHiding(c)
	out := make([]map[string]any, len(ports))
	for i, p := range ports {
		out[i] = selectFields(portView(p, hiding(p.ProjectID, p.NetworkID)), q.fields)
	}
	body := map[string]any{"ports": out}
	if q.limit > 0 && len(ports) == q.limit {
		body["ports_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, ports[len(ports)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// fixedIPFilter reads Neutron's fixed_ips filter values (ip_address=…, subnet_id=…,
// ip_address_substr=…): a port matches when one of its addresses matches all of them.
func fixedIPFilter(values []string) (string, []any, error) {
	byKey := map[string][]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || (k != "ip_address" && k != "subnet_id" && k != "ip_address_substr") {
			return "", nil, &BadRequestError{Type: "HTTPBadRequest", Message: fmt.Sprintf(
				"Invalid fixed_ips filter '%s': want ip_address=…, subnet_id=… or ip_address_substr=…", v)}
		}
		byKey[k] = append(byKey[k], val)
	}
	var where db.Where
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		vals := byKey[k]
		if k == "ip_address_substr" {
			conds := make([]string, len(vals))
			args := make([]any, len(vals))
			for i, v := range vals {
				conds[i] = "ip_address LIKE ? ESCAPE '!'"
				args[i] = "%" + strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(v) + "%"
			}
			where.Add("("+strings.Join(conds, " OR ")+")", args...)
			continue
		}
		if k == "ip_address" {
			for i, v := range vals {
				if ip, err := netip.ParseAddr(v); err == nil {
					vals[i] = ip.String()
				}
			}
		}
		where.Add(k+" IN ("+inList(len(vals))+")", anyList(vals)...)
	}
	return "net_port.id IN (SELECT port_id FROM net_ip_allocation" + where.String() + ")", where.Args, nil
}

// updatePort is PUT /v2.0/ports/{id}: fixed_ips changes release and allocate addresses as
// Neutron's do; a bound port is bound again (on its new host, if it moved), an unbound one
// unbound.
func (s *Service) updatePort(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "port")
	if err != nil {
		return err
	}
	p, n, err := s.loadPort(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := readOnly(body, []string{"id", "network_id", "project_id", "tenant_id", "status", "binding:vif_type",
		"binding:vif_details", "ip_allocation"}); err != nil {
		return err
	}
	old := p
	var req portRequest
	a := attrs{body: body, what: "port"}
	a.readPortAttrs(&p, &req)
	if err := a.finish(portUpdateAttributes...); err != nil {
		return err
	}
	if len(req.fixed) > s.opts.MaxFixedIPs {
		return invalid("Exceeded maximum amount of fixed ips per port.")
	}
	target := portTarget(p, n)
	target["project_id"], target["tenant_id"] = old.ProjectID, old.ProjectID
	if err := s.enforcePortAttrs(c, "update_port", target, body); err != nil {
		return err
	}
	for i := range p.AddressPairs {
		if p.AddressPairs[i].MACAddress == "" {
			p.AddressPairs[i].MACAddress = p.MAC
		}
	}
	macChanged := req.macRenew || (req.macGiven && p.MAC != old.MAC)
	if macChanged && old.VIFType != vifUnbound && old.VIFType != vifBindingFailed {
		return &ConflictError{Type: "PortBound", Message: fmt.Sprintf("Unable to complete operation on port %s, port is already bound, "+
			"port type: %s, old_mac %s, new_mac %s.", p.ID, old.VIFType, old.MAC, p.MAC)}
	}
	p.UpdatedAt = s.now()
	base := p
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		p = base // a transaction that lost a race runs again from the start
		p.FixedIPs = slices.Clone(old.FixedIPs)
		if err := s.changeMAC(ctx, tx, &p, old, req, macChanged); err != nil {
			return err
		}
		t := ipamTx{ctx: ctx, tx: tx, networkID: n.ID, portID: p.ID}
		if req.fixedGiven {
			if err := s.reallocate(t, &p, req.fixed); err != nil {
				return err
			}
		}
		if err := s.portSecurity(ctx, tx, c, &p, req, &old); err != nil {
			return err
		}
		return refreshPortList(ctx, tx, p.ID)
	})
	if err != nil {
		return err
	}
	p.Revision++
	sortFixedIPs(p.FixedIPs)
	if old.HostID != "" && p.HostID != old.HostID {
		s.unbind(ctx, old, n)
	}
	if p.HostID != "" || old.HostID != "" {
		s.bind(ctx, &p, n) // drivers are idempotent: a bound port is bound again with what changed
	}
	s.dhcpPort(ctx, p, n, false)
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"port": portView(p, s.hiddenPortAttrs(c, target))})
	return nil
}

// changeMAC writes the updated port row, with a new MAC when asked (null: a generated one),
// and moves its EUI-64 addresses to the new MAC.
func (s *Service) changeMAC(ctx context.Context, tx *db.Tx, p *Port, old Port, req portRequest, changed bool) error {
	written := false
	for attempt := 0; attempt < 16 && !written; attempt++ {
		if req.macRenew {
			p.MAC = randomMAC(s.opts.BaseMAC).String()
		}
		ok, err := updatePortRow(ctx, tx, *p)
		switch {
		case err != nil:
			return err
		case !ok && !req.macRenew:
			return macInUse(p.NetworkID, p.MAC)
		}
		written = ok
	}
	if !written {
		return macGenerationFailure(p.NetworkID)
	}
	if !changed {
		return nil
	}
	oldMAC, err1 := parseMAC(old.MAC)
	newMAC, err2 := parseMAC(p.MAC)
	if err1 != nil || err2 != nil {
		return nil
	}
	subs, err := networkSubnets(ctx, tx, p.NetworkID)
	if err != nil {
		return err
	}
	t := ipamTx{ctx: ctx, tx: tx, networkID: p.NetworkID, portID: p.ID}
	for i, ip := range p.FixedIPs {
		j := slices.IndexFunc(subs, func(x Subnet) bool { return x.ID == ip.SubnetID })
		if j < 0 || !subs[j].autoAddress() || ip.IP != eui64(subs[j].CIDR, oldMAC) {
			continue
		}
		if err := releaseAddresses(ctx, tx, p.ID, []FixedIP{ip}); err != nil {
			return err
		}
		a := eui64(subs[j].CIDR, newMAC)
		if err := t.takeSpecific(&subs[j], a); err != nil {
			return err
		}
		p.FixedIPs[i].IP = a
	}
	return nil
}

// reallocate applies a new fixed_ips list as Neutron computes the change: requested addresses
// the port has stay, a subnet-only request reuses the port's address there, the rest of the
// old addresses go (automatic ones stay), and what is new is allocated.
func (s *Service) reallocate(t ipamTx, p *Port, reqs []fixedIPRequest) error {
	all, err := networkSubnets(t.ctx, t.tx, p.NetworkID)
	if err != nil {
		return err
	}
	auto := map[string]bool{}
	for _, sub := range all {
		auto[sub.ID] = sub.autoAddress() && !slices.Contains(routerPortOwners, p.DeviceOwner)
	}
	remaining := slices.Clone(p.FixedIPs)
	var keep []FixedIP
	var add []fixedIPRequest
	for _, r := range reqs {
		if !r.IP.IsValid() {
			continue
		}
		i := slices.IndexFunc(remaining, func(f FixedIP) bool { return f.IP == r.IP })
		if i >= 0 {
			keep = append(keep, remaining[i])
			remaining = slices.Delete(remaining, i, i+1)
		} else {
			add = append(add, r)
		}
	}
	for _, r := range reqs {
		if r.IP.IsValid() {
			continue
		}
		i := slices.IndexFunc(remaining, func(f FixedIP) bool { return f.SubnetID == r.SubnetID })
		if i >= 0 {
			keep = append(keep, remaining[i])
			remaining = slices.Delete(remaining, i, i+1)
		} else {
			add = append(add, r)
		}
	}
	var remove []FixedIP
	for _, f := range remaining {
		if auto[f.SubnetID] {
			keep = append(keep, f)
		} else {
			remove = append(remove, f)
		}
	}
	if err := releaseAddresses(t.ctx, t.tx, p.ID, remove); err != nil {
		return err
	}
	p.FixedIPs = keep
	handled := map[string]bool{}
	for _, f := range keep {
		handled[f.SubnetID] = true
	}
	cands := candidateSubnets(all, p.DeviceOwner)
	if len(add) > 0 {
		if err := s.allocateRequested(t, p, cands, add, handled); err != nil {
			return err
		}
	}
	return nil
}

// deletePort is DELETE /v2.0/ports/{id}: its addresses are released.
func (s *Service) deletePort(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	p, n, err := s.loadPort(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_port", portTarget(p, n)); err != nil {
		return err
	}
	var routers []string // whose floating IPs pointed at the port
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := guardServicePort(ctx, tx, p); err != nil {
			return err
		}
		var err error
		if routers, err = disassociatePort(ctx, tx, p.ID); err != nil {
			return err
		}
		return deletePortRows(ctx, tx, p.ID)
	})
	if err != nil {
		return err
	}
	if p.HostID != "" {
		s.unbind(ctx, p, n)
	}
	s.dhcpPort(ctx, p, n, true)
	for _, id := range routers {
		s.syncFloatingIPs(ctx, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
