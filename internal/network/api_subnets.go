package network

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// subnetExtensions are the extensions subnets bring. Subnet pools (subnet_allocation) are not
// implemented yet: subnetpool_id is always null and a subnet needs a cidr.
var subnetExtensions = []extension{
	{"subnet-service-types", "Subnet service types", "Subnets whose addresses only go to ports of the given device owners (service_types)."},
	{"network-ip-availability", "Network IP Availability", "The used and total addresses of networks and their subnets."},
}

// Neutron's defaults of [DEFAULT] max_dns_nameservers and max_subnet_host_routes.
const (
	maxDNSNameservers = 5
	maxHostRoutes     = 20
)

// Check strings shared by the subnet and port rules.
const (
	netOwnerMember = "role:member and rule:network_owner"
	netOwnerReader = "role:reader and rule:network_owner"
	adminOrService = "rule:admin_only or role:service"
)

// subnetPolicies are the default rules of subnets (and of network IP availability), with
// Neutron's names and defaults: the network's owner creates subnets on it; whoever may see
// the network (shared or external ones included) sees its subnets.
func subnetPolicies() []policy.Rule {
	many, one := "/v2.0/subnets", "/v2.0/subnets/{id}"
	return []policy.Rule{
		{Name: "network_owner", Check: "project_id:%(network:project_id)s", Description: "The caller's project owns the resource's network."},
		netRule("create_subnet", "rule:admin_only or ("+netOwnerMember+")", "Create a subnet.", "POST", many),
		netRule("create_subnet:segment_id", adminOnly, "Give a subnet's segment.", "POST", many),
		netRule("create_subnet:service_types", adminOnly, "Give a subnet's service types.", "POST", many),
		netRule("get_subnet", "rule:admin_only or ("+netOwnerReader+") or rule:project_reader or rule:shared or rule:external or role:service",
			"Show or list subnets.", "GET", one),
		netRule("get_subnet:segment_id", adminOnly, "See a subnet's segment.", "GET", one),
		netRule("update_subnet", adminOrMember+" or ("+netOwnerMember+")", "Update a subnet.", "PUT", one),
		netRule("update_subnet:segment_id", adminOnly, "Change a subnet's segment.", "PUT", one),
		netRule("update_subnet:service_types", adminOnly, "Change a subnet's service types.", "PUT", one),
		netRule("delete_subnet", adminOrMember+" or ("+netOwnerMember+")", "Delete a subnet.", "DELETE", one),
		netRule("get_network_ip_availability", adminOnly, "Show or list network IP availability.", "GET", "/v2.0/network-ip-availabilities/{network_id}"),
	}
}

// subnetRoutes registers the subnet API and network IP availability.
func (s *Service) subnetRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	mux.Handle("POST /v2.0/subnets", authed(s.createSubnet))
	mux.Handle("GET /v2.0/subnets", authed(s.listSubnets))
	mux.Handle("GET /v2.0/subnets/{id}", authed(s.showSubnet))
	mux.Handle("PUT /v2.0/subnets/{id}", authed(s.updateSubnet))
	mux.Handle("DELETE /v2.0/subnets/{id}", authed(s.deleteSubnet))
	s.tagRoutes(mux, authed, "subnets", "net_subnet", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		sub, n, err := s.loadSubnet(ctx, c, id)
		return subnetTarget(sub, n), "update_subnet", err
	})
	mux.Handle("GET /v2.0/network-ip-availabilities", authed(s.listIPAvailability))
	mux.Handle("GET /v2.0/network-ip-availabilities/{id}", authed(s.showIPAvailability))
}

// subnetTarget is the policy target of a subnet: its project, and its network's owner, shared
// and router:external.
func subnetTarget(sub Subnet, n Network) map[string]string {
	return map[string]string{"project_id": sub.ProjectID, "tenant_id": sub.ProjectID, "id": sub.ID, "network_id": n.ID,
		"network:project_id": n.ProjectID, "network:tenant_id": n.ProjectID,
		"shared": boolText(n.Shared), "router:external": boolText(n.External)}
}

// subnetView renders a subnet as Neutron does.
func (s *Service) subnetView(c *auth.Context, sub Subnet, target map[string]string) map[string]any {
	pools := make([]map[string]string, len(sub.Pools))
	for i, p := range sub.Pools {
		pools[i] = map[string]string{"start": p.Start.String(), "end": p.End.String()}
	}
	routes := sub.HostRoutes
	if routes == nil {
		routes = []HostRoute{}
	}
	v := map[string]any{
		"id": sub.ID, "name": sub.Name, "description": sub.Description, "tenant_id": sub.ProjectID, "project_id": sub.ProjectID,
		"network_id": sub.NetworkID, "ip_version": sub.IPVersion, "cidr": sub.CIDR.String(), "gateway_ip": sub.gatewayValue(),
		"allocation_pools": pools, "dns_nameservers": orEmpty(sub.DNS), "host_routes": routes, "enable_dhcp": sub.EnableDHCP,
		"ipv6_ra_mode": nullIfEmpty(sub.RAMode), "ipv6_address_mode": nullIfEmpty(sub.AddressMode), "subnetpool_id": nil,
		"service_types": orEmpty(sub.ServiceTypes), "tags": orEmpty(sub.Tags), "revision_number": sub.Revision,
		"created_at": neutronTime(sub.CreatedAt), "updated_at": neutronTime(sub.UpdatedAt),
	}
	if s.policy.Allowed("get_subnet:segment_id", target, c.Credentials()) {
		v["segment_id"] = nullIfEmpty(sub.SegmentID)
	}
	return v
}

// loadSubnet returns a subnet the caller may see, with its network; others are a 404.
func (s *Service) loadSubnet(ctx context.Context, c *auth.Context, id string) (Subnet, Network, error) {
	sub, err := getSubnet(ctx, s.db, id)
	if err != nil {
		return sub, Network{}, err
	}
	n, err := getNetwork(ctx, s.db, sub.NetworkID)
	if err != nil {
		return sub, n, err
	}
	if !s.policy.Allowed("get_subnet", subnetTarget(sub, n), c.Credentials()) {
		return sub, n, &NotFoundError{Kind: "Subnet", ID: id}
	}
	return sub, n, nil
}

// subnetAttributes are the attributes a subnet create may carry.
var subnetAttributes = []string{"id", "name", "description", "project_id", "tenant_id", "network_id", "ip_version", "cidr",
	"gateway_ip", "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode",
	"subnetpool_id", "use_default_subnetpool", "prefixlen", "service_types", "segment_id", "tags"}

// subnetReadOnly are the attributes a subnet update may not change.
var subnetReadOnly = []string{"id", "project_id", "tenant_id", "network_id", "ip_version", "cidr", "ipv6_ra_mode",
	"ipv6_address_mode", "subnetpool_id", "use_default_subnetpool", "prefixlen"}

// subnetInput is what a subnet request says, beyond the subnet it fills in.
type subnetInput struct {
	gatewayGiven bool // gateway_ip present (null included)
	poolsGiven   bool
}

// readSubnetAttrs reads the attributes a create and an update share into sub.
func (a *attrs) readSubnetAttrs(sub *Subnet, in *subnetInput) {
	a.str("name", &sub.Name, 255)
	a.str("description", &sub.Description, 255)
	a.boolean("enable_dhcp", &sub.EnableDHCP)
	if _, ok := a.body["gateway_ip"]; ok {
		in.gatewayGiven = true
		sub.Gateway = netip.Addr{}
		a.ipAddress("gateway_ip", &sub.Gateway, true)
	}
	if pools, ok := a.pools("allocation_pools"); ok {
		in.poolsGiven = true
		sub.Pools = pools
	}
	if v, ok := a.ipStrings("dns_nameservers"); ok {
		sub.DNS = v
	}
	if v, ok := a.hostRoutes("host_routes"); ok {
		sub.HostRoutes = v
	}
	if v, ok := a.serviceTypes("service_types"); ok {
		sub.ServiceTypes = v
	}
	if raw, ok := a.body["segment_id"]; ok && raw != nil {
		a.str("segment_id", &sub.SegmentID, 36)
	} else if ok {
		sub.SegmentID = ""
	}
}

// createSubnet is POST /v2.0/subnets.
func (s *Service) createSubnet(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "subnet")
	if err != nil {
		return err
	}
	now := s.now()
	a := attrs{body: body, what: "subnet"}
	sub := Subnet{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now}, EnableDHCP: true}
	var in subnetInput
	a.require("network_id", "ip_version")
	a.str("network_id", &sub.NetworkID, 36)
	a.ipVersion(&sub.IPVersion)
	a.readSubnetAttrs(&sub, &in)
	a.strList("tags", &sub.Tags)
	a.ipv6Mode("ipv6_ra_mode", &sub.RAMode)
	a.ipv6Mode("ipv6_address_mode", &sub.AddressMode)
	cidrText := ""
	a.str("cidr", &cidrText, 64)
	if err := a.finish(subnetAttributes...); err != nil {
		return err
	}
	if err := s.checkProject(c, sub.ProjectID); err != nil {
		return err
	}
	if err := subnetPoolRequest(body, cidrText); err != nil {
		return err
	}
	if sub.CIDR, err = parseCIDR(cidrText); err != nil {
		return badAttr("cidr", err.Error())
	}
	n, err := s.loadNetwork(ctx, c, sub.NetworkID)
	if err != nil {
		return err
	}
	if err := s.networkForChild(c, n, sub.ProjectID); err != nil {
		return err
	}
	target := subnetTarget(sub, n)
	if err := s.enforceAttrs(c, "create_subnet", target, nonDefault(body, subnetDefaults)); err != nil {
		return err
	}
	if !in.gatewayGiven {
		sub.Gateway, _ = defaultGateway(sub.CIDR)
	}
	if err := validateSubnet(&sub, in, nil); err != nil {
		return err
	}
	if sub.SegmentID != "" && !slices.ContainsFunc(n.Segments, func(g Segment) bool { return g.ID == sub.SegmentID }) {
		return &NotFoundError{Kind: "Segment", ID: sub.SegmentID}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := touchNetwork(ctx, tx, n.ID, now); err != nil {
			return err
		}
		if err := s.checkQuota(ctx, tx, sub.ProjectID, "subnet", 1); err != nil {
			return err
		}
		others, err := networkSubnets(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.CIDR.Overlaps(sub.CIDR) {
				return invalid("Requested subnet with cidr: %s for network: %s overlaps with another subnet.", sub.CIDR, n.ID)
			}
		}
		if err := insertSubnet(ctx, tx, sub); err != nil {
			return err
		}
		if sub.autoAddress() {
			return addAutoAddresses(ctx, tx, sub)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.syncDHCP(ctx, sub.NetworkID, false)
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"subnet": s.subnetView(c, sub, target)})
	return nil
}

// subnetDefaults are the values of subnet attributes that need no attribute policy.
var subnetDefaults = map[string]any{"segment_id": nil, "service_types": []any{}}

// subnetPoolRequest refuses what only subnet pools could satisfy, with Neutron's errors.
func subnetPoolRequest(body map[string]any, cidr string) error {
	if id, ok := body["subnetpool_id"].(string); ok {
		return &NotFoundError{Kind: "SubnetPool", ID: id}
	}
	if v, ok := body["use_default_subnetpool"]; ok && (v == true || v == "true" || v == "True") {
		return &BadRequestError{Type: "BadRequest", Message: "Bad subnets request: No default subnet pool is configured (subnet pools are not supported)."}
	}
	_, prefixlen := body["prefixlen"]
	switch {
	case cidr != "" && prefixlen:
		return &BadRequestError{Type: "BadRequest", Message: "Bad subnets request: cidr and prefixlen must not be supplied together."}
	case prefixlen:
		return &BadRequestError{Type: "BadRequest", Message: "Bad subnets request: a subnetpool must be specified in the absence of a cidr."}
	case cidr == "":
		return &BadRequestError{Type: "BadRequest", Message: "Bad subnets request: A cidr must be specified in the absence of a subnet pool."}
	}
	return nil
}

// networkForChild checks the network (one the caller can see) a new subnet or port of the
// project goes on: unless the caller is an admin or a service or the network is shared, the
// project must own it — Neutron's 404 that hides others' networks.
func (s *Service) networkForChild(c *auth.Context, n Network, projectID string) error {
	if s.isAdmin(c) || c.Credentials().HasRole("service") || n.Shared || n.ProjectID == projectID {
		return nil
	}
	return &httpapi.Error{Status: http.StatusNotFound, Title: "HTTPNotFound", Message: "The resource could not be found."}
}

// checkProject refuses a project other than the caller's unless an admin or a service asks.
func (s *Service) checkProject(c *auth.Context, project string) error {
	if project == c.ProjectID || s.isAdmin(c) || c.Credentials().HasRole("service") {
		return nil
	}
	return &BadRequestError{Type: "HTTPBadRequest",
		Message: "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user."}
}

// validateSubnet checks a subnet as Neutron's _validate_subnet does, then its pools: given
// ones against the subnet and gateway, default ones made from them. old is the subnet before
// an update, nil on create.
func validateSubnet(sub *Subnet, in subnetInput, old *Subnet) error {
	v := sub.IPVersion
	p := sub.CIDR
	if versionOf(p.Addr()) != v {
		return invalid("cidr '%s' does not match the ip_version '%d'.", p, v)
	}
	if old == nil {
		if p.Bits() == 0 {
			return invalid("0 is not allowed as CIDR prefix length.")
		}
		if v == 6 && p.Addr().IsUnspecified() {
			return invalid("IPv6 subnet '::' is not supported.")
		}
	}
	if sub.EnableDHCP && (old == nil || !old.EnableDHCP) {
		if err := dhcpCapable(p); err != nil {
			return err
		}
	}
	if in.gatewayGiven && sub.Gateway.IsValid() {
		gw := sub.Gateway
		if versionOf(gw) != v {
			return invalid("gateway_ip '%s' does not match the ip_version '%d'.", gw, v)
		}
		if gatewayInvalid(p, gw) {
			return invalid("Gateway is not valid on subnet.")
		}
		if !p.Contains(gw) {
			return invalid("Gateway ip %s is outside the subnet %s.", gw, p)
		}
	}
	if len(sub.DNS) > maxDNSNameservers {
		return &BadRequestError{Type: "DNSNameServersExhausted", Message: fmt.Sprintf("Unable to complete operation for %s. "+
			"The number of DNS nameservers exceeds the limit %d.", subnetLabel(old), maxDNSNameservers)}
	}
	for _, d := range sub.DNS {
		if a, _ := netip.ParseAddr(d); versionOf(a) != v {
			return invalid("dns_nameserver '%s' does not match the ip_version '%d'.", d, v)
		}
	}
	if len(sub.HostRoutes) > maxHostRoutes {
		return &BadRequestError{Type: "HostRoutesExhausted", Message: fmt.Sprintf("Unable to complete operation for %s. "+
			"The number of host routes exceeds the limit %d.", subnetLabel(old), maxHostRoutes)}
	}
	for _, rt := range sub.HostRoutes {
		nh, _ := netip.ParseAddr(rt.NextHop)
		dst, _ := netip.ParsePrefix(rt.Destination)
		if versionOf(nh) != v {
			return invalid("nexthop '%s' does not match the ip_version '%d'.", rt.NextHop, v)
		}
		if versionOf(dst.Addr()) != v {
			return invalid("destination '%s' does not match the ip_version '%d'.", rt.Destination, v)
		}
	}
	if err := validateIPv6Modes(sub, old); err != nil {
		return err
	}
	switch {
	case in.poolsGiven:
		return validatePools(sub.Pools, p, sub.Gateway)
	case old == nil:
		sub.Pools = defaultPools(p, sub.Gateway)
	case in.gatewayGiven:
		return gatewayOutOfPools(sub.Gateway, sub.Pools)
	}
	return nil
}

// subnetLabel is how Neutron's exhaustion errors name a subnet.
func subnetLabel(old *Subnet) string {
	if old == nil {
		return "new subnet"
	}
	return old.ID
}

// dhcpCapable refuses subnets DHCP cannot serve, with Neutron's messages.
func dhcpCapable(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case (a.Is4() && p.Bits() > 30) || (!a.Is4() && p.Bits() > 126):
		return invalid("Subnet has a prefix length that is incompatible with DHCP service enabled.")
	case a.IsMulticast():
		return invalid("Multicast IP subnet is not supported if enable_dhcp is True.")
	case a.IsLoopback():
		return invalid("Loopback IP subnet is not supported if enable_dhcp is True.")
	case a.Is4() && a == netip.IPv4Unspecified():
		return invalid("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")
	}
	return nil
}

// validateIPv6Modes checks ipv6_ra_mode and ipv6_address_mode as Neutron does.
func validateIPv6Modes(sub *Subnet, old *Subnet) error {
	set := sub.RAMode != "" || sub.AddressMode != ""
	if sub.IPVersion == 4 {
		if sub.RAMode != "" {
			return invalid("ipv6_ra_mode is not valid when ip_version is 4.")
		}
		if sub.AddressMode != "" {
			return invalid("ipv6_address_mode is not valid when ip_version is 4.")
		}
		return nil
	}
	if old != nil {
		if set && !sub.EnableDHCP {
			return invalid("Cannot disable enable_dhcp with ipv6 attributes set.")
		}
		return nil
	}
	if set && !sub.EnableDHCP {
		return invalid("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False.")
	}
	if sub.RAMode != "" && sub.AddressMode != "" && sub.RAMode != sub.AddressMode {
		return invalid("ipv6_ra_mode set to '%s' with ipv6_address_mode set to '%s' is not valid. "+
			"If both attributes are set, they must be the same value.", sub.RAMode, sub.AddressMode)
	}
	if sub.autoAddress() && sub.CIDR.Bits() != 64 {
		return invalid("Invalid CIDR %s for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64.", sub.CIDR)
	}
	return nil
}

// versionOf is 4 or 6 (0 for the zero Addr).
func versionOf(a netip.Addr) int {
	switch {
	case a.Is4():
		return 4
	case a.Is6():
		return 6
	}
	return 0
}

// addAutoAddresses gives every port of the subnet's network, router ports aside, its EUI-64
// address on a new SLAAC or DHCPv6-stateless subnet, as Neutron does.
func addAutoAddresses(ctx context.Context, tx *db.Tx, sub Subnet) error {
	type ref struct{ id, mac, owner string }
	ports, err := db.QueryAll(ctx, tx, func(r db.Scanner) (ref, error) {
		var p ref
		err := r.Scan(&p.id, &p.mac, &p.owner)
		return p, err
	}, "SELECT id, mac_address, device_owner FROM net_port WHERE network_id = ? ORDER BY id", sub.NetworkID)
	if err != nil {
		return err
	}
	for _, p := range ports {
		mac, err := parseMAC(p.mac)
		if err != nil || slices.Contains(routerPortOwners, p.owner) {
			continue
		}
		t := ipamTx{ctx: ctx, tx: tx, networkID: sub.NetworkID, portID: p.id}
		if err := t.takeSpecific(&sub, eui64(sub.CIDR, mac)); err != nil {
			return err
		}
	}
	return nil
}

// showSubnet is GET /v2.0/subnets/{id}.
func (s *Service) showSubnet(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	sub, n, err := s.loadSubnet(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.subnetView(c, sub, subnetTarget(sub, n))
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"subnet": selectFields(v, splitFields(r.URL.Query()["fields"]))})
	return nil
}

// listSubnets is GET /v2.0/subnets: the caller's project's subnets and those of networks it
// owns or that are shared or external (all for admins), filtered, sorted and paged.
func (s *Service) listSubnets(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := subnetKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("(net_subnet.project_id = ? OR net_subnet.network_id IN (SELECT id FROM net_network WHERE project_id = ? "+
			"OR shared = ? OR router_external = ?))", c.ProjectID, c.ProjectID, true, true)
	}
	subs, err := listSubnets(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(subs))
	for i, sub := range subs {
		target := map[string]string{"project_id": sub.ProjectID, "network_id": sub.NetworkID}
		out[i] = selectFields(s.subnetView(c, sub, target), q.fields)
	}
	body := map[string]any{"subnets": out}
	if q.limit > 0 && len(subs) == q.limit {
		body["subnets_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, subs[len(subs)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// updateSubnet is PUT /v2.0/subnets/{id}.
func (s *Service) updateSubnet(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "subnet")
	if err != nil {
		return err
	}
	sub, n, err := s.loadSubnet(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := readOnly(body, subnetReadOnly); err != nil {
		return err
	}
	target := subnetTarget(sub, n)
	if err := s.enforceAttrs(c, "update_subnet", target, body); err != nil {
		return err
	}
	old := sub
	var in subnetInput
	a := attrs{body: body, what: "subnet"}
	a.readSubnetAttrs(&sub, &in)
	if err := a.finish("name", "description", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes", "enable_dhcp",
		"service_types", "segment_id"); err != nil {
		return err
	}
	if err := validateSubnet(&sub, in, &old); err != nil {
		return err
	}
	if sub.SegmentID != "" && !slices.ContainsFunc(n.Segments, func(g Segment) bool { return g.ID == sub.SegmentID }) {
		return &NotFoundError{Kind: "Segment", ID: sub.SegmentID}
	}
	sub.UpdatedAt = s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return updateSubnetRow(ctx, tx, sub) })
	if err != nil {
		return err
	}
	sub.Revision++
	s.syncDHCP(ctx, sub.NetworkID, false)
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"subnet": s.subnetView(c, sub, target)})
	return nil
}

// readOnly refuses a PUT that sets an attribute updates may not change, as Neutron words it.
func readOnly(body map[string]any, names []string) error {
	for _, k := range names {
		if _, ok := body[k]; ok {
			return &BadRequestError{Type: "HTTPBadRequest", Message: "Cannot update read-only attribute " + k}
		}
	}
	return nil
}

// autoDeletePortOwners are the ports whose addresses go with a subnet (Neutron's
// AUTO_DELETE_PORT_OWNERS); any other port's address keeps it in use.
var autoDeletePortOwners = []string{"network:dhcp", "network:router_interface_distributed", "network:floatingip_agent_gateway"}

// deleteSubnet is DELETE /v2.0/subnets/{id}: refused (409 SubnetInUse) while a port other
// than the network's own service ports has an address there; on SLAAC subnets the
// addresses of ordinary ports simply go, router interfaces aside.
func (s *Service) deleteSubnet(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	sub, n, err := s.loadSubnet(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_subnet", subnetTarget(sub, n)); err != nil {
		return err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := touchNetwork(ctx, tx, n.ID, now); err != nil {
			return err
		}
		owners, err := db.QueryStrings(ctx, tx, "SELECT DISTINCT p.device_owner FROM net_ip_allocation a "+
			"JOIN net_port p ON p.id = a.port_id WHERE a.subnet_id = ?", sub.ID)
		if err != nil {
			return err
		}
		for _, o := range owners {
			if slices.Contains(routerPortOwners, o) || (!sub.autoAddress() && !slices.Contains(autoDeletePortOwners, o)) {
				return &ConflictError{Type: "SubnetInUse", Message: "Unable to complete operation on subnet " + sub.ID +
					": One or more ports have an IP allocation from this subnet."}
			}
		}
		return deleteSubnetRows(ctx, tx, sub, now)
	})
	if db.IsForeignKey(err) { // a port took an address here while we looked
		return &ConflictError{Type: "SubnetInUse", Message: "Unable to complete operation on subnet " + sub.ID +
			": One or more ports have an IP allocation from this subnet."}
	}
	if err != nil {
		return err
	}
	s.syncDHCP(ctx, sub.NetworkID, false)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listIPAvailability is GET /v2.0/network-ip-availabilities (admin).
func (s *Service) listIPAvailability(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if err := s.enforce(c, "get_network_ip_availability", nil); err != nil {
		return err
	}
	var where db.Where
	params := r.URL.Query()
	for name, expr := range map[string]string{"network_id": "n.id", "network_name": "n.name", "project_id": "n.project_id",
		"tenant_id": "n.project_id"} {
		if vs := params[name]; len(vs) > 0 {
			where.Add(expr+" IN ("+inList(len(vs))+")", anyList(vs)...)
		}
	}
	var versions []any
	for _, v := range params["ip_version"] {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalid("'%s' is not an integer for ip_version", v)
		}
		versions = append(versions, n)
	}
	for name := range params {
		if !slices.Contains([]string{"network_id", "network_name", "project_id", "tenant_id", "ip_version", "fields"}, name) {
			return &BadRequestError{Type: "HTTPBadRequest", Message: "[" + name + "] is invalid attribute for filtering"}
		}
	}
	out, err := s.ipAvailability(r.Context(), where, versions)
	if err != nil {
		return err
	}
	fields := splitFields(params["fields"])
	for i := range out {
		out[i] = selectFields(out[i], fields)
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"network_ip_availabilities": out})
	return nil
}

// showIPAvailability is GET /v2.0/network-ip-availabilities/{id} (admin).
func (s *Service) showIPAvailability(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if err := s.enforce(c, "get_network_ip_availability", nil); err != nil {
		return err
	}
	var where db.Where
	where.Add("n.id = ?", r.PathValue("id"))
	out, err := s.ipAvailability(r.Context(), where, nil)
	if err != nil {
		return err
	}
	if len(out) == 0 {
		return &NotFoundError{Kind: "Network", ID: r.PathValue("id")}
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"network_ip_availability": selectFields(out[0], splitFields(r.URL.Query()["fields"]))})
	return nil
}

// ipAvailability counts, per network and subnet, the addresses of the pools (total_ips) and
// those allocated (used_ips), as Neutron's network-ip-availability does. Totals of IPv6
// subnets exceed 64 bits and are written as big integers.
func (s *Service) ipAvailability(ctx context.Context, where db.Where, versions []any) ([]map[string]any, error) {
	type netRow struct{ id, name, project string }
	nets, err := db.QueryAll(ctx, s.db, func(r db.Scanner) (netRow, error) {
		var n netRow
		err := r.Scan(&n.id, &n.name, &n.project)
		return n, err
	}, "SELECT n.id, n.name, n.project_id FROM net_network n"+where.String()+" ORDER BY n.id", where.Args...)
	if err != nil {
		return nil, err
	}
	used := map[string]int64{}
	err = db.EachRow(ctx, s.db, "SELECT subnet_id, COUNT(*) FROM net_ip_allocation GROUP BY subnet_id", nil, func(r db.Scanner) error {
		var id string
		var n int64
		err := r.Scan(&id, &n)
		used[id] = n
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(nets))
	for _, n := range nets {
		subs, err := networkSubnets(ctx, s.db, n.id)
		if err != nil {
			return nil, err
		}
		netTotal, netUsed := new(big.Int), int64(0)
		subOut := []map[string]any{}
		for _, sub := range subs {
			if len(versions) > 0 && !slices.Contains(versions, any(sub.IPVersion)) {
				continue
			}
			total := new(big.Int)
			for _, p := range sub.Pools {
				sz := p.size()
				total.Add(total, new(big.Int).Or(new(big.Int).Lsh(new(big.Int).SetUint64(sz.hi), 64), new(big.Int).SetUint64(sz.lo)))
			}
			netTotal.Add(netTotal, total)
			netUsed += used[sub.ID]
			subOut = append(subOut, map[string]any{"subnet_id": sub.ID, "subnet_name": sub.Name, "cidr": sub.CIDR.String(),
				"ip_version": sub.IPVersion, "total_ips": total, "used_ips": used[sub.ID]})
		}
		if len(versions) > 0 && len(subOut) == 0 {
			continue
		}
		out = append(out, map[string]any{"network_id": n.id, "network_name": n.name, "project_id": n.project, "tenant_id": n.project,
			"total_ips": netTotal, "used_ips": netUsed, "subnet_ip_availability": subOut})
	}
	return out, nil
}

// badAttr is the 400 Neutron's API layer gives a value its validator refuses.
func badAttr(name, reason string) error {
	return &BadRequestError{Type: "HTTPBadRequest", Message: fmt.Sprintf("Invalid input for %s. Reason: %s.", name, reason)}
}

// failAttr records a badAttr unless an error is recorded already.
func (a *attrs) failAttr(name, format string, args ...any) {
	if a.err == nil {
		a.err = badAttr(name, fmt.Sprintf(format, args...))
	}
}

// require refuses a create without one of the required attributes, as Neutron words it.
func (a *attrs) require(names ...string) {
	for _, n := range names {
		if _, ok := a.body[n]; !ok && a.err == nil {
			a.err = &BadRequestError{Type: "HTTPBadRequest", Message: "Failed to parse request. Required attribute '" + n + "' not specified"}
		}
	}
}

// ipVersion reads ip_version: 4 or 6, as a number or a string.
func (a *attrs) ipVersion(dst *int) {
	raw, ok := a.body["ip_version"]
	if !ok {
		return
	}
	switch v := raw.(type) {
	case float64:
		*dst = int(v)
		if float64(*dst) != v {
			*dst = 0
		}
	case string:
		*dst, _ = strconv.Atoi(v)
	}
	if *dst != 4 && *dst != 6 {
		a.failAttr("ip_version", "%s is not in [4, 6]", pyValue(raw))
	}
}

// ipv6Mode reads ipv6_ra_mode or ipv6_address_mode; null is unset.
func (a *attrs) ipv6Mode(name string, dst *string) {
	raw, ok := a.body[name]
	if !ok || raw == nil {
		return
	}
	v, _ := raw.(string)
	if v != modeSLAAC && v != modeStateful && v != modeStateless {
		a.failAttr(name, "%s is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac']", pyValue(raw))
		return
	}
	*dst = v
}

// ipAddress reads an IP address; null (when nullable) leaves dst the zero Addr.
func (a *attrs) ipAddress(name string, dst *netip.Addr, nullable bool) {
	raw, ok := a.body[name]
	if !ok || (raw == nil && nullable) {
		return
	}
	s, _ := raw.(string)
	ip, err := parseIP(s)
	if err != nil {
		a.failAttr(name, "%s is not a valid IP address", pyValue(raw))
		return
	}
	*dst = ip
}

// ipStrings reads a list of unique IP addresses (dns_nameservers); null is the empty list.
func (a *attrs) ipStrings(name string) ([]string, bool) {
	raw, ok := a.body[name]
	if !ok {
		return nil, false
	}
	if raw == nil {
		return []string{}, true
	}
	items, isList := raw.([]any)
	if !isList {
		a.failAttr(name, "Invalid data format for nameserver: %s", pyValue(raw))
		return nil, false
	}
	out := []string{}
	for _, it := range items {
		s, _ := it.(string)
		ip, err := parseIP(s)
		if err != nil {
			a.failAttr(name, "%s is not a valid nameserver. '%v' is not a valid IP address", pyValue(it), it)
			return nil, false
		}
		if slices.Contains(out, ip.String()) {
			a.failAttr(name, "Duplicate nameserver '%s'", ip)
			return nil, false
		}
		out = append(out, ip.String())
	}
	return out, true
}

// objectList reads a list of JSON objects with exactly the expected keys (optional ones may be
// missing), as Neutron's _verify_dict_keys.
func (a *attrs) objectList(name string, required, optional []string) ([]map[string]any, bool) {
	raw, ok := a.body[name]
	if !ok {
		return nil, false
	}
	if raw == nil {
		return []map[string]any{}, true
	}
	items, isList := raw.([]any)
	if !isList {
		a.failAttr(name, "Invalid data format for %s: %s", strings.TrimSuffix(name, "s"), pyValue(raw))
		return nil, false
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, isMap := it.(map[string]any)
		if !isMap {
			a.failAttr(name, "Invalid data format for %s: %s", strings.TrimSuffix(name, "s"), pyValue(it))
			return nil, false
		}
		for _, k := range required {
			if _, ok := m[k]; !ok {
				a.failAttr(name, "Expected keys: %s Provided keys: %s", pyList(required), pyList(sortedKeys(m)))
				return nil, false
			}
		}
		for k := range m {
			if !slices.Contains(required, k) && !slices.Contains(optional, k) {
				a.failAttr(name, "Unrecognized attribute(s) '%s'", k)
				return nil, false
			}
		}
		out = append(out, m)
	}
	return out, true
}

// pools reads allocation_pools; null is "not given".
func (a *attrs) pools(name string) ([]ipRange, bool) {
	if raw, ok := a.body[name]; ok && raw == nil {
		return nil, false
	}
	items, ok := a.objectList(name, []string{"start", "end"}, nil)
	if !ok {
		return nil, false
	}
	out := make([]ipRange, 0, len(items))
	for _, m := range items {
		var r ipRange
		for _, k := range []string{"start", "end"} {
			s, _ := m[k].(string)
			ip, err := parseIP(s)
			if err != nil {
				a.failAttr(name, "%s is not a valid IP address", pyValue(m[k]))
				return nil, false
			}
			if k == "start" {
				r.Start = ip
			} else {
				r.End = ip
			}
		}
		out = append(out, r)
	}
	return out, true
}

// hostRoutes reads host_routes; null is the empty list.
func (a *attrs) hostRoutes(name string) ([]HostRoute, bool) {
	items, ok := a.objectList(name, []string{"destination", "nexthop"}, nil)
	if !ok {
		return nil, false
	}
	out := make([]HostRoute, 0, len(items))
	for _, m := range items {
		d, _ := m["destination"].(string)
		dst, err := netip.ParsePrefix(d)
		if err != nil {
			a.failAttr(name, "%s is not a valid IP subnet", pyValue(m["destination"]))
			return nil, false
		}
		if dst.Masked() != dst {
			a.failAttr(name, "'%s' is not a recognized CIDR, '%s' is recommended", d, dst.Masked())
			return nil, false
		}
		nh, _ := m["nexthop"].(string)
		hop, err := parseIP(nh)
		if err != nil {
			a.failAttr(name, "%s is not a valid IP address", pyValue(m["nexthop"]))
			return nil, false
		}
		rt := HostRoute{Destination: dst.String(), NextHop: hop.String()}
		if slices.Contains(out, rt) {
			a.failAttr(name, "Duplicate hostroute '%s'", pyValue(m))
			return nil, false
		}
		out = append(out, rt)
	}
	return out, true
}

// serviceTypes reads service_types: device owners such as network:router_gateway or
// compute:nova.
func (a *attrs) serviceTypes(name string) ([]string, bool) {
	raw, ok := a.body[name]
	if !ok {
		return nil, false
	}
	if raw == nil {
		return []string{}, true
	}
	var out []string
	a.strList(name, &out)
	if a.err != nil {
		return nil, false
	}
	for _, t := range out {
		if !strings.HasPrefix(t, "network:") && !strings.HasPrefix(t, "compute:") && !strings.HasPrefix(t, "neutron:") {
			if a.err == nil {
				a.err = &BadRequestError{Type: "InvalidSubnetServiceType",
					Message: "Subnet service type " + t + " does not correspond to a valid device owner."}
			}
			return nil, false
		}
	}
	return orEmpty(out), true
}

// nonDefault drops the attributes whose value is their default, which Neutron's policy engine
// does not check attribute rules for.
func nonDefault(body map[string]any, defaults map[string]any) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		if d, ok := defaults[k]; ok && fmt.Sprint(d) == fmt.Sprint(v) {
			continue
		}
		out[k] = v
	}
	return out
}

// pyValue renders a JSON value roughly as Python's repr would in Neutron's messages.
func pyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return "'" + x + "'"
	case bool:
		return boolText(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, "'"+k+"': "+pyValue(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = pyValue(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// pyList renders strings as a Python list.
func pyList(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = "'" + s + "'"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
