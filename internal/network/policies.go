package network

import "github.com/gostack/gostack/internal/platform/policy"

// Check strings of Neutron's defaults (2023.2 onwards, new defaults enforced). In targets,
// project_id is the resource's project; shared and router:external are "True" or "False".
const (
	adminOnly     = "rule:admin_only"
	adminOrMember = "rule:admin_only or rule:project_member"
	adminOrReader = "rule:admin_only or rule:project_reader"
)

func netRule(name, check, description, method, path string) policy.Rule {
	return policy.Rule{Name: name, Check: check, Description: description,
		Operations: []policy.Operation{{Method: method, Path: path}}, ScopeTypes: []string{"project"}}
}

// Policies returns the network service's default policy rules, under Neutron's names.
func Policies() []policy.Rule {
	base := []policy.Rule{
		{Name: "context_is_admin", Check: "role:admin", Description: "Acts as a network administrator."},
		{Name: "admin_only", Check: "rule:context_is_admin", Description: "An administrator."},
		{Name: "project_member", Check: "role:member and project_id:%(project_id)s", Description: "A member of the resource's project."},
		{Name: "project_reader", Check: "role:reader and project_id:%(project_id)s", Description: "A reader of the resource's project."},
		{Name: "shared", Check: "'True':%(shared)s", Description: "The network is shared."},
		{Name: "external", Check: "'True':%(router:external)s", Description: "The network is external."},
	}
	nets := "/v2.0/networks"
	one := nets + "/{id}"
	rules := append(base,
		netRule("create_network", adminOrMember, "Create a network.", "POST", nets),
		netRule("create_network:shared", adminOnly, "Create a shared network.", "POST", nets),
		netRule("create_network:router:external", adminOnly, "Create an external network.", "POST", nets),
		netRule("create_network:is_default", adminOnly, "Make a network the default external network.", "POST", nets),
		netRule("create_network:port_security_enabled", adminOrMember, "Set port security of a network.", "POST", nets),
		netRule("create_network:segments", adminOnly, "Give a network's segments.", "POST", nets),
		netRule("create_network:provider:network_type", adminOnly, "Give a network's type.", "POST", nets),
		netRule("create_network:provider:physical_network", adminOnly, "Give a network's physical network.", "POST", nets),
		netRule("create_network:provider:segmentation_id", adminOnly, "Give a network's segmentation id.", "POST", nets),
		netRule("get_network", adminOrReader+" or rule:shared or rule:external", "Show or list networks.", "GET", one),
		netRule("get_network:segments", adminOnly, "See a network's segments.", "GET", one),
		netRule("get_network:provider:network_type", adminOnly, "See a network's type.", "GET", one),
		netRule("get_network:provider:physical_network", adminOnly, "See a network's physical network.", "GET", one),
		netRule("get_network:provider:segmentation_id", adminOnly, "See a network's segmentation id.", "GET", one),
		netRule("update_network", adminOrMember, "Update a network.", "PUT", one),
		netRule("update_network:shared", adminOnly, "Share or unshare a network.", "PUT", one),
		netRule("update_network:router:external", adminOnly, "Make a network external or not.", "PUT", one),
		netRule("update_network:provider:network_type", adminOnly, "Change a network's type.", "PUT", one),
		netRule("update_network:provider:physical_network", adminOnly, "Change a network's physical network.", "PUT", one),
		netRule("update_network:provider:segmentation_id", adminOnly, "Change a network's segmentation id.", "PUT", one),
		netRule("delete_network", adminOrMember, "Delete a network.", "DELETE", one),
		netRule("get_agent", adminOnly, "Show or list agents.", "GET", "/v2.0/agents"),
		netRule("get_availability_zone", "", "List availability zones.", "GET", "/v2.0/availability_zones"),
	)
	rules = append(rules, subnetPolicies()...)
	rules = append(rules, portPolicies()...)
	rules = append(rules, quotaPolicies()...)
	rules = append(rules, routerPolicies()...)
	rules = append(rules, floatingIPPolicies()...)
	return append(rules, securityGroupPolicies()...)
}
