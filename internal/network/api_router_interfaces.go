package network

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/network/dataplane"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// interfaceRequest is the body of add_router_interface and remove_router_interface.
type interfaceRequest struct{ subnetID, portID string }

// readInterfaceRequest reads {"subnet_id": …} or {"port_id": …}; adding takes exactly one.
func readInterfaceRequest(r *http.Request, adding bool) (interfaceRequest, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return interfaceRequest{}, err
	}
	a := attrs{body: body, what: "router"}
	var req interfaceRequest
	a.str("subnet_id", &req.subnetID, 36)
	a.str("port_id", &req.portID, 36)
	if err := a.finish("subnet_id", "port_id"); err != nil {
		return req, err
	}
	switch {
	case req.subnetID == "" && req.portID == "":
		return req, &BadRequestError{Type: "BadRequest", Message: "Bad router request: Either subnet_id or port_id must be specified."}
	case adding && req.subnetID != "" && req.portID != "":
		return req, &BadRequestError{Type: "BadRequest", Message: "Bad router request: Cannot specify both subnet-id and port-id."}
	}
	return req, nil
}

// interfaceInfo is Neutron's answer to an interface change.
func interfaceInfo(rt Router, p Port) map[string]any {
	ids := make([]string, 0, len(p.FixedIPs))
	for _, ip := range p.FixedIPs {
		if !slices.Contains(ids, ip.SubnetID) {
			ids = append(ids, ip.SubnetID)
		}
	}
	first := ""
	if len(ids) > 0 {
		first = ids[0]
	}
	return map[string]any{"id": rt.ID, "tenant_id": rt.ProjectID, "project_id": rt.ProjectID, "port_id": p.ID,
		"network_id": p.NetworkID, "subnet_id": first, "subnet_ids": ids, "tags": orEmpty(rt.Tags)}
}

// addRouterInterface is PUT /v2.0/routers/{id}/add_router_interface: a new port at a subnet's
// gateway address, or an existing port of the caller's, becomes an interface of the router.
func (s *Service) addRouterInterface(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	rt, err := s.loadRouter(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "add_router_interface", routerTarget(rt)); err != nil {
		return err
	}
	req, err := readInterfaceRequest(r, true)
	if err != nil {
		return err
	}
	var p Port
	if req.subnetID != "" {
		p, err = s.interfaceBySubnet(ctx, c, rt, req.subnetID)
	} else {
		p, err = s.interfaceByPort(ctx, c, rt, req.portID)
	}
	if err != nil {
		return err
	}
	s.syncRouter(ctx, rt.ID)
	s.api.WriteJSON(w, http.StatusOK, interfaceInfo(rt, p))
	return nil
}

// interfaceBySubnet makes the router a port at the subnet's gateway address.
func (s *Service) interfaceBySubnet(ctx context.Context, c *auth.Context, rt Router, subnetID string) (Port, error) {
	sub, n, err := s.loadSubnet(ctx, c, subnetID)
	if err != nil {
		return Port{}, err
	}
	if !sub.Gateway.IsValid() {
		return Port{}, &BadRequestError{Type: "BadRequest", Message: fmt.Sprintf("Bad router request: Subnet %s does not have a gateway IP.", sub.ID)}
	}
	now := s.now()
	var p Port
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRouter(ctx, tx, rt.ID); err != nil {
			return err
		}
		p = s.devicePort(n, rt.ProjectID, rt.ID, rt.interfaceOwner(), now)
		if err := s.checkRouterSubnets(ctx, tx, rt.ID, []FixedIP{{SubnetID: sub.ID, IP: sub.Gateway}}, ""); err != nil {
			return err
		}
		if err := s.insertDevicePort(ctx, tx, &p, []fixedIPRequest{{SubnetID: sub.ID, IP: sub.Gateway}}, true); err != nil {
			return err
		}
		_, err := addRouterPort(ctx, tx, rt.ID, p.ID, p.DeviceOwner)
		return err
	})
	var conflict *ConflictError
	if errors.As(err, &conflict) && conflict.Type == "IpAddressAlreadyAllocated" {
		return p, &ConflictError{Type: "IpAddressInUse", Message: fmt.Sprintf("Unable to complete operation for network %s. "+
			"The IP address %s is in use.", n.ID, sub.Gateway)}
	}
	return p, err
}

// interfaceByPort makes an unused port with addresses an interface of the router.
func (s *Service) interfaceByPort(ctx context.Context, c *auth.Context, rt Router, portID string) (Port, error) {
	if _, _, err := s.loadPort(ctx, c, portID); err != nil {
		return Port{}, err
	}
	var p Port
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRouter(ctx, tx, rt.ID); err != nil {
			return err
		}
		var err error
		if p, err = getPort(ctx, tx, portID); err != nil {
			return err
		}
		if p.DeviceID != "" || p.DeviceOwner != "" {
			return portInUse(p)
		}
		if len(p.FixedIPs) == 0 {
			return &BadRequestError{Type: "BadRequest", Message: "Bad router request: Router port must have at least one fixed IP."}
		}
		v4 := 0
		for _, ip := range p.FixedIPs {
			if ip.IP.Is4() {
				v4++
			}
		}
		if v4 > 1 {
			return &BadRequestError{Type: "BadRequest", Message: "Bad router request: Cannot have multiple IPv4 subnets on router port."}
		}
		if err := s.checkRouterSubnets(ctx, tx, rt.ID, p.FixedIPs, ""); err != nil {
			return err
		}
		p.DeviceID, p.DeviceOwner, p.UpdatedAt = rt.ID, rt.interfaceOwner(), s.now()
		if _, err := updatePortRow(ctx, tx, p); err != nil {
			return err
		}
		ok, err := addRouterPort(ctx, tx, rt.ID, p.ID, p.DeviceOwner)
		if err == nil && !ok {
			err = portInUse(p)
		}
		if err != nil {
			return err
		}
		return refreshPortList(ctx, tx, p.ID)
	})
	return p, err
}

// portInUse is Neutron's 409 for a port that already serves a device.
func portInUse(p Port) error {
	return &ConflictError{Type: "PortInUse", Message: fmt.Sprintf("Unable to complete operation on port %s for network %s. "+
		"Port already has an attached device %s.", p.ID, p.NetworkID, p.DeviceID)}
}

// removeRouterInterface is PUT /v2.0/routers/{id}/remove_router_interface: the interface on a
// subnet, or the given interface port, is removed with its port — unless floating IPs or
// static routes need it (409).
func (s *Service) removeRouterInterface(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	ctx := r.Context()
	rt, err := s.loadRouter(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "remove_router_interface", routerTarget(rt)); err != nil {
		return err
	}
	req, err := readInterfaceRequest(r, false)
	if err != nil {
		return err
	}
	var p Port
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := lockRouter(ctx, tx, rt.ID); err != nil {
			return err
		}
		cur, err := getRouter(ctx, tx, rt.ID) // its routes as of the lock
		if err != nil {
			return err
		}
		if p, err = findInterface(ctx, tx, cur, req); err != nil {
			return err
		}
		for _, ip := range p.FixedIPs {
			if err := s.interfaceNeeded(ctx, tx, cur, ip); err != nil {
				return err
			}
		}
		return removeRouterPort(ctx, tx, p.ID)
	})
	if err != nil {
		return err
	}
	s.syncRouter(ctx, rt.ID)
	s.api.WriteJSON(w, http.StatusOK, interfaceInfo(rt, p))
	return nil
}

// findInterface finds the router's interface a removal names: by port (and, if given, one of
// its subnets) or by subnet.
func findInterface(ctx context.Context, tx *db.Tx, rt Router, req interfaceRequest) (Port, error) {
	ports, err := routerInterfaces(ctx, tx, rt.ID)
	if err != nil {
		return Port{}, err
	}
	onSubnet := func(p Port) bool {
		return slices.ContainsFunc(p.FixedIPs, func(ip FixedIP) bool { return ip.SubnetID == req.subnetID })
	}
	if req.portID != "" {
		i := slices.IndexFunc(ports, func(p Port) bool { return p.ID == req.portID })
		if i < 0 {
			return Port{}, &httpapi.Error{Status: http.StatusNotFound, Title: "RouterInterfaceNotFound",
				Message: fmt.Sprintf("Router %s does not have an interface with id %s", rt.ID, req.portID)}
		}
		if req.subnetID != "" && !onSubnet(ports[i]) {
			return Port{}, &BadRequestError{Type: "SubnetMismatchForPort", Message: fmt.Sprintf(
				"Subnet on port %s does not match the requested subnet %s.", req.portID, req.subnetID)}
		}
		return ports[i], nil
	}
	i := slices.IndexFunc(ports, onSubnet)
	if i < 0 {
		return Port{}, &httpapi.Error{Status: http.StatusNotFound, Title: "RouterInterfaceNotFoundForSubnet",
			Message: fmt.Sprintf("Router %s has no interface on subnet %s", rt.ID, req.subnetID)}
	}
	return ports[i], nil
}

// interfaceNeeded refuses to remove an interface address that floating IPs reach their fixed
// addresses through, or that a static route's next hop lies behind.
func (s *Service) interfaceNeeded(ctx context.Context, tx *db.Tx, rt Router, ip FixedIP) error {
	byFIP, err := db.Exists(ctx, tx, "SELECT 1 FROM net_floatingip f JOIN net_ip_allocation a ON a.port_id = f.fixed_port_id "+
		"AND a.ip_address = f.fixed_ip_address WHERE f.router_id = ? AND a.subnet_id = ?", rt.ID, ip.SubnetID)
	if err != nil {
		return err
	}
	if byFIP {
		return &ConflictError{Type: "RouterInterfaceInUseByFloatingIP", Message: fmt.Sprintf("Router interface for subnet %s on "+
			"router %s cannot be deleted, as it is required by one or more floating IPs.", ip.SubnetID, rt.ID)}
	}
	sub, err := getSubnet(ctx, tx, ip.SubnetID)
	if err != nil {
		return err
	}
	for _, route := range rt.Routes {
		if hop, err := parseIP(route.NextHop); err == nil && sub.CIDR.Contains(hop) {
			return &ConflictError{Type: "RouterInterfaceInUseByRoute", Message: fmt.Sprintf("Router interface for subnet %s on "+
				"router %s cannot be deleted, as it is required by one or more routes.", ip.SubnetID, rt.ID)}
		}
	}
	return nil
}

// syncRouter hands a router's current state to the data plane (nil once it is gone), then its
// floating IPs. A failure is logged: drivers are idempotent and the next change repeats it.
func (s *Service) syncRouter(ctx context.Context, id string) {
	rt, err := getRouter(ctx, s.db, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		if err := s.dataplane.SyncRouter(ctx, id, nil); err != nil {
			s.log.Error("data plane: router removal failed", "router", id, "err", err)
		}
		return
	}
	if err != nil {
		s.log.Error("router not loaded for the data plane", "router", id, "err", err)
		return
	}
	dr, err := s.dataplaneRouter(ctx, rt)
	if err != nil {
		s.log.Error("router not loaded for the data plane", "router", id, "err", err)
		return
	}
	if err := s.dataplane.SyncRouter(ctx, id, dr); err != nil {
		s.log.Error("data plane: router sync failed", "router", id, "err", err)
	}
	s.syncFloatingIPs(ctx, id)
}

// dataplaneRouter is what a data-plane driver needs of a router.
func (s *Service) dataplaneRouter(ctx context.Context, rt Router) (*dataplane.Router, error) {
	ports, err := routerInterfaces(ctx, s.db, rt.ID)
	if err != nil {
		return nil, err
	}
	dr := &dataplane.Router{ID: rt.ID, AdminStateUp: rt.AdminStateUp, EnableSNAT: rt.EnableSNAT, Distributed: rt.Distributed, HA: rt.HA}
	nets := map[string]Network{}
	network := func(id string) (Network, error) {
		if n, ok := nets[id]; ok {
			return n, nil
		}
		n, err := getNetwork(ctx, s.db, id)
		nets[id] = n
		return n, err
	}
	if rt.Gateway != nil {
		p, err := getPort(ctx, s.db, rt.Gateway.PortID)
		if err != nil {
			return nil, err
		}
		n, err := network(p.NetworkID)
		if err != nil {
			return nil, err
		}
		gw := dataplanePort(p, n)
		dr.Gateway = &gw
	}
	for _, p := range ports {
		n, err := network(p.NetworkID)
		if err != nil {
			return nil, err
		}
		dr.Interfaces = append(dr.Interfaces, dataplanePort(p, n))
	}
	for _, r := range rt.Routes {
		dr.Routes = append(dr.Routes, dataplane.Route{Destination: r.Destination, NextHop: r.NextHop})
	}
	return dr, nil
}

// guardServicePort refuses to delete, through the port API, a port a router or a floating IP
// owns: Neutron's 409 ServicePortInUse. Such ports go with their router interface, gateway or
// floating IP.
func guardServicePort(ctx context.Context, q db.Querier, p Port) error {
	for _, query := range []string{"SELECT 1 FROM net_router_port WHERE port_id = ?", "SELECT 1 FROM net_floatingip WHERE floating_port_id = ?"} {
		owned, err := db.Exists(ctx, q, query, p.ID)
		if err != nil {
			return err
		}
		if owned {
			return &ConflictError{Type: "ServicePortInUse", Message: fmt.Sprintf("Port %s cannot be deleted directly via the port "+
				"API: has device owner %s.", p.ID, p.DeviceOwner)}
		}
	}
	return nil
}
