package identity

import "github.com/gostack/gostack/internal/platform/policy"

// Check strings shared by the defaults. As in Keystone Zed with its deprecated rules still in
// force, an admin on any scope is a cloud admin; system readers read everything; domain
// readers/admins act inside their domain; users manage what is theirs.
const (
	systemReader = "(role:reader and system_scope:all)"
	adminOnly    = "rule:admin_required"
	readAll      = adminOnly + " or " + systemReader
)

func domainReader(attr string) string { return "(role:reader and domain_id:%(" + attr + ")s)" }
func domainAdmin(attr string) string  { return "(role:admin and domain_id:%(" + attr + ")s)" }

// rule builds one documented default.
func rule(name, check, description, method, path string, scopes ...string) policy.Rule {
	if len(scopes) == 0 {
		scopes = []string{"system", "domain", "project"}
	}
	return policy.Rule{Name: name, Check: check, Description: description,
		Operations: []policy.Operation{{Method: method, Path: path}}, ScopeTypes: scopes}
}

// Policies returns the identity service's default policy rules.
func Policies() []policy.Rule {
	base := []policy.Rule{
		{Name: "admin_required", Check: "role:admin", Description: "Holds the admin role."},
		{Name: "service_role", Check: "role:service", Description: "Holds the service role."},
		{Name: "service_or_admin", Check: "rule:admin_required or rule:service_role", Description: "An admin or a service."},
		{Name: "owner", Check: "user_id:%(user_id)s", Description: "The user the request is about."},
		{Name: "admin_or_owner", Check: "rule:admin_required or rule:owner", Description: "An admin or the owner."},
		{Name: "token_subject", Check: "user_id:%(target.token.user_id)s", Description: "The user the token belongs to."},
		{Name: "service_admin_or_token_subject", Check: "rule:service_or_admin or rule:token_subject", Description: "An admin, a service, or the token's own user."},
	}
	userDomain := "target.user.domain_id"
	groupDomain := "target.group.domain_id"
	projectDomain := "target.project.domain_id"
	listDomain := "target.domain_id"
	owner := "user_id:%(target.user.id)s"
	credOwner := "user_id:%(target.credential.user_id)s"
	appCredOwner := "user_id:%(target.user.id)s"
	rules := []policy.Rule{
		rule("identity:check_token", "rule:service_admin_or_token_subject or "+systemReader, "Check a token.", "HEAD", "/v3/auth/tokens"),
		rule("identity:validate_token", "rule:service_admin_or_token_subject or "+systemReader, "Validate a token.", "GET", "/v3/auth/tokens"),
		rule("identity:revoke_token", "rule:service_admin_or_token_subject", "Revoke a token.", "DELETE", "/v3/auth/tokens"),

		rule("identity:get_region", "", "Show a region.", "GET", "/v3/regions/{region_id}"),
		rule("identity:list_regions", "", "List regions.", "GET", "/v3/regions"),
		rule("identity:create_region", adminOnly, "Create a region.", "POST", "/v3/regions", "system"),
		rule("identity:update_region", adminOnly, "Update a region.", "PATCH", "/v3/regions/{region_id}", "system"),
		rule("identity:delete_region", adminOnly, "Delete a region.", "DELETE", "/v3/regions/{region_id}", "system"),

		rule("identity:get_service", readAll, "Show a service.", "GET", "/v3/services/{service_id}", "system"),
		rule("identity:list_services", readAll, "List services.", "GET", "/v3/services", "system"),
		rule("identity:create_service", adminOnly, "Create a service.", "POST", "/v3/services", "system"),
		rule("identity:update_service", adminOnly, "Update a service.", "PATCH", "/v3/services/{service_id}", "system"),
		rule("identity:delete_service", adminOnly, "Delete a service.", "DELETE", "/v3/services/{service_id}", "system"),

		rule("identity:get_endpoint", readAll, "Show an endpoint.", "GET", "/v3/endpoints/{endpoint_id}", "system"),
		rule("identity:list_endpoints", readAll, "List endpoints.", "GET", "/v3/endpoints", "system"),
		rule("identity:create_endpoint", adminOnly, "Create an endpoint.", "POST", "/v3/endpoints", "system"),
		rule("identity:update_endpoint", adminOnly, "Update an endpoint.", "PATCH", "/v3/endpoints/{endpoint_id}", "system"),
		rule("identity:delete_endpoint", adminOnly, "Delete an endpoint.", "DELETE", "/v3/endpoints/{endpoint_id}", "system"),

		rule("identity:get_domain", readAll+" or "+domainReader("target.domain.id")+" or token.project.domain.id:%(target.domain.id)s", "Show a domain.", "GET", "/v3/domains/{domain_id}"),
		rule("identity:list_domains", readAll, "List domains.", "GET", "/v3/domains", "system"),
		rule("identity:create_domain", adminOnly, "Create a domain.", "POST", "/v3/domains", "system"),
		rule("identity:update_domain", adminOnly, "Update a domain.", "PATCH", "/v3/domains/{domain_id}", "system"),
		rule("identity:delete_domain", adminOnly, "Delete a domain.", "DELETE", "/v3/domains/{domain_id}", "system"),

		rule("identity:get_project", readAll+" or "+domainReader(projectDomain)+" or project_id:%(target.project.id)s", "Show a project.", "GET", "/v3/projects/{project_id}"),
		rule("identity:list_projects", readAll+" or "+domainReader(listDomain), "List projects.", "GET", "/v3/projects", "system", "domain"),
		rule("identity:list_user_projects", readAll+" or "+domainReader(userDomain)+" or "+owner, "List a user's projects.", "GET", "/v3/users/{user_id}/projects"),
		rule("identity:create_project", adminOnly+" or "+domainAdmin(projectDomain), "Create a project.", "POST", "/v3/projects", "system", "domain"),
		rule("identity:update_project", adminOnly+" or "+domainAdmin(projectDomain), "Update a project.", "PATCH", "/v3/projects/{project_id}", "system", "domain"),
		rule("identity:delete_project", adminOnly+" or "+domainAdmin(projectDomain), "Delete a project.", "DELETE", "/v3/projects/{project_id}", "system", "domain"),
		rule("identity:list_project_tags", readAll+" or "+domainReader(projectDomain)+" or project_id:%(target.project.id)s", "List a project's tags.", "GET", "/v3/projects/{project_id}/tags"),
		rule("identity:update_project_tags", adminOnly+" or "+domainAdmin(projectDomain), "Change a project's tags.", "PUT", "/v3/projects/{project_id}/tags"),

		rule("identity:get_user", readAll+" or "+domainReader(userDomain)+" or "+owner, "Show a user.", "GET", "/v3/users/{user_id}"),
		rule("identity:list_users", readAll+" or "+domainReader(listDomain), "List users.", "GET", "/v3/users", "system", "domain"),
		rule("identity:create_user", adminOnly+" or "+domainAdmin(userDomain), "Create a user.", "POST", "/v3/users", "system", "domain"),
		rule("identity:update_user", adminOnly+" or "+domainAdmin(userDomain), "Update a user.", "PATCH", "/v3/users/{user_id}", "system", "domain"),
		rule("identity:delete_user", adminOnly+" or "+domainAdmin(userDomain), "Delete a user.", "DELETE", "/v3/users/{user_id}", "system", "domain"),

		rule("identity:get_group", readAll+" or "+domainReader(groupDomain), "Show a group.", "GET", "/v3/groups/{group_id}"),
		rule("identity:list_groups", readAll+" or "+domainReader(listDomain), "List groups.", "GET", "/v3/groups", "system", "domain"),
		rule("identity:list_groups_for_user", readAll+" or "+domainReader(userDomain)+" or "+owner, "List a user's groups.", "GET", "/v3/users/{user_id}/groups"),
		rule("identity:create_group", adminOnly+" or "+domainAdmin(groupDomain), "Create a group.", "POST", "/v3/groups", "system", "domain"),
		rule("identity:update_group", adminOnly+" or "+domainAdmin(groupDomain), "Update a group.", "PATCH", "/v3/groups/{group_id}", "system", "domain"),
		rule("identity:delete_group", adminOnly+" or "+domainAdmin(groupDomain), "Delete a group.", "DELETE", "/v3/groups/{group_id}", "system", "domain"),
		rule("identity:list_users_in_group", readAll+" or "+domainReader(groupDomain), "List a group's members.", "GET", "/v3/groups/{group_id}/users"),
		rule("identity:check_user_in_group", readAll+" or "+domainReader(groupDomain), "Check a membership.", "HEAD", "/v3/groups/{group_id}/users/{user_id}"),
		rule("identity:add_user_to_group", adminOnly+" or "+domainAdmin(groupDomain), "Add a member.", "PUT", "/v3/groups/{group_id}/users/{user_id}"),
		rule("identity:remove_user_from_group", adminOnly+" or "+domainAdmin(groupDomain), "Remove a member.", "DELETE", "/v3/groups/{group_id}/users/{user_id}"),

		rule("identity:get_role", readAll+" or role:reader", "Show a role.", "GET", "/v3/roles/{role_id}"),
		rule("identity:list_roles", readAll+" or role:reader", "List roles.", "GET", "/v3/roles"),
		rule("identity:create_role", adminOnly, "Create a role.", "POST", "/v3/roles", "system"),
		rule("identity:update_role", adminOnly, "Update a role.", "PATCH", "/v3/roles/{role_id}", "system"),
		rule("identity:delete_role", adminOnly, "Delete a role.", "DELETE", "/v3/roles/{role_id}", "system"),
		rule("identity:list_implied_roles", readAll, "List the roles a role implies.", "GET", "/v3/roles/{prior_role_id}/implies", "system"),
		rule("identity:get_implied_role", readAll, "Show a role implication.", "GET", "/v3/roles/{prior_role_id}/implies/{implied_role_id}", "system"),
		rule("identity:create_implied_role", adminOnly, "Create a role implication.", "PUT", "/v3/roles/{prior_role_id}/implies/{implied_role_id}", "system"),
		rule("identity:delete_implied_role", adminOnly, "Delete a role implication.", "DELETE", "/v3/roles/{prior_role_id}/implies/{implied_role_id}", "system"),
		rule("identity:list_role_inference_rules", readAll, "List every role implication.", "GET", "/v3/role_inferences", "system"),
		rule("identity:check_implied_role", readAll, "Check a role implication.", "HEAD", "/v3/roles/{prior_role_id}/implies/{implied_role_id}", "system"),
		rule("identity:get_domain_role", readAll, "Show a domain-specific role.", "GET", "/v3/roles/{role_id}", "system"),
		rule("identity:list_domain_roles", readAll, "List a domain's roles.", "GET", "/v3/roles?domain_id={domain_id}", "system"),
		rule("identity:create_domain_role", adminOnly, "Create a domain-specific role.", "POST", "/v3/roles", "system"),
		rule("identity:update_domain_role", adminOnly, "Update a domain-specific role.", "PATCH", "/v3/roles/{role_id}", "system"),
		rule("identity:delete_domain_role", adminOnly, "Delete a domain-specific role.", "DELETE", "/v3/roles/{role_id}", "system"),
		rule("identity:list_role_assignments_for_tree", readAll+" or "+domainReader(listDomain), "List the role assignments of a project tree.", "GET", "/v3/role_assignments?include_subtree", "system", "domain", "project"),

		rule("identity:check_grant", readAll+" or "+domainReader("target.domain.id")+" or "+domainReader(projectDomain), "Check a role grant.", "HEAD", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
		rule("identity:list_grants", readAll+" or "+domainReader("target.domain.id")+" or "+domainReader(projectDomain), "List role grants.", "GET", "/v3/projects/{project_id}/users/{user_id}/roles"),
		rule("identity:create_grant", adminOnly+" or "+domainAdmin("target.domain.id")+" or "+domainAdmin(projectDomain), "Grant a role.", "PUT", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", "system", "domain"),
		rule("identity:revoke_grant", adminOnly+" or "+domainAdmin("target.domain.id")+" or "+domainAdmin(projectDomain), "Revoke a role.", "DELETE", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", "system", "domain"),
		rule("identity:list_system_grants", readAll+" or "+owner, "List system role grants.", "GET", "/v3/system/users/{user_id}/roles", "system"),
		rule("identity:check_system_grant", readAll, "Check a system role grant.", "HEAD", "/v3/system/users/{user_id}/roles/{role_id}", "system"),
		rule("identity:create_system_grant", adminOnly, "Grant a system role.", "PUT", "/v3/system/users/{user_id}/roles/{role_id}", "system"),
		rule("identity:revoke_system_grant", adminOnly, "Revoke a system role.", "DELETE", "/v3/system/users/{user_id}/roles/{role_id}", "system"),
		rule("identity:list_role_assignments", readAll+" or "+domainReader(listDomain), "List role assignments.", "GET", "/v3/role_assignments", "system", "domain"),

		rule("identity:get_application_credential", readAll+" or "+appCredOwner, "Show an application credential.", "GET", "/v3/users/{user_id}/application_credentials/{application_credential_id}"),
		rule("identity:list_application_credentials", readAll+" or "+appCredOwner, "List application credentials.", "GET", "/v3/users/{user_id}/application_credentials"),
		rule("identity:create_application_credential", appCredOwner, "Create an application credential.", "POST", "/v3/users/{user_id}/application_credentials", "project"),
		rule("identity:delete_application_credential", adminOnly+" or "+appCredOwner, "Delete an application credential.", "DELETE", "/v3/users/{user_id}/application_credentials/{application_credential_id}"),

		rule("identity:get_credential", readAll+" or "+credOwner, "Show a credential.", "GET", "/v3/credentials/{credential_id}"),
		rule("identity:list_credentials", readAll+" or "+credOwner, "List credentials.", "GET", "/v3/credentials"),
		rule("identity:create_credential", adminOnly+" or "+credOwner, "Create a credential.", "POST", "/v3/credentials"),
		rule("identity:update_credential", adminOnly+" or "+credOwner, "Update a credential.", "PATCH", "/v3/credentials/{credential_id}"),
		rule("identity:delete_credential", adminOnly+" or "+credOwner, "Delete a credential.", "DELETE", "/v3/credentials/{credential_id}"),
	}
	return append(base, rules...)
}
