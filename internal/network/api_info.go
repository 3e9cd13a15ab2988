package network

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// extension is one entry of GET /v2.0/extensions.
type extension struct{ alias, name, description string }

// extensions are the API extensions this service implements; clients (the openstack CLI
// among them) look here before using an attribute or resource.
var extensions = slices.Concat(baseExtensions, subnetExtensions, portExtensions, securityGroupExtensions, routerExtensions)

// baseExtensions are the extensions of networks and of the service itself.
var baseExtensions = []extension{
	{"agent", "agent", "The agents of the data plane."},
	{"availability_zone", "Availability Zone", "Availability zones of networks and routers."},
	{"network_availability_zone", "Network Availability Zone", "The availability_zone_hints and availability_zones of networks."},
	{"external-net", "Neutron external network", "The router:external attribute of networks."},
	{"filter-validation", "Filter parameters validation", "Unknown filter parameters are refused with a 400."},
	{"net-mtu", "Network MTU", "The mtu attribute of networks."},
	{"net-mtu-writable", "Network MTU (writable)", "The mtu of a network can be set."},
	{"pagination", "Pagination support", "limit and marker on lists."},
	{"port-security", "Port Security", "The port_security_enabled attribute of networks and ports."},
	{"project-id", "project_id field enabled", "project_id next to tenant_id."},
	{"quotas", "Quota management support", "Per-project quotas of networks, subnets, ports, routers, floating IPs and security groups."},
	{"quota_details", "Quota details management support", "Quota usage: limit, used and reserved per resource."},
	{"provider", "Provider Network", "The provider:network_type, provider:physical_network and provider:segmentation_id attributes."},
	{"sorting", "Sorting support", "sort_key and sort_dir on lists."},
	{"standard-attr-description", "standard-attr-description", "A description on every resource."},
	{"standard-attr-revisions", "Resource revision numbers", "revision_number on every resource."},
	{"standard-attr-tag", "Tag support for resources with standard attribute", "Tags on every resource."},
	{"standard-attr-timestamp", "Resource timestamps", "created_at and updated_at on every resource."},
}

// extensionsUpdated is the date every extension reports.
const extensionsUpdated = "2024-01-01T00:00:00-00:00"

func extensionView(e extension) map[string]any {
	return map[string]any{"alias": e.alias, "name": e.name, "description": e.description,
		"updated": extensionsUpdated, "links": []any{}}
}

// listExtensions is GET /v2.0/extensions.
func (s *Service) listExtensions(w http.ResponseWriter, r *http.Request) error {
	out := make([]map[string]any, len(extensions))
	for i, e := range extensions {
		out[i] = extensionView(e)
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"extensions": out})
	return nil
}

// showExtension is GET /v2.0/extensions/{alias}.
func (s *Service) showExtension(w http.ResponseWriter, r *http.Request) error {
	for _, e := range extensions {
		if e.alias == r.PathValue("alias") {
			s.api.WriteJSON(w, http.StatusOK, map[string]any{"extension": extensionView(e)})
			return nil
		}
	}
	return &httpapi.Error{Status: http.StatusNotFound, Title: "HTTPNotFound", Message: "Extension with alias " + r.PathValue("alias") + " does not exist"}
}

// baseURL is the service's public URL root.
func (s *Service) baseURL(r *http.Request) string {
	if s.opts.PublicEndpoint != "" {
		return strings.TrimSuffix(s.opts.PublicEndpoint, "/")
	}
	return httpapi.BaseURL(r)
}

// versions is GET /: Neutron's one API version.
func (s *Service) versions(w http.ResponseWriter, r *http.Request) error {
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"versions": []map[string]any{{"id": "v2.0", "status": "CURRENT",
		"links": []httpapi.Link{{Rel: "self", Href: s.baseURL(r) + "/v2.0/"}}}}})
	return nil
}

// collections are the resources GET /v2.0/ lists.
var collections = []string{"networks", "subnets", "ports", "routers", "floatingips", "security-groups", "security-group-rules"}

// resources is GET /v2.0/.
func (s *Service) resources(w http.ResponseWriter, r *http.Request) error {
	out := make([]map[string]any, 0, len(collections))
	for _, c := range collections {
		name := strings.TrimSuffix(strings.ReplaceAll(c, "-", "_"), "s")
		out = append(out, map[string]any{"name": name, "collection": c,
			"links": []httpapi.Link{{Rel: "self", Href: s.baseURL(r) + "/v2.0/" + c}}})
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"resources": out})
	return nil
}

// listAgents is GET /v2.0/agents: the data plane's agents, as Neutron lists its agents.
func (s *Service) listAgents(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(caller(r), "get_agent", nil); err != nil {
		return err
	}
	agents, err := s.dataplane.Agents(r.Context())
	if err != nil {
		return err
	}
	now := neutronTime(time.Now())
	out := make([]map[string]any, len(agents))
	for i, a := range agents {
		out[i] = map[string]any{"id": agentID(a.Binary, a.Host), "agent_type": a.Type, "binary": a.Binary, "host": a.Host,
			"alive": a.Alive, "admin_state_up": a.Up, "availability_zone": nil, "topic": "N/A", "configurations": map[string]any{},
			"created_at": now, "started_at": now, "heartbeat_timestamp": now, "description": a.Description,
			"resources_synced": nil}
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"agents": out})
	return nil
}

// agentID is a stable id for an agent: a name-based UUID of its binary and host.
func agentID(binary, host string) string {
	return uuidFromName("agent:" + binary + "@" + host)
}

// listAvailabilityZones is GET /v2.0/availability_zones: gostack has one zone, nova.
func (s *Service) listAvailabilityZones(w http.ResponseWriter, r *http.Request) error {
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"availability_zones": []map[string]any{
		{"name": "nova", "resource": "network", "state": "available"},
		{"name": "nova", "resource": "router", "state": "available"},
	}})
	return nil
}
