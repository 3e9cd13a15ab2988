package network

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"

	"github.com/gostack/gostack/internal/network/dataplane"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// floatingIPPolicies are the default rules of floating IPs, with Neutron's names and
// defaults: members manage their project's; only admins choose the address.
func floatingIPPolicies() []policy.Rule {
	many, one := "/v2.0/floatingips", "/v2.0/floatingips/{id}"
	return []policy.Rule{
		netRule("create_floatingip", adminOrMember, "Create a floating IP.", "POST", many),
		netRule("create_floatingip:floating_ip_address", adminOnly, "Create a floating IP with a given address.", "POST", many),
		netRule("get_floatingip", adminOrReader, "Show or list floating IPs.", "GET", one),
		netRule("update_floatingip", adminOrMember, "Associate, disassociate or describe a floating IP.", "PUT", one),
		netRule("delete_floatingip", adminOrMember, "Delete a floating IP.", "DELETE", one),
	}
}

// floatingIPRoutes registers the floating IP API.
func (s *Service) floatingIPRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	mux.Handle("POST /v2.0/floatingips", authed(s.createFloatingIP))
	mux.Handle("GET /v2.0/floatingips", authed(s.listFloatingIPs))
	mux.Handle("GET /v2.0/floatingips/{id}", authed(s.showFloatingIP))
	mux.Handle("PUT /v2.0/floatingips/{id}", authed(s.updateFloatingIP))
	mux.Handle("DELETE /v2.0/floatingips/{id}", authed(s.deleteFloatingIP))
	s.tagRoutes(mux, authed, "floatingips", "net_floatingip", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		f, err := s.loadFloatingIP(ctx, c, id)
		return floatingIPTarget(f), "update_floatingip", err
	})
}

// floatingIPTarget is the policy target of a floating IP.
func floatingIPTarget(f FloatingIP) map[string]string {
	return map[string]string{"project_id": f.ProjectID, "tenant_id": f.ProjectID, "id": f.ID}
}

// floatingIPView renders a floating IP as Neutron does; details is its port's port_details.
func floatingIPView(f FloatingIP, details map[string]any) map[string]any {
	v := map[string]any{
		"id": f.ID, "tenant_id": f.ProjectID, "project_id": f.ProjectID, "description": f.Description,
		"floating_network_id": f.NetworkID, "floating_ip_address": f.Address.String(),
		"port_id": nullIfEmpty(f.FixedPortID), "router_id": nullIfEmpty(f.RouterID), "fixed_ip_address": nil,
		"status": f.Status, "port_details": nil, "tags": orEmpty(f.Tags), "revision_number": f.Revision,
		"created_at": neutronTime(f.CreatedAt), "updated_at": neutronTime(f.UpdatedAt),
	}
	if f.FixedIP.IsValid() {
		v["fixed_ip_address"] = f.FixedIP.String()
	}
	if details != nil {
		v["port_details"] = details
	}
	return v
}

// portDetails are the port_details of the floating IPs' ports, by port id.
func portDetails(ctx context.Context, q db.Querier, fips []FloatingIP) (map[string]map[string]any, error) {
	var ids []any
	for _, f := range fips {
		if f.FixedPortID != "" && !slices.Contains(ids, any(f.FixedPortID)) {
			ids = append(ids, f.FixedPortID)
		}
	}
	out := map[string]map[string]any{}
	for chunk := range slices.Chunk(ids, inChunk) {
		err := db.EachRow(ctx, q, "SELECT id, name, network_id, mac_address, admin_state_up, status, device_id, device_owner "+
			"FROM net_port WHERE id IN ("+inList(len(chunk))+")", chunk, func(r db.Scanner) error {
			var id, name, network, mac, status, device, owner string
			var up bool
			if err := r.Scan(&id, &name, &network, &mac, &up, &status, &device, &owner); err != nil {
				return err
			}
			out[id] = map[string]any{"name": name, "network_id": network, "mac_address": mac, "admin_state_up": up,
				"status": status, "device_id": device, "device_owner": owner}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeFloatingIP answers with one floating IP, its port's details included.
func (s *Service) writeFloatingIP(w http.ResponseWriter, r *http.Request, status int, f FloatingIP) error {
	details, err := portDetails(r.Context(), s.db, []FloatingIP{f})
	if err != nil {
		return err
	}
	v := floatingIPView(f, details[f.FixedPortID])
	s.api.WriteJSON(w, status, map[string]any{"floatingip": selectFields(v, splitFields(r.URL.Query()["fields"]))})
	return nil
}

// loadFloatingIP returns a floating IP the caller may see; others are a 404.
func (s *Service) loadFloatingIP(ctx context.Context, c *auth.Context, id string) (FloatingIP, error) {
	f, err := getFloatingIP(ctx, s.db, id)
	if err != nil {
		return f, err
	}
	if !s.policy.Allowed("get_floatingip", floatingIPTarget(f), c.Credentials()) {
		return f, &NotFoundError{Kind: "FloatingIP", ID: id}
	}
	return f, nil
}

// badFloatingIP is Neutron's 400 for a floating IP request it cannot carry out.
func badFloatingIP(format string, args ...any) error {
	return &BadRequestError{Type: "BadRequest", Message: "Bad floatingip request: " + fmt.Sprintf(format, args...) + "."}
}

// associationRequest is the port_id and fixed_ip_address of a create or update.
type associationRequest struct {
	given   bool // port_id is in the body (null disassociates)
	portID  string
	fixedIP netip.Addr
}

func (a *attrs) association() associationRequest {
	var req associationRequest
	if raw, ok := a.body["port_id"]; ok {
		req.given = true
		if raw != nil {
			a.str("port_id", &req.portID, 36)
		}
	}
	a.ipAddress("fixed_ip_address", &req.fixedIP, true)
	if req.fixedIP.IsValid() && req.portID == "" && a.err == nil {
		a.err = badFloatingIP("fixed_ip_address cannot be specified without a port_id")
	}
	return req
}

// createFloatingIP is POST /v2.0/floatingips: an address of an external network — a given
// one (admins), one of a given subnet, or any IPv4 one — optionally associated at once.
func (s *Service) createFloatingIP(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "floatingip")
	if err != nil {
		return err
	}
	if err := notInPost(body, "id", "status", "router_id", "port_details"); err != nil {
		return err
	}
	now := s.now()
	a := attrs{body: body, what: "floatingip"}
	f := FloatingIP{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now}, Status: StatusDown}
	var subnetID string
	var address netip.Addr
	a.require("floating_network_id")
	a.str("floating_network_id", &f.NetworkID, 36)
	a.str("subnet_id", &subnetID, 36)
	a.ipAddress("floating_ip_address", &address, true)
	a.str("description", &f.Description, 255)
	a.strList("tags", &f.Tags)
	assoc := a.association()
	if err := a.finish("floating_network_id", "subnet_id", "floating_ip_address", "port_id", "fixed_ip_address", "description",
		"project_id", "tenant_id", "tags"); err != nil {
		return err
	}
	if err := s.checkProject(c, f.ProjectID); err != nil {
		return err
	}
	if err := s.enforceAttrs(c, "create_floatingip", floatingIPTarget(f), nonDefault(body, map[string]any{"floating_ip_address": nil})); err != nil {
		return err
	}
	n, err := getNetworkRow(ctx, s.db, f.NetworkID)
	if err != nil {
		return err
	}
	if !n.External {
		return badFloatingIP("Network %s is not a valid external network", n.ID)
	}
	if assoc.portID != "" {
		if _, _, err := s.loadPort(ctx, c, assoc.portID); err != nil {
			return err
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.checkQuota(ctx, tx, f.ProjectID, "floatingip", 1); err != nil {
			return err
		}
		p := s.devicePort(n, "", f.ID, ownerFloatingIP, now)
		if err := s.allocateFloatingAddress(ctx, tx, &p, subnetID, address); err != nil {
			return err
		}
		f.PortID, f.Address = p.ID, p.FixedIPs[0].IP
		if assoc.portID != "" {
			if err := s.associate(ctx, tx, c, &f, assoc); err != nil {
				return err
			}
		}
		ok, err := insertFloatingIP(ctx, tx, f)
		if err == nil && !ok {
			err = alreadyAssociated(f)
		}
		return err
	})
	if err != nil {
		return err
	}
	if f.RouterID != "" {
		s.syncFloatingIPs(ctx, f.RouterID)
		if f, err = getFloatingIP(ctx, s.db, f.ID); err != nil {
			return err
		}
	}
	return s.writeFloatingIP(w, r, http.StatusCreated, f)
}

// allocateFloatingAddress gives a floating IP's port its one IPv4 address on the external
// network: the given address, one of the given subnet, or one of the first IPv4 subnet with
// room.
func (s *Service) allocateFloatingAddress(ctx context.Context, tx *db.Tx, p *Port, subnetID string, address netip.Addr) error {
	all, err := networkSubnets(ctx, tx, p.NetworkID)
	if err != nil {
		return err
	}
	if subnetID != "" && !slices.ContainsFunc(all, func(sub Subnet) bool { return sub.ID == subnetID }) {
		if _, err := getSubnet(ctx, tx, subnetID); err != nil {
			return err
		}
		return badFloatingIP("Subnet %s is not on network %s", subnetID, p.NetworkID)
	}
	if address.IsValid() || subnetID != "" {
		if address.IsValid() && !address.Is4() {
			return badFloatingIP("Floating IP address %s is not an IPv4 address", address)
		}
		return s.insertDevicePort(ctx, tx, p, []fixedIPRequest{{SubnetID: subnetID, IP: address}}, true)
	}
	var v4 []Subnet
	for _, sub := range candidateSubnets(all, ownerFloatingIP) {
		if sub.IPVersion == 4 {
			v4 = append(v4, *sub)
		}
	}
	if len(v4) == 0 {
		return badFloatingIP("Network %s does not contain any IPv4 subnet", p.NetworkID)
	}
	for i, sub := range v4 {
		err := s.insertDevicePort(ctx, tx, p, []fixedIPRequest{{SubnetID: sub.ID}}, true)
		var conflict *ConflictError
		if i < len(v4)-1 && errors.As(err, &conflict) && conflict.Type == "IpAddressGenerationFailure" {
			p.FixedIPs = nil
			continue
		}
		return err
	}
	return nil
}

// associate points a floating IP at a port's fixed IPv4 address through the router that
// joins the port's subnet to the floating IP's network, with Neutron's checks and errors.
func (s *Service) associate(ctx context.Context, tx *db.Tx, c *auth.Context, f *FloatingIP, req associationRequest) error {
	p, err := getPort(ctx, tx, req.portID)
	if err != nil {
		return err
	}
	if p.ProjectID != f.ProjectID && !s.isAdmin(c) {
		return badFloatingIP("Cannot process floating IP association with Port %s, since that port is owned by a different tenant", p.ID)
	}
	if p.ID == f.PortID || p.DeviceOwner == ownerRouterGateway || slices.Contains(routerPortOwners, p.DeviceOwner) {
		return badFloatingIP("Port %s has device owner %s and cannot have a floating IP", p.ID, p.DeviceOwner)
	}
	fixed, err := pickFixedIP(p, req.fixedIP)
	if err != nil {
		return err
	}
	router, err := db.QueryStrings(ctx, tx, "SELECT r.id FROM net_router r JOIN net_router_port rp ON rp.router_id = r.id "+
		"JOIN net_ip_allocation a ON a.port_id = rp.port_id WHERE r.gw_network_id = ? AND rp.port_type <> ? AND a.subnet_id = ? "+
		"ORDER BY r.created_at, r.id", f.NetworkID, ownerRouterGateway, fixed.SubnetID)
	if err != nil {
		return err
	}
	if len(router) == 0 {
		return &httpapi.Error{Status: http.StatusNotFound, Title: "ExternalGatewayForFloatingIPNotFound", Message: fmt.Sprintf(
			"External network %s is not reachable from subnet %s.  Therefore, cannot associate Port %s with a Floating IP.",
			f.NetworkID, fixed.SubnetID, p.ID)}
	}
	f.FixedPortID, f.FixedIP, f.RouterID = p.ID, fixed.IP, router[0]
	return nil
}

// pickFixedIP is the fixed address a floating IP maps to: the requested one, which the port
// must have, or the port's only IPv4 address.
func pickFixedIP(p Port, want netip.Addr) (FixedIP, error) {
	var v4 []FixedIP
	for _, ip := range p.FixedIPs {
		if want.IsValid() && ip.IP == want {
			if !want.Is4() {
				return ip, badFloatingIP("Cannot create floating IP and bind it to %s, since that is not an IPv4 address", want)
			}
			return ip, nil
		}
		if ip.IP.Is4() {
			v4 = append(v4, ip)
		}
	}
	switch {
	case want.IsValid():
		return FixedIP{}, badFloatingIP("Port %s does not have fixed ip %s", p.ID, want)
	case len(v4) == 0:
		return FixedIP{}, badFloatingIP("Cannot add floating IP to port %s that has no fixed IPv4 addresses", p.ID)
	case len(v4) > 1:
		return FixedIP{}, badFloatingIP("Port %s has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address "+
			"when assigning a floating IP", p.ID)
	}
	return v4[0], nil
}

// alreadyAssociated is Neutron's 409 when the fixed address has a floating IP on the network.
func alreadyAssociated(f FloatingIP) error {
	return &ConflictError{Type: "FloatingIPPortAlreadyAssociated", Message: fmt.Sprintf("Cannot associate floating IP %s (%s) "+
		"with port %s using fixed IP %s, as that fixed IP already has a floating IP on external network %s.",
		f.Address, f.ID, f.FixedPortID, f.FixedIP, f.NetworkID)}
}

// showFloatingIP is GET /v2.0/floatingips/{id}.
func (s *Service) showFloatingIP(w http.ResponseWriter, r *http.Request) error {
	f, err := s.loadFloatingIP(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeFloatingIP(w, r, http.StatusOK, f)
}

// listFloatingIPs is GET /v2.0/floatingips: the caller's project's floating IPs (all for
// admins), with filters, sorting, pagination and fields.
func (s *Service) listFloatingIPs(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := floatingIPKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("net_floatingip.project_id = ?", c.ProjectID)
	}
	fips, err := listFloatingIPs(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	details, err := portDetails(r.Context(), s.db, fips)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(fips))
	for i, f := range fips {
		out[i] = selectFields(floatingIPView(f, details[f.FixedPortID]), q.fields)
	}
	body := map[string]any{"floatingips": out}
	if q.limit > 0 && len(fips) == q.limit {
		body["floatingips_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, fips[len(fips)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// updateFloatingIP is PUT /v2.0/floatingips/{id}: associate (port_id, fixed_ip_address),
// disassociate (port_id null) or describe.
func (s *Service) updateFloatingIP(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "floatingip")
	if err != nil {
		return err
	}
	f, err := s.loadFloatingIP(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "update_floatingip", floatingIPTarget(f)); err != nil {
		return err
	}
	a := attrs{body: body, what: "floatingip"}
	a.str("description", &f.Description, 255)
	assoc := a.association()
	if err := a.finish("port_id", "fixed_ip_address", "description"); err != nil {
		return err
	}
	if assoc.fixedIP.IsValid() && !assoc.given {
		return badFloatingIP("fixed_ip_address cannot be specified without a port_id")
	}
	if assoc.portID != "" {
		if _, _, err := s.loadPort(ctx, c, assoc.portID); err != nil {
			return err
		}
	}
	oldRouter := f.RouterID
	f.UpdatedAt = s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if assoc.given {
			f.FixedPortID, f.FixedIP, f.RouterID, f.Status = "", netip.Addr{}, "", StatusDown
			if assoc.portID != "" {
				if err := s.associate(ctx, tx, c, &f, assoc); err != nil {
					return err
				}
			}
		}
		ok, err := updateFloatingIPRow(ctx, tx, f)
		if err == nil && !ok {
			err = alreadyAssociated(f)
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, rid := range uniqueNonEmpty(oldRouter, f.RouterID) {
		s.syncFloatingIPs(ctx, rid)
	}
	if f, err = getFloatingIP(ctx, s.db, f.ID); err != nil {
		return err
	}
	return s.writeFloatingIP(w, r, http.StatusOK, f)
}

// deleteFloatingIP is DELETE /v2.0/floatingips/{id}: its address is released.
func (s *Service) deleteFloatingIP(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	f, err := s.loadFloatingIP(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_floatingip", floatingIPTarget(f)); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM net_tag WHERE resource_id = ?", f.ID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM net_floatingip WHERE id = ?", f.ID)
		if err := mustAffect(res, err, "FloatingIP", f.ID); err != nil {
			return err
		}
		return deletePortRows(ctx, tx, f.PortID)
	})
	if err != nil {
		return err
	}
	if f.RouterID != "" {
		s.syncFloatingIPs(ctx, f.RouterID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// syncFloatingIPs hands a router's floating IPs to the data plane and records the statuses
// it reports.
func (s *Service) syncFloatingIPs(ctx context.Context, routerID string) {
	fips, err := routerFloatingIPs(ctx, s.db, routerID)
	if err != nil {
		s.log.Error("floating IPs not loaded for the data plane", "router", routerID, "err", err)
		return
	}
	in := make([]dataplane.FloatingIP, len(fips))
	for i, f := range fips {
		in[i] = dataplane.FloatingIP{ID: f.ID, RouterID: routerID, FloatingIP: f.Address.String(), FixedIP: f.FixedIP.String(),
			FloatingNetworkID: f.NetworkID, FixedPortID: f.FixedPortID}
	}
	statuses, err := s.dataplane.SyncFloatingIPs(ctx, routerID, in)
	if err != nil {
		s.log.Error("data plane: floating IP sync failed", "router", routerID, "err", err)
		statuses = map[string]string{}
		for _, f := range fips {
			statuses[f.ID] = dataplane.FloatingIPError
		}
	}
	for _, f := range fips {
		st, ok := statuses[f.ID]
		if !ok || st == f.Status {
			continue
		}
		_, err := s.db.Exec(ctx, "UPDATE net_floatingip SET status = ? WHERE id = ? AND router_id = ?", st, f.ID, routerID)
		if err != nil {
			s.log.Error("floating IP status not recorded", "floatingip", f.ID, "err", err)
		}
	}
}

// uniqueNonEmpty is the distinct non-empty strings given, in order.
func uniqueNonEmpty(items ...string) []string {
	var out []string
	for _, it := range items {
		if it != "" && !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out
}
