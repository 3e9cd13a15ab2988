package network

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// networkTarget is the policy target of a network.
func networkTarget(n Network) map[string]string {
	return map[string]string{"project_id": n.ProjectID, "tenant_id": n.ProjectID, "id": n.ID,
		"shared": boolText(n.Shared), "router:external": boolText(n.External)}
}

func boolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// networkView renders a network as Neutron does; provider attributes only for those the
// policy lets see them.
func (s *Service) networkView(c *auth.Context, n Network) map[string]any {
	subnets := n.Subnets
	if subnets == nil {
		subnets = []string{}
	}
	v := map[string]any{
		"id": n.ID, "name": n.Name, "description": n.Description, "tenant_id": n.ProjectID, "project_id": n.ProjectID,
		"status": n.Status, "admin_state_up": n.AdminStateUp, "shared": n.Shared, "router:external": n.External,
		"mtu": n.MTU, "port_security_enabled": n.PortSecurity, "subnets": subnets,
		"availability_zone_hints": orEmpty(n.AZHints), "availability_zones": []string{},
		"ipv4_address_scope": nil, "ipv6_address_scope": nil, "qos_policy_id": nil, "l2_adjacency": true,
		"is_default": n.IsDefault, "tags": orEmpty(n.Tags), "revision_number": n.Revision,
		"created_at": neutronTime(n.CreatedAt), "updated_at": neutronTime(n.UpdatedAt),
	}
	target := networkTarget(n)
	if len(n.Segments) > 0 && s.policy.Allowed("get_network:provider:network_type", target, c.Credentials()) {
		seg := n.Segments[0]
		v["provider:network_type"] = seg.NetworkType
		v["provider:physical_network"] = nullIfEmpty(seg.PhysicalNetwork)
		v["provider:segmentation_id"] = nil
		if seg.NetworkType != "local" && seg.NetworkType != "flat" {
			v["provider:segmentation_id"] = seg.SegmentationID
		}
	}
	return v
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// createNetwork is POST /v2.0/networks.
func (s *Service) createNetwork(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	body, err := decodeResource(r, "network")
	if err != nil {
		return err
	}
	a := attrs{body: body, what: "network"}
	now := s.now()
	n := Network{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now},
		Status: StatusActive, AdminStateUp: true, PortSecurity: true}
	a.str("name", &n.Name, 255)
	a.str("description", &n.Description, 255)
	a.boolean("admin_state_up", &n.AdminStateUp)
	a.boolean("shared", &n.Shared)
	a.boolean("router:external", &n.External)
	a.boolean("port_security_enabled", &n.PortSecurity)
	a.boolean("is_default", &n.IsDefault)
	a.strList("availability_zone_hints", &n.AZHints)
	a.strList("tags", &n.Tags)
	prov := a.provider()
	mtu := 0
	a.integer("mtu", &mtu, 68, 65535)
	if err := a.finish("id", "name", "description", "admin_state_up", "shared", "router:external", "port_security_enabled",
		"is_default", "availability_zone_hints", "tags", "mtu", "project_id", "tenant_id", "provider:network_type",
		"provider:physical_network", "provider:segmentation_id", "dns_domain", "qos_policy_id"); err != nil {
		return err
	}
	target := networkTarget(n)
	// attribute rules apply to values other than the defaults, as Neutron's policy engine does
	defaults := map[string]any{"shared": false, "router:external": false, "is_default": false, "port_security_enabled": true}
	if err := s.enforceAttrs(c, "create_network", target, nonDefault(body, defaults)); err != nil {
		return err
	}
	if prov.Given {
		if err := s.opts.validateProvider(prov); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
			seg, err := s.pickSegment(r.Context(), tx, prov)
			if err != nil {
				return err
			}
			if err := s.checkQuota(r.Context(), tx, n.ProjectID, "network", 1); err != nil {
				return err
			}
			n.MTU = s.opts.mtuFor(seg.NetworkType)
			if mtu > 0 {
				n.MTU = mtu
			}
			if err := insertNetwork(r.Context(), tx, n); err != nil {
				return err
			}
			n.Segments = []Segment{seg}
			return insertSegment(r.Context(), tx, n.ID, seg)
		})
		var conflict *ConflictError
		if prov.Given || attempt >= 5 || !errors.As(err, &conflict) {
			break // a concurrent create took the tenant id we picked: pick again
		}
	}
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"network": s.networkView(c, n)})
	return nil
}

// loadNetwork returns a network the caller may see: other projects' private networks are a
// 404, as in Neutron.
func (s *Service) loadNetwork(ctx context.Context, c *auth.Context, id string) (Network, error) {
	n, err := getNetwork(ctx, s.db, id)
	if err != nil {
		return n, err
	}
	if !s.policy.Allowed("get_network", networkTarget(n), c.Credentials()) {
		return n, &NotFoundError{Kind: "Network", ID: id}
	}
	return n, nil
}

// showNetwork is GET /v2.0/networks/{id}.
func (s *Service) showNetwork(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	n, err := s.loadNetwork(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	fields := r.URL.Query()["fields"]
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"network": selectFields(s.networkView(c, n), splitFields(fields))})
	return nil
}

// listNetworks is GET /v2.0/networks: the caller's project's networks, shared and external
// ones (all for admins), with filters, sorting, pagination and fields.
func (s *Service) listNetworks(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := networkKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("(net_network.project_id = ? OR net_network.shared = ? OR net_network.router_external = ?)", c.ProjectID, true, true)
	}
	nets, err := listNetworks(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(nets))
	for i, n := range nets {
		out[i] = selectFields(s.networkView(c, n), q.fields)
	}
	body := map[string]any{"networks": out}
	if q.limit > 0 && len(nets) == q.limit {
		body["networks_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, nets[len(nets)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// updateNetwork is PUT /v2.0/networks/{id}.
func (s *Service) updateNetwork(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	body, err := decodeResource(r, "network")
	if err != nil {
		return err
	}
	n, err := s.loadNetwork(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforceAttrs(c, "update_network", networkTarget(n), body); err != nil {
		return err
	}
	wasExternal := n.External
	a := attrs{body: body, what: "network"}
	a.str("name", &n.Name, 255)
	a.str("description", &n.Description, 255)
	a.boolean("admin_state_up", &n.AdminStateUp)
	a.boolean("shared", &n.Shared)
	a.boolean("router:external", &n.External)
	a.boolean("port_security_enabled", &n.PortSecurity)
	a.boolean("is_default", &n.IsDefault)
	a.integer("mtu", &n.MTU, 68, 65535)
	if err := a.finish("name", "description", "admin_state_up", "shared", "router:external", "port_security_enabled",
		"is_default", "mtu", "qos_policy_id", "dns_domain"); err != nil {
		return err
	}
	if _, ok := body["provider:network_type"]; ok {
		return invalid("Plugin does not support updating provider attributes")
	}
	n.UpdatedAt = s.now()
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if wasExternal && !n.External {
			if err := externalInUse(r.Context(), tx, n.ID); err != nil {
				return err
			}
		}
		return updateNetworkRow(r.Context(), tx, n)
	})
	if err != nil {
		return err
	}
	n.Revision++
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"network": s.networkView(c, n)})
	return nil
}

// deleteNetwork is DELETE /v2.0/networks/{id}: refused while ports other than the network's
// own DHCP ports use it (NetworkInUse); its subnets go with it.
func (s *Service) deleteNetwork(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	n, err := s.loadNetwork(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_network", networkTarget(n)); err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		inUse, err := db.Exists(r.Context(), tx, "SELECT 1 FROM net_port WHERE network_id = ? AND device_owner <> ?", n.ID, "network:dhcp")
		if err != nil {
			return err
		}
		if inUse {
			return &ConflictError{Type: "NetworkInUse", Message: "Unable to complete operation on network " + n.ID +
				". There are one or more ports still in use on the network."}
		}
		for _, q := range []string{
			"DELETE FROM net_ip_allocation WHERE network_id = ?",
			"DELETE FROM net_port WHERE network_id = ?",
			"DELETE FROM net_tag WHERE resource_id IN (SELECT id FROM net_subnet WHERE network_id = ?)",
			"DELETE FROM net_subnet WHERE network_id = ?",
			"DELETE FROM net_segment WHERE network_id = ?",
		} {
			if _, err := tx.Exec(r.Context(), q, n.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(r.Context(), "DELETE FROM net_tag WHERE resource_id = ?", n.ID); err != nil {
			return err
		}
		res, err := tx.Exec(r.Context(), "DELETE FROM net_network WHERE id = ?", n.ID)
		return mustAffect(res, err, "Network", n.ID)
	})
	if err != nil {
		return err
	}
	s.syncDHCP(r.Context(), n.ID, true)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// externalInUse refuses to make a network non-external while router gateways or floating IPs
// are on it (409 ExternalNetworkInUse).
func externalInUse(ctx context.Context, q db.Querier, networkID string) error {
	used, err := db.Exists(ctx, q, "SELECT 1 FROM net_port WHERE network_id = ? AND device_owner IN (?, ?)",
		networkID, ownerRouterGateway, ownerFloatingIP)
	if err != nil || !used {
		return err
	}
	return &ConflictError{Type: "ExternalNetworkInUse", Message: "External network " + networkID +
		" cannot be updated to be made non-external, since it has existing gateway ports."}
}

// enforceAttrs checks the action's rule, then the rule of each attribute the body sets that
// has one (create_network:shared …), as Neutron's policy engine does.
func (s *Service) enforceAttrs(c *auth.Context, action string, target map[string]string, body map[string]any) error {
	if err := s.enforce(c, action, target); err != nil {
		return err
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rule := action + ":" + k
		if s.policy.Known(rule) {
			if err := s.enforce(c, rule, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitFields reads fields=a,b&fields=c.
func splitFields(values []string) []string {
	var out []string
	for _, v := range values {
		for _, f := range splitComma(v) {
			out = append(out, f)
		}
	}
	return out
}

// provider reads the provider attributes of a create.
func (a *attrs) provider() providerRequest {
	var p providerRequest
	if v, ok := a.body["provider:network_type"]; ok {
		p.Given = true
		a.str("provider:network_type", &p.NetworkType, 16)
		_ = v
	}
	a.str("provider:physical_network", &p.PhysicalNetwork, 64)
	if raw, ok := a.body["provider:segmentation_id"]; ok && raw != nil {
		switch v := raw.(type) {
		case float64:
			p.SegmentationID = int(v)
		case string:
			n, err := strconv.Atoi(v)
			if err != nil {
				a.fail("'%s' is not an integer for provider:segmentation_id", v)
			}
			p.SegmentationID = n
		default:
			a.fail("provider:segmentation_id must be an integer")
		}
	}
	if !p.Given && (p.PhysicalNetwork != "" || p.SegmentationID != 0) {
		a.fail("provider:network_type is required with provider:physical_network or provider:segmentation_id")
	}
	return p
}
