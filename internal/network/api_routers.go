package network

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// routerExtensions are the extensions routers and floating IPs bring.
var routerExtensions = []extension{
	{"router", "Neutron L3 Router", "Routers between networks, with an external gateway and floating IPs."},
	{"ext-gw-mode", "Neutron L3 Configurable external gateway mode", "The enable_snat flag of a router's external gateway."},
	{"extraroute", "Neutron Extra Route", "Static routes of routers."},
	{"extraroute-atomic", "Atomically add/remove extra routes", "add_extraroutes and remove_extraroutes on routers."},
	{"l3-ha", "HA Router extension", "The ha attribute of routers."},
	{"dvr", "Distributed Virtual Router", "The distributed attribute of routers."},
	{"router_availability_zone", "Router Availability Zone", "The availability_zone_hints and availability_zones of routers."},
	{"router-admin-state-down-before-update", "Enforce Router's Admin State Down Before Update Extension",
		"A router's distributed and ha flags change only while it is administratively down."},
	{"fip-port-details", "Floating IP Port Details Extension", "The port_details of floating IPs."},
}

// routerPolicies are the default rules of routers, with Neutron's names and defaults: members
// manage their project's routers and their gateways; SNAT off, fixed gateway addresses,
// distributed and ha are the admin's.
func routerPolicies() []policy.Rule {
	many, one := "/v2.0/routers", "/v2.0/routers/{id}"
	create := func(name, check, what string) policy.Rule { return netRule(name, check, what, "POST", many) }
	update := func(name, check, what string) policy.Rule { return netRule(name, check, what, "PUT", one) }
	return []policy.Rule{
		create("create_router", adminOrMember, "Create a router."),
		create("create_router:external_gateway_info", adminOrMember, "Give a router an external gateway."),
		create("create_router:external_gateway_info:network_id", adminOrMember, "Give the network of a router's gateway."),
		create("create_router:external_gateway_info:enable_snat", adminOnly, "Give a router's gateway a SNAT mode other than the default."),
		create("create_router:external_gateway_info:external_fixed_ips", adminOnly, "Give the addresses of a router's gateway."),
		create("create_router:distributed", adminOnly, "Create a distributed router."),
		create("create_router:ha", adminOnly, "Create a highly available router."),
		netRule("get_router", adminOrReader, "Show or list routers.", "GET", one),
		netRule("get_router:distributed", adminOnly, "See whether a router is distributed.", "GET", one),
		netRule("get_router:ha", adminOnly, "See whether a router is highly available.", "GET", one),
		update("update_router", adminOrMember, "Update a router."),
		update("update_router:external_gateway_info", adminOrMember, "Set or clear a router's external gateway."),
		update("update_router:external_gateway_info:network_id", adminOrMember, "Change the network of a router's gateway."),
		update("update_router:external_gateway_info:enable_snat", adminOnly, "Change a router's SNAT mode from the default."),
		update("update_router:external_gateway_info:external_fixed_ips", adminOnly, "Change the addresses of a router's gateway."),
		update("update_router:distributed", adminOnly, "Make a router distributed or centralized."),
		update("update_router:ha", adminOnly, "Make a router highly available or not."),
		netRule("delete_router", adminOrMember, "Delete a router.", "DELETE", one),
		update("add_router_interface", adminOrMember, "Add an interface to a router."),
		update("remove_router_interface", adminOrMember, "Remove an interface from a router."),
		update("add_extraroutes", adminOrMember, "Add static routes to a router."),
		update("remove_extraroutes", adminOrMember, "Remove static routes from a router."),
	}
}

// routerRoutes registers the router API.
func (s *Service) routerRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	mux.Handle("POST /v2.0/routers", authed(s.createRouter))
	mux.Handle("GET /v2.0/routers", authed(s.listRouters))
	mux.Handle("GET /v2.0/routers/{id}", authed(s.showRouter))
	mux.Handle("PUT /v2.0/routers/{id}", authed(s.updateRouter))
	mux.Handle("DELETE /v2.0/routers/{id}", authed(s.deleteRouter))
	mux.Handle("PUT /v2.0/routers/{id}/add_router_interface", authed(s.addRouterInterface))
	mux.Handle("PUT /v2.0/routers/{id}/remove_router_interface", authed(s.removeRouterInterface))
	mux.Handle("PUT /v2.0/routers/{id}/add_extraroutes", authed(s.changeExtraRoutes(true)))
	mux.Handle("PUT /v2.0/routers/{id}/remove_extraroutes", authed(s.changeExtraRoutes(false)))
	s.tagRoutes(mux, authed, "routers", "net_router", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		rt, err := s.loadRouter(ctx, c, id)
		return routerTarget(rt), "update_router", err
	})
}

// routerTarget is the policy target of a router.
func routerTarget(rt Router) map[string]string {
	return map[string]string{"project_id": rt.ProjectID, "tenant_id": rt.ProjectID, "id": rt.ID}
}

// routerView renders a router as Neutron does; distributed and ha only for those the policy
// lets see them.
func (s *Service) routerView(c *auth.Context, rt Router) map[string]any {
	routes := rt.Routes
	if routes == nil {
		routes = []HostRoute{}
	}
	v := map[string]any{
		"id": rt.ID, "name": rt.Name, "description": rt.Description, "tenant_id": rt.ProjectID, "project_id": rt.ProjectID,
		"status": rt.Status, "admin_state_up": rt.AdminStateUp, "external_gateway_info": nil, "routes": routes,
		"availability_zone_hints": orEmpty(rt.AZHints), "availability_zones": []string{}, "flavor_id": nil,
		"tags": orEmpty(rt.Tags), "revision_number": rt.Revision,
		"created_at": neutronTime(rt.CreatedAt), "updated_at": neutronTime(rt.UpdatedAt),
	}
	if gw := rt.Gateway; gw != nil {
		v["external_gateway_info"] = map[string]any{"network_id": gw.NetworkID, "enable_snat": rt.EnableSNAT,
			"external_fixed_ips": fixedIPsView(gw.FixedIPs)}
	}
	target := routerTarget(rt)
	if s.policy.Allowed("get_router:distributed", target, c.Credentials()) {
		v["distributed"] = rt.Distributed
	}
	if s.policy.Allowed("get_router:ha", target, c.Credentials()) {
		v["ha"] = rt.HA
	}
	return v
}

// fixedIPsView renders addresses as fixed_ips and external_fixed_ips are.
func fixedIPsView(ips []FixedIP) []map[string]string {
	out := make([]map[string]string, len(ips))
	for i, ip := range ips {
		out[i] = map[string]string{"subnet_id": ip.SubnetID, "ip_address": ip.IP.String()}
	}
	return out
}

// loadRouter returns a router the caller may see; others are a 404.
func (s *Service) loadRouter(ctx context.Context, c *auth.Context, id string) (Router, error) {
	rt, err := getRouter(ctx, s.db, id)
	if err != nil {
		return rt, err
	}
	if !s.policy.Allowed("get_router", routerTarget(rt), c.Credentials()) {
		return rt, &NotFoundError{Kind: "Router", ID: id}
	}
	return rt, nil
}

// gatewayRequest is a request's external_gateway_info.
type gatewayRequest struct {
	given      bool // external_gateway_info is in the body
	clear      bool // it is null or {}: no gateway
	networkID  string
	snat       *bool
	fixed      []fixedIPRequest
	fixedGiven bool
}

// gateway reads external_gateway_info.
func (a *attrs) gateway() gatewayRequest {
	const name = "external_gateway_info"
	raw, ok := a.body[name]
	if !ok {
		return gatewayRequest{}
	}
	req := gatewayRequest{given: true}
	info, isMap := raw.(map[string]any)
	if raw == nil || (isMap && len(info) == 0) {
		req.clear = true
		return req
	}
	if !isMap {
		a.failAttr(name, "Invalid data format for external gateway info: %s", pyValue(raw))
		return req
	}
	for k := range info {
		if !slices.Contains([]string{"network_id", "enable_snat", "external_fixed_ips"}, k) {
			a.failAttr(name, "Unrecognized attribute(s) '%s'", k)
			return req
		}
	}
	if _, ok := info["network_id"]; !ok {
		a.failAttr(name, "Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: %s", pyList(sortedKeys(info)))
		return req
	}
	sub := attrs{body: info, what: a.what}
	sub.str("network_id", &req.networkID, 36)
	if _, ok := info["enable_snat"]; ok {
		var snat bool
		sub.boolean("enable_snat", &snat)
		req.snat = &snat
	}
	req.fixed, req.fixedGiven = sub.fixedIPs("external_fixed_ips")
	if sub.err != nil && a.err == nil {
		a.err = sub.err
	}
	return req
}

// policyAttrs adds the gateway's sub-attributes that need their own rule to the attributes a
// request sets: a SNAT mode other than the default and fixed addresses.
func (req gatewayRequest) policyAttrs(set map[string]any, defaultSNAT bool) map[string]any {
	if !req.given || req.clear {
		return set
	}
	set["external_gateway_info:network_id"] = req.networkID
	if req.snat != nil && *req.snat != defaultSNAT {
		set["external_gateway_info:enable_snat"] = *req.snat
	}
	if req.fixedGiven {
		set["external_gateway_info:external_fixed_ips"] = true
	}
	return set
}

// routerAttributes are the attributes a router create may carry.
var routerAttributes = []string{"name", "description", "project_id", "tenant_id", "admin_state_up", "external_gateway_info",
	"distributed", "ha", "availability_zone_hints", "tags", "flavor_id"}

// createRouter is POST /v2.0/routers.
func (s *Service) createRouter(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "router")
	if err != nil {
		return err
	}
	if err := notInPost(body, "id", "status", "routes"); err != nil {
		return err
	}
	now := s.now()
	a := attrs{body: body, what: "router"}
	rt := Router{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now},
		Status: StatusActive, AdminStateUp: true, EnableSNAT: s.opts.L3.SNAT, Distributed: s.opts.L3.Distributed, HA: s.opts.L3.HA}
	a.str("name", &rt.Name, 255)
	a.str("description", &rt.Description, 255)
	a.boolean("admin_state_up", &rt.AdminStateUp)
	a.boolean("distributed", &rt.Distributed)
	a.boolean("ha", &rt.HA)
	a.strList("availability_zone_hints", &rt.AZHints)
	a.strList("tags", &rt.Tags)
	gw := a.gateway()
	if err := a.finish(routerAttributes...); err != nil {
		return err
	}
	if v, ok := body["flavor_id"]; ok && v != nil {
		return invalid("Router flavors are not supported: flavor_id must be null")
	}
	if err := s.checkProject(c, rt.ProjectID); err != nil {
		return err
	}
	defaults := map[string]any{"admin_state_up": true, "distributed": s.opts.L3.Distributed, "ha": s.opts.L3.HA}
	set := gw.policyAttrs(nonDefault(body, defaults), s.opts.L3.SNAT)
	if err := s.enforceAttrs(c, "create_router", routerTarget(rt), set); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.checkQuota(ctx, tx, rt.ProjectID, "router", 1); err != nil {
			return err
		}
		if err := insertRouter(ctx, tx, rt); err != nil {
			return err
		}
		if !gw.given || gw.clear {
			return nil
		}
		if err := s.setGateway(ctx, tx, &rt, gw, now); err != nil {
			return err
		}
		return updateRouterRow(ctx, tx, rt)
	})
	if err != nil {
		return err
	}
	s.syncRouter(ctx, rt.ID)
	if rt, err = getRouter(ctx, s.db, rt.ID); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"router": s.routerView(c, rt)})
	return nil
}

// showRouter is GET /v2.0/routers/{id}.
func (s *Service) showRouter(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	rt, err := s.loadRouter(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"router": selectFields(s.routerView(c, rt), splitFields(r.URL.Query()["fields"]))})
	return nil
}

// listRouters is GET /v2.0/routers: the caller's project's routers (all for admins).
func (s *Service) listRouters(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := routerKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("net_router.project_id = ?", c.ProjectID)
	}
	routers, err := listRouters(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(routers))
	for i, rt := range routers {
		out[i] = selectFields(s.routerView(c, rt), q.fields)
	}
	body := map[string]any{"routers": out}
	if q.limit > 0 && len(routers) == q.limit {
		body["routers_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, routers[len(routers)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// updateRouter is PUT /v2.0/routers/{id}: names, state, the external gateway, routes, and —
// while the router is down — distributed and ha.
func (s *Service) updateRouter(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	body, err := decodeResource(r, "router")
	if err != nil {
		return err
	}
	loaded, err := s.loadRouter(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := attrs{body: body, what: "router"}
	probe := loaded
	readRouterUpdate(&a, &probe)
	gw := a.gateway()
	routes, routesGiven := a.hostRoutes("routes")
	if err := a.finish("name", "description", "admin_state_up", "external_gateway_info", "distributed", "ha", "routes"); err != nil {
		return err
	}
	set := maps.Clone(body)
	if err := s.enforceAttrs(c, "update_router", routerTarget(loaded), gw.policyAttrs(set, s.opts.L3.SNAT)); err != nil {
		return err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRouter(ctx, tx, loaded.ID); err != nil {
			return err
		}
		old, err := getRouter(ctx, tx, loaded.ID) // the router as of the lock
		if err != nil {
			return err
		}
		rt := old
		readRouterUpdate(&attrs{body: body, what: "router"}, &rt)
		rt.UpdatedAt = now
		if (rt.Distributed != old.Distributed || rt.HA != old.HA) && old.AdminStateUp {
			return &BadRequestError{Type: "BadRequest", Message: fmt.Sprintf("Bad router request: Cannot change the distributed "+
				"or ha attribute of router %s while it is up. Set its admin_state_up to False first.", rt.ID)}
		}
		if gw.given {
			if err := s.setGateway(ctx, tx, &rt, gw, now); err != nil {
				return err
			}
		}
		if routesGiven {
			if err := s.checkRoutes(ctx, tx, rt.ID, routes); err != nil {
				return err
			}
			rt.Routes = routes
		}
		if rt.Distributed != old.Distributed {
			if err := s.retypeInterfaces(ctx, tx, &rt, now); err != nil {
				return err
			}
		}
		return updateRouterRow(ctx, tx, rt)
	})
	if err != nil {
		return err
	}
	s.syncRouter(ctx, loaded.ID)
	fresh, err := getRouter(ctx, s.db, loaded.ID)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"router": s.routerView(c, fresh)})
	return nil
}

// readRouterUpdate applies the plain attributes of a router update.
func readRouterUpdate(a *attrs, rt *Router) {
	a.str("name", &rt.Name, 255)
	a.str("description", &rt.Description, 255)
	a.boolean("admin_state_up", &rt.AdminStateUp)
	a.boolean("distributed", &rt.Distributed)
	a.boolean("ha", &rt.HA)
}

// retypeInterfaces gives a router's interface ports the device owner of its new mode
// (network:router_interface or network:router_interface_distributed).
func (s *Service) retypeInterfaces(ctx context.Context, tx *db.Tx, rt *Router, now time.Time) error {
	ports, err := routerInterfaces(ctx, tx, rt.ID)
	if err != nil {
		return err
	}
	for _, p := range ports {
		p.DeviceOwner, p.UpdatedAt = rt.interfaceOwner(), now
		if _, err := updatePortRow(ctx, tx, p); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE net_router_port SET port_type = ? WHERE port_id = ?", p.DeviceOwner, p.ID); err != nil {
			return err
		}
		if err := refreshPortList(ctx, tx, p.ID); err != nil {
			return err
		}
	}
	return nil
}

// deleteRouter is DELETE /v2.0/routers/{id}: refused while it has interfaces (RouterInUse);
// its gateway goes with it.
func (s *Service) deleteRouter(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	rt, err := s.loadRouter(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_router", routerTarget(rt)); err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRouter(ctx, tx, rt.ID); err != nil {
			return err
		}
		inUse, err := db.Exists(ctx, tx, "SELECT 1 FROM net_router_port WHERE router_id = ? AND port_type <> ?", rt.ID, ownerRouterGateway)
		if err != nil {
			return err
		}
		if inUse {
			return &ConflictError{Type: "RouterInUse", Message: fmt.Sprintf("Router %s still has ports", rt.ID)}
		}
		if rt.Gateway != nil {
			if err := s.clearGateway(ctx, tx, &rt); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM net_tag WHERE resource_id = ?", rt.ID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM net_router WHERE id = ?", rt.ID)
		return mustAffect(res, err, "Router", rt.ID)
	})
	if err != nil {
		return err
	}
	s.syncRouter(ctx, rt.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setGateway applies a gateway request inside the router's transaction: it clears the
// gateway, changes its SNAT mode or addresses, or moves it to another external network.
func (s *Service) setGateway(ctx context.Context, tx *db.Tx, rt *Router, req gatewayRequest, now time.Time) error {
	if req.clear {
		if rt.Gateway == nil {
			return nil
		}
		return s.clearGateway(ctx, tx, rt)
	}
	n, err := getNetworkRow(ctx, tx, req.networkID)
	if err != nil {
		return err
	}
	if !n.External {
		return &BadRequestError{Type: "BadRequest", Message: fmt.Sprintf("Bad router request: Network %s is not an external network.", n.ID)}
	}
	if req.snat != nil {
		rt.EnableSNAT = *req.snat
	} else if rt.Gateway == nil || rt.Gateway.NetworkID != n.ID {
		rt.EnableSNAT = s.opts.L3.SNAT
	}
	if rt.Gateway != nil && rt.Gateway.NetworkID == n.ID {
		if !req.fixedGiven {
			return nil
		}
		return s.readdressGateway(ctx, tx, rt, req.fixed, now)
	}
	if rt.Gateway != nil {
		if err := s.clearGateway(ctx, tx, rt); err != nil {
			return err
		}
	}
	p := s.devicePort(n, "", rt.ID, ownerRouterGateway, now)
	if err := s.insertDevicePort(ctx, tx, &p, req.fixed, req.fixedGiven); err != nil {
		return err
	}
	if err := s.checkRouterSubnets(ctx, tx, rt.ID, p.FixedIPs, ""); err != nil {
		return err
	}
	if _, err := addRouterPort(ctx, tx, rt.ID, p.ID, ownerRouterGateway); err != nil {
		return err
	}
	rt.Gateway = &Gateway{NetworkID: n.ID, PortID: p.ID, FixedIPs: p.FixedIPs}
	return nil
}

// readdressGateway gives the gateway port the requested external addresses.
func (s *Service) readdressGateway(ctx context.Context, tx *db.Tx, rt *Router, reqs []fixedIPRequest, now time.Time) error {
	p, err := getPort(ctx, tx, rt.Gateway.PortID)
	if err != nil {
		return err
	}
	if err := s.reallocate(ipamTx{ctx: ctx, tx: tx, networkID: p.NetworkID, portID: p.ID}, &p, reqs); err != nil {
		return err
	}
	if err := s.checkRouterSubnets(ctx, tx, rt.ID, p.FixedIPs, p.ID); err != nil {
		return err
	}
	p.UpdatedAt = now
	if _, err := updatePortRow(ctx, tx, p); err != nil {
		return err
	}
	if err := refreshPortList(ctx, tx, p.ID); err != nil {
		return err
	}
	sortFixedIPs(p.FixedIPs)
	rt.Gateway.FixedIPs = p.FixedIPs
	return nil
}

// clearGateway removes a router's gateway port, refused while floating IPs reach their
// ports through it (409 RouterExternalGatewayInUseByFloatingIp).
func (s *Service) clearGateway(ctx context.Context, tx *db.Tx, rt *Router) error {
	inUse, err := db.Exists(ctx, tx, "SELECT 1 FROM net_floatingip WHERE router_id = ?", rt.ID)
	if err != nil {
		return err
	}
	if inUse {
		return &ConflictError{Type: "RouterExternalGatewayInUseByFloatingIp", Message: fmt.Sprintf("Gateway cannot be updated "+
			"for router %s, since a gateway to external network %s is required by one or more floating IPs.", rt.ID, rt.Gateway.NetworkID)}
	}
	if err := removeRouterPort(ctx, tx, rt.Gateway.PortID); err != nil {
		return err
	}
	rt.Gateway = nil
	return nil
}

// devicePort is a new port the service makes for one of its own devices: a router's gateway
// or interface, a floating IP's address.
func (s *Service) devicePort(n Network, project, deviceID, owner string, now time.Time) Port {
	return Port{Standard: Standard{ID: newID(), ProjectID: project, CreatedAt: now, UpdatedAt: now},
		NetworkID: n.ID, DeviceID: deviceID, DeviceOwner: owner, Status: StatusDown, AdminStateUp: true,
		PortSecurity: n.PortSecurity, SecurityGroups: []string{}, VNICType: "normal", VIFType: vifUnbound, IPAllocation: "immediate"}
}

// insertDevicePort gives a device port its MAC and addresses and stores it. A MAC another
// port took since pickMAC looked is a 409 the client may retry.
func (s *Service) insertDevicePort(ctx context.Context, tx *db.Tx, p *Port, reqs []fixedIPRequest, given bool) error {
	if err := s.pickMAC(ctx, tx, p, false); err != nil {
		return err
	}
	if err := s.allocate(ipamTx{ctx: ctx, tx: tx, networkID: p.NetworkID, portID: p.ID}, p, reqs, given); err != nil {
		return err
	}
	sortFixedIPs(p.FixedIPs)
	ok, err := insertPortRow(ctx, tx, *p)
	if err == nil && !ok {
		err = macInUse(p.NetworkID, p.MAC)
	}
	if err != nil {
		return err
	}
	return refreshPortList(ctx, tx, p.ID)
}

// routerSubnet is a subnet one of a router's ports has an address on.
type routerSubnet struct {
	portID, subnetID string
	cidr             netip.Prefix
}

// routerSubnets lists the subnets of a router's ports (gateway included).
func routerSubnets(ctx context.Context, q db.Querier, routerID string) ([]routerSubnet, error) {
	return db.QueryAll(ctx, q, func(r db.Scanner) (routerSubnet, error) {
		var rs routerSubnet
		var cidr string
		if err := r.Scan(&rs.portID, &rs.subnetID, &cidr); err != nil {
			return rs, err
		}
		var err error
		rs.cidr, err = netip.ParsePrefix(cidr)
		return rs, err
	}, "SELECT DISTINCT a.port_id, a.subnet_id, s.cidr FROM net_router_port rp JOIN net_ip_allocation a ON a.port_id = rp.port_id "+
		"JOIN net_subnet s ON s.id = a.subnet_id WHERE rp.router_id = ?", routerID)
}

// checkRouterSubnets refuses new addresses for a router's port (skipPort: the port they
// replace the addresses of) on a subnet the router is on already or one that overlaps one of
// its subnets: a router routes between distinct, non-overlapping subnets.
func (s *Service) checkRouterSubnets(ctx context.Context, tx *db.Tx, routerID string, ips []FixedIP, skipPort string) error {
	have, err := routerSubnets(ctx, tx, routerID)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		sub, err := getSubnet(ctx, tx, ip.SubnetID)
		if err != nil {
			return err
		}
		for _, h := range have {
			if h.portID == skipPort {
				continue
			}
			if h.subnetID == sub.ID {
				return &BadRequestError{Type: "BadRequest", Message: fmt.Sprintf("Bad router request: Router already has a port on subnet %s.", sub.ID)}
			}
			if h.cidr.Overlaps(sub.CIDR) {
				return &BadRequestError{Type: "BadRequest", Message: fmt.Sprintf("Bad router request: Cidr %s of subnet %s overlaps "+
					"with cidr %s of subnet %s.", sub.CIDR, sub.ID, h.cidr, h.subnetID)}
			}
		}
	}
	return nil
}

// checkRoutes checks a router's new static routes: at most max_routes, each next hop on one
// of its interfaces' subnets and not its own address (400 InvalidRoutes, RoutesExhausted).
func (s *Service) checkRoutes(ctx context.Context, tx *db.Tx, routerID string, routes []HostRoute) error {
	if len(routes) > s.opts.L3.MaxRoutes {
		return &BadRequestError{Type: "RoutesExhausted", Message: fmt.Sprintf("Unable to complete operation for %s. "+
			"The number of routes exceeds the maximum %d.", routerID, s.opts.L3.MaxRoutes)}
	}
	ports, err := routerInterfaces(ctx, tx, routerID)
	if err != nil {
		return err
	}
	var nets []netip.Prefix
	var own []netip.Addr
	for _, p := range ports {
		for _, ip := range p.FixedIPs {
			sub, err := getSubnet(ctx, tx, ip.SubnetID)
			if err != nil {
				return err
			}
			nets, own = append(nets, sub.CIDR), append(own, ip.IP)
		}
	}
	for _, rt := range routes {
		hop := netip.MustParseAddr(rt.NextHop)
		dst := netip.MustParsePrefix(rt.Destination)
		reason := ""
		switch {
		case hop.Is4() != dst.Addr().Is4():
			reason = "the destination and the nexthop are of different IP versions"
		case slices.Contains(own, hop):
			reason = "the nexthop is used by router"
		case !slices.ContainsFunc(nets, func(p netip.Prefix) bool { return p.Contains(hop) }):
			reason = "the nexthop is not connected with router"
		}
		if reason != "" {
			return &BadRequestError{Type: "InvalidRoutes", Message: fmt.Sprintf("Invalid format for routes: [{'destination': '%s', "+
				"'nexthop': '%s'}], %s.", rt.Destination, rt.NextHop, reason)}
		}
	}
	return nil
}

// changeExtraRoutes is PUT /v2.0/routers/{id}/add_extraroutes or remove_extraroutes: routes
// added to or removed from the router's in one step, however many clients do it at once.
func (s *Service) changeExtraRoutes(add bool) httpapi.HandlerFunc {
	rule := "remove_extraroutes"
	if add {
		rule = "add_extraroutes"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		ctx := r.Context()
		body, err := decodeResource(r, "router")
		if err != nil {
			return err
		}
		rt, err := s.loadRouter(ctx, c, r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := s.enforce(c, rule, routerTarget(rt)); err != nil {
			return err
		}
		a := attrs{body: body, what: "router"}
		a.require("routes")
		routes, _ := a.hostRoutes("routes")
		if err := a.finish("routes"); err != nil {
			return err
		}
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			if err := lockRouter(ctx, tx, rt.ID); err != nil {
				return err
			}
			cur, err := getRouter(ctx, tx, rt.ID)
			if err != nil {
				return err
			}
			next := slices.DeleteFunc(slices.Clone(cur.Routes), func(x HostRoute) bool { return slices.Contains(routes, x) })
			if add {
				next = append(next, routes...)
				if err := s.checkRoutes(ctx, tx, rt.ID, next); err != nil {
					return err
				}
			}
			cur.Routes, cur.UpdatedAt = next, s.now()
			return updateRouterRow(ctx, tx, cur)
		})
		if err != nil {
			return err
		}
		s.syncRouter(ctx, rt.ID)
		fresh, err := getRouter(ctx, s.db, rt.ID)
		if err != nil {
			return err
		}
		s.api.WriteJSON(w, http.StatusOK, map[string]any{"router": s.routerView(c, fresh)})
		return nil
	}
}
