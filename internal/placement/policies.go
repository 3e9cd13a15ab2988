package placement

import "github.com/gostack/gostack/internal/platform/policy"

// Check strings of Placement's defaults (2023.2 onwards): administrators and the service role
// (Nova, Neutron, Cyborg talking to placement) may do everything; a project reader may only
// see its own project's usages.
const (
	adminOrService         = "rule:admin_or_service_api"
	adminOrReaderOrService = "rule:admin_or_project_reader_or_service_api"
)

// Policy rule names, as Placement's.
const (
	ruleProviderList      = "placement:resource_providers:list"
	ruleProviderCreate    = "placement:resource_providers:create"
	ruleProviderShow      = "placement:resource_providers:show"
	ruleProviderUpdate    = "placement:resource_providers:update"
	ruleProviderDelete    = "placement:resource_providers:delete"
	ruleClassList         = "placement:resource_classes:list"
	ruleClassCreate       = "placement:resource_classes:create"
	ruleClassShow         = "placement:resource_classes:show"
	ruleClassUpdate       = "placement:resource_classes:update"
	ruleClassDelete       = "placement:resource_classes:delete"
	ruleInventoryList     = "placement:resource_providers:inventories:list"
	ruleInventoryCreate   = "placement:resource_providers:inventories:create"
	ruleInventoryShow     = "placement:resource_providers:inventories:show"
	ruleInventoryUpdate   = "placement:resource_providers:inventories:update"
	ruleInventoryDelete   = "placement:resource_providers:inventories:delete"
	ruleAggregateList     = "placement:resource_providers:aggregates:list"
	ruleAggregateUpdate   = "placement:resource_providers:aggregates:update"
	ruleProviderUsages    = "placement:resource_providers:usages"
	ruleTotalUsages       = "placement:usages"
	ruleTraitsList        = "placement:traits:list"
	ruleTraitsShow        = "placement:traits:show"
	ruleTraitsUpdate      = "placement:traits:update"
	ruleTraitsDelete      = "placement:traits:delete"
	ruleProviderTraitList = "placement:resource_providers:traits:list"
	ruleProviderTraitPut  = "placement:resource_providers:traits:update"
	ruleProviderTraitDel  = "placement:resource_providers:traits:delete"
	ruleAllocManage       = "placement:allocations:manage"
	ruleAllocList         = "placement:allocations:list"
	ruleAllocUpdate       = "placement:allocations:update"
	ruleAllocDelete       = "placement:allocations:delete"
	ruleProviderAllocList = "placement:resource_providers:allocations:list"
	ruleCandidatesList    = "placement:allocation_candidates:list"
	ruleReshape           = "placement:reshaper:reshape"
)

func plRule(name, check, description, method, path string) policy.Rule {
	return policy.Rule{Name: name, Check: check, Description: description,
		Operations: []policy.Operation{{Method: method, Path: path}}, ScopeTypes: []string{"project"}}
}

// Policies returns the placement service's default policy rules, under Placement's names.
func Policies() []policy.Rule {
	rp := "/resource_providers"
	one := rp + "/{uuid}"
	inv := one + "/inventories"
	return []policy.Rule{
		{Name: "admin_api", Check: "role:admin", Description: "Default rule for most placement APIs.", ScopeTypes: []string{"project"}},
		{Name: "service_api", Check: "role:service", Description: "Default rule for service-to-service placement APIs.", ScopeTypes: []string{"project"}},
		{Name: "admin_or_service_api", Check: "role:admin or role:service", Description: "Default rule for most placement APIs.", ScopeTypes: []string{"project"}},
		{Name: "project_reader_api", Check: "role:reader and project_id:%(project_id)s", Description: "Default rule for Project level reader APIs."},
		{Name: "admin_or_project_reader_or_service_api", Check: "role:admin or rule:project_reader_api or role:service",
			Description: "Default rule for project level reader APIs.", ScopeTypes: []string{"project"}},
		plRule(ruleProviderList, adminOrService, "List resource providers.", "GET", rp),
		plRule(ruleProviderCreate, adminOrService, "Create resource provider.", "POST", rp),
		plRule(ruleProviderShow, adminOrService, "Show resource provider.", "GET", one),
		plRule(ruleProviderUpdate, adminOrService, "Update resource provider.", "PUT", one),
		plRule(ruleProviderDelete, adminOrService, "Delete resource provider.", "DELETE", one),
		plRule(ruleClassList, adminOrService, "List resource classes.", "GET", "/resource_classes"),
		plRule(ruleClassCreate, adminOrService, "Create resource class.", "POST", "/resource_classes"),
		plRule(ruleClassShow, adminOrService, "Show resource class.", "GET", "/resource_classes/{name}"),
		plRule(ruleClassUpdate, adminOrService, "Update resource class.", "PUT", "/resource_classes/{name}"),
		plRule(ruleClassDelete, adminOrService, "Delete resource class.", "DELETE", "/resource_classes/{name}"),
		plRule(ruleInventoryList, adminOrService, "List resource provider inventories.", "GET", inv),
		plRule(ruleInventoryCreate, adminOrService, "Create one resource provider inventory.", "POST", inv),
		plRule(ruleInventoryShow, adminOrService, "Show resource provider inventory.", "GET", inv+"/{resource_class}"),
		plRule(ruleInventoryUpdate, adminOrService, "Update resource provider inventory.", "PUT", inv+"/{resource_class}"),
		plRule(ruleInventoryDelete, adminOrService, "Delete resource provider inventory.", "DELETE", inv+"/{resource_class}"),
		plRule(ruleAggregateList, adminOrService, "List resource provider aggregates.", "GET", one+"/aggregates"),
		plRule(ruleAggregateUpdate, adminOrService, "Update resource provider aggregates.", "PUT", one+"/aggregates"),
		plRule(ruleProviderUsages, adminOrService, "List resource provider usages.", "GET", one+"/usages"),
		plRule(ruleTotalUsages, adminOrReaderOrService, "List total resource usages for a given project.", "GET", "/usages"),
		plRule(ruleTraitsList, adminOrService, "List traits.", "GET", "/traits"),
		plRule(ruleTraitsShow, adminOrService, "Show trait.", "GET", "/traits/{name}"),
		plRule(ruleTraitsUpdate, adminOrService, "Update trait.", "PUT", "/traits/{name}"),
		plRule(ruleTraitsDelete, adminOrService, "Delete trait.", "DELETE", "/traits/{name}"),
		plRule(ruleProviderTraitList, adminOrService, "List resource provider traits.", "GET", one+"/traits"),
		plRule(ruleProviderTraitPut, adminOrService, "Update resource provider traits.", "PUT", one+"/traits"),
		plRule(ruleProviderTraitDel, adminOrService, "Delete resource provider traits.", "DELETE", one+"/traits"),
		plRule(ruleAllocManage, adminOrService, "Manage allocations.", "POST", "/allocations"),
		plRule(ruleAllocList, adminOrService, "List allocations.", "GET", "/allocations/{consumer_uuid}"),
		plRule(ruleAllocUpdate, adminOrService, "Update allocations.", "PUT", "/allocations/{consumer_uuid}"),
		plRule(ruleAllocDelete, adminOrService, "Delete allocations.", "DELETE", "/allocations/{consumer_uuid}"),
		plRule(ruleProviderAllocList, adminOrService, "List resource provider allocations.", "GET", one+"/allocations"),
		plRule(ruleCandidatesList, adminOrService, "List allocation candidates.", "GET", "/allocation_candidates"),
		plRule(ruleReshape, adminOrService, "Reshape Inventory and Allocations.", "POST", "/reshaper"),
	}
}
