package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// securityGroupExtensions are the extensions security groups bring.
var securityGroupExtensions = []extension{
	{"security-group", "security-group", "Security groups and their rules."},
	{"stateful-security-group", "Stateful security group", "The stateful attribute of security groups."},
	{"security-groups-normalized-cidr", "Normalized CIDR field for security group rules", "The normalized_cidr attribute of security group rules."},
	{"security-groups-rules-belongs-to-default-sg", "Security group rule belongs to the project's default security group",
		"The belongs_to_default_sg attribute of security group rules."},
}

// securityGroupPolicies are the default rules of security groups, under Neutron's names.
func securityGroupPolicies() []policy.Rule {
	groups := "/v2.0/security-groups"
	group := groups + "/{id}"
	tags := group + "/tags"
	rules := "/v2.0/security-group-rules"
	rule := rules + "/{id}"
	sgOwnerMember := "(rule:admin_only) or (role:member and rule:sg_owner)"
	sgOwnerReader := "(rule:admin_only) or (role:reader and rule:sg_owner)"
	return []policy.Rule{
		{Name: "sg_owner", Check: "project_id:%(security_group:project_id)s", Description: "The project of the rule's security group."},
		{Name: "admin_or_sg_owner", Check: "rule:context_is_admin or project_id:%(security_group:project_id)s",
			Description: "An administrator or the project of the rule's security group."},
		{Name: "shared_security_group", Check: "'True':%(shared)s", Description: "The security group is shared."},
		{Name: "rule_default_sg", Check: "'True':%(belongs_to_default_sg)s", Description: "The rule belongs to its project's default security group."},
		netRule("create_security_group", adminOrMember, "Create a security group.", "POST", groups),
		netRule("create_security_group:tags", adminOrMember, "Create a security group with tags.", "POST", groups),
		netRule("get_security_group", adminOrReader+" or rule:shared_security_group", "Show or list security groups.", "GET", group),
		netRule("get_security_group:tags", adminOrReader+" or rule:shared_security_group", "See a security group's tags.", "GET", tags),
		netRule("update_security_group", adminOrMember, "Update a security group.", "PUT", group),
		netRule("update_security_group:tags", adminOrMember, "Change a security group's tags.", "PUT", tags),
		netRule("delete_security_group", adminOrMember, "Delete a security group.", "DELETE", group),
		netRule("delete_security_group:tags", adminOrMember, "Remove a security group's tags.", "DELETE", tags),
		netRule("create_security_group_rule", sgOwnerMember, "Create a security group rule.", "POST", rules),
		netRule("get_security_group_rule", sgOwnerReader, "Show or list security group rules.", "GET", rule),
		netRule("delete_security_group_rule", sgOwnerMember, "Delete a security group rule.", "DELETE", rule),
	}
}

// securityGroupRoutes registers the security group API.
func (s *Service) securityGroupRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	sg := func(fn httpapi.HandlerFunc) http.Handler {
		return authed(func(w http.ResponseWriter, r *http.Request) error { return sgErrors(fn(w, r)) })
	}
	mux.Handle("POST /v2.0/security-groups", sg(s.createSecurityGroup))
	mux.Handle("GET /v2.0/security-groups", sg(s.listSecurityGroups))
	mux.Handle("GET /v2.0/security-groups/{id}", sg(s.showSecurityGroup))
	mux.Handle("PUT /v2.0/security-groups/{id}", sg(s.updateSecurityGroup))
	mux.Handle("DELETE /v2.0/security-groups/{id}", sg(s.deleteSecurityGroup))
	mux.Handle("POST /v2.0/security-group-rules", sg(s.createRules))
	mux.Handle("GET /v2.0/security-group-rules", sg(s.listRules))
	mux.Handle("GET /v2.0/security-group-rules/{id}", sg(s.showRule))
	mux.Handle("DELETE /v2.0/security-group-rules/{id}", sg(s.deleteRule))
	s.tagRoutes(mux, authed, "security-groups", "net_security_group", func(ctx context.Context, c *auth.Context, id string) (map[string]string, string, error) {
		g, err := s.loadSecurityGroup(ctx, c, id)
		return securityGroupTarget(g), "update_security_group:tags", sgErrors(err)
	})
}

// sgErrors gives missing groups and rules Neutron's error types and wording.
func sgErrors(err error) error {
	var nf *NotFoundError
	if errors.As(err, &nf) {
		switch nf.Kind {
		case "SecurityGroup":
			return securityGroupNotFound(nf.ID)
		case "SecurityGroupRule":
			return &httpapi.Error{Status: http.StatusNotFound, Title: "SecurityGroupRuleNotFound",
				Message: "Security group rule " + nf.ID + " does not exist"}
		}
	}
	return err
}

// securityGroupNotFound is Neutron's SecurityGroupNotFound for one or more ids.
func securityGroupNotFound(ids ...string) error {
	return &httpapi.Error{Status: http.StatusNotFound, Title: "SecurityGroupNotFound",
		Message: "Security group " + strings.Join(ids, ", ") + " does not exist"}
}

// securityGroupInUseError is Neutron's SecurityGroupInUse.
func securityGroupInUseError(id string) error {
	return &ConflictError{Type: "SecurityGroupInUse", Message: "Security Group " + id + " in use."}
}

// securityGroupTarget is the policy target of a group.
func securityGroupTarget(g SecurityGroup) map[string]string {
	return map[string]string{"id": g.ID, "project_id": g.ProjectID, "tenant_id": g.ProjectID, "name": g.Name, "shared": "False"}
}

// ruleTarget is the policy target of a rule: its own project and its group's.
func ruleTarget(x SecurityGroupRule) map[string]string {
	return map[string]string{"id": x.ID, "project_id": x.ProjectID, "tenant_id": x.ProjectID,
		"security_group_id": x.SecurityGroupID, "security_group:project_id": x.GroupProjectID,
		"belongs_to_default_sg": boolText(x.InDefaultGroup)}
}

// groupDoc is a security group as the API renders it. Views are structs rather than maps:
// lists of a thousand groups with their rules encode several times faster.
type groupDoc struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	ProjectID   string    `json:"project_id"`
	TenantID    string    `json:"tenant_id"`
	Rules       []ruleDoc `json:"security_group_rules"`
	Stateful    bool      `json:"stateful"`
	Shared      bool      `json:"shared"`
	Tags        []string  `json:"tags"`
	CreatedAt   string    `json:"created_at"`
	UpdatedAt   string    `json:"updated_at"`
	Revision    int64     `json:"revision_number"`
}

// ruleDoc is a security group rule as the API renders it; nil pointers are nulls.
type ruleDoc struct {
	ID                   string  `json:"id"`
	ProjectID            string  `json:"project_id"`
	TenantID             string  `json:"tenant_id"`
	SecurityGroupID      string  `json:"security_group_id"`
	Direction            string  `json:"direction"`
	EtherType            string  `json:"ethertype"`
	Protocol             *string `json:"protocol"`
	PortRangeMin         *int    `json:"port_range_min"`
	PortRangeMax         *int    `json:"port_range_max"`
	RemoteIPPrefix       *string `json:"remote_ip_prefix"`
	NormalizedCIDR       *string `json:"normalized_cidr"`
	RemoteGroupID        *string `json:"remote_group_id"`
	RemoteAddressGroupID *string `json:"remote_address_group_id"`
	BelongsToDefaultSG   bool    `json:"belongs_to_default_sg"`
	Description          string  `json:"description"`
	CreatedAt            string  `json:"created_at"`
	UpdatedAt            string  `json:"updated_at"`
	Revision             int64   `json:"revision_number"`
}

// securityGroupView renders a group as Neutron does, with its rules.
func securityGroupView(g SecurityGroup) groupDoc {
	rules := make([]ruleDoc, len(g.Rules))
	for i, x := range g.Rules {
		rules[i] = ruleView(x)
	}
	return groupDoc{ID: g.ID, Name: g.Name, Description: g.Description, ProjectID: g.ProjectID, TenantID: g.ProjectID,
		Rules: rules, Stateful: g.Stateful, Tags: orEmpty(g.Tags), CreatedAt: neutronTime(g.CreatedAt),
		UpdatedAt: neutronTime(g.UpdatedAt), Revision: g.Revision}
}

// ruleView renders a rule as Neutron does.
func ruleView(x SecurityGroupRule) ruleDoc {
	return ruleDoc{ID: x.ID, ProjectID: x.ProjectID, TenantID: x.ProjectID, SecurityGroupID: x.SecurityGroupID,
		Direction: x.Direction, EtherType: x.EtherType, Protocol: strOrNil(x.Protocol), PortRangeMin: x.PortMin,
		PortRangeMax: x.PortMax, RemoteIPPrefix: strOrNil(x.RemoteIPPrefix), NormalizedCIDR: strOrNil(x.NormalizedCIDR),
		RemoteGroupID: strOrNil(x.RemoteGroupID), BelongsToDefaultSG: x.InDefaultGroup, Description: x.Description,
		CreatedAt: neutronTime(x.CreatedAt), UpdatedAt: neutronTime(x.UpdatedAt), Revision: x.Revision}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// withFields keeps only the requested fields of a rendered view (the view itself when none).
func withFields(view any, fields []string) (any, error) {
	if len(fields) == 0 {
		return view, nil
	}
	data, err := json.Marshal(view)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return selectFields(m, fields), nil
}

// loadSecurityGroup returns a group the caller may see; other projects' groups are a 404.
func (s *Service) loadSecurityGroup(ctx context.Context, c *auth.Context, id string) (SecurityGroup, error) {
	g, err := getSecurityGroup(ctx, s.db, id)
	if err != nil {
		return g, err
	}
	if !s.policy.Allowed("get_security_group", securityGroupTarget(g), c.Credentials()) {
		return g, &NotFoundError{Kind: "SecurityGroup", ID: id}
	}
	return g, nil
}

// loadRule returns a rule the caller may see; rules of other projects' groups are a 404.
func (s *Service) loadRule(ctx context.Context, c *auth.Context, id string) (SecurityGroupRule, error) {
	x, err := getRule(ctx, s.db, id)
	if err != nil {
		return x, err
	}
	if !s.policy.Allowed("get_security_group_rule", ruleTarget(x), c.Credentials()) {
		return x, &NotFoundError{Kind: "SecurityGroupRule", ID: id}
	}
	return x, nil
}

// ensureDefault makes sure a project has its default group, as Neutron does when a project
// first looks at security groups. Only the project itself or an administrator causes it.
func (s *Service) ensureDefault(ctx context.Context, c *auth.Context, projectID string) error {
	if projectID == "" || (projectID != c.ProjectID && !s.isAdmin(c)) {
		return nil
	}
	id, err := defaultGroupID(ctx, s.db, projectID, "")
	if err != nil || id != "" {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := s.defaultSecurityGroup(ctx, tx, projectID)
		return err
	})
}

// filterProject is the project a list is about: its project_id (or tenant_id) filter, else
// the caller's.
func filterProject(r *http.Request, c *auth.Context) string {
	q := r.URL.Query()
	for _, k := range []string{"project_id", "tenant_id"} {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
	}
	return c.ProjectID
}

// createSecurityGroup is POST /v2.0/security-groups. The new group gets the egress rules of
// Neutron's default template; the project's default group is made first if missing.
func (s *Service) createSecurityGroup(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	body, err := decodeResource(r, "security_group")
	if err != nil {
		return err
	}
	a := attrs{body: body, what: "security_group"}
	now := s.now()
	g := SecurityGroup{Standard: Standard{ID: newID(), ProjectID: a.project(c), CreatedAt: now, UpdatedAt: now}, Stateful: true}
	a.str("name", &g.Name, 255)
	a.str("description", &g.Description, 255)
	a.boolean("stateful", &g.Stateful)
	a.strList("tags", &g.Tags)
	if err := a.finish("name", "description", "stateful", "tags", "project_id", "tenant_id"); err != nil {
		return err
	}
	if g.ProjectID == "" {
		return invalid("project_id must not be empty")
	}
	if err := nameNotDefault(g.Name); err != nil {
		return err
	}
	if err := s.enforceAttrs(c, "create_security_group", securityGroupTarget(g), body); err != nil {
		return err
	}
	g.Rules = []SecurityGroupRule{
		s.templateRule(g, DirectionEgress, EtherTypeIPv4, ""),
		s.templateRule(g, DirectionEgress, EtherTypeIPv6, ""),
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if _, err := s.defaultSecurityGroup(r.Context(), tx, g.ProjectID); err != nil {
			return err
		}
		if err := s.checkQuota(r.Context(), tx, g.ProjectID, "security_group", 1); err != nil {
			return err
		}
		return insertGroupWithRules(r.Context(), tx, g)
	})
	if err != nil {
		return err
	}
	// a new group has no ports yet: nothing for the data plane to do
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"security_group": securityGroupView(g)})
	return nil
}

// nameNotDefault refuses the name "default" for a group other than the default one.
func nameNotDefault(name string) error {
	if strings.EqualFold(name, "default") {
		return &ConflictError{Type: "SecurityGroupDefaultAlreadyExists", Message: "Default security group already exists."}
	}
	return nil
}

// templateRule is one rule of Neutron's default rule template for group g; remote "" is no
// remote, anything else is a remote group.
func (s *Service) templateRule(g SecurityGroup, direction, ethertype, remote string) SecurityGroupRule {
	return SecurityGroupRule{ID: newID(), ProjectID: g.ProjectID, SecurityGroupID: g.ID, Direction: direction,
		EtherType: ethertype, RemoteGroupID: remote, CreatedAt: g.CreatedAt, UpdatedAt: g.CreatedAt,
		GroupProjectID: g.ProjectID, InDefaultGroup: g.IsDefault}
}

// showSecurityGroup is GET /v2.0/security-groups/{id}.
func (s *Service) showSecurityGroup(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if err := s.ensureDefault(r.Context(), c, c.ProjectID); err != nil {
		return err
	}
	g, err := s.loadSecurityGroup(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := withFields(securityGroupView(g), splitFields(r.URL.Query()["fields"]))
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"security_group": v})
	return nil
}

// listSecurityGroups is GET /v2.0/security-groups: the caller's project's groups (all for
// administrators), its default group made on the way if missing.
func (s *Service) listSecurityGroups(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := securityGroupKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if err := s.ensureDefault(r.Context(), c, filterProject(r, c)); err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("net_security_group.project_id = ?", c.ProjectID)
	}
	withRules := len(q.fields) == 0 || slices.Contains(q.fields, "security_group_rules")
	groups, err := listSecurityGroups(r.Context(), s.db, q, withRules)
	if err != nil {
		return err
	}
	out := make([]any, len(groups))
	for i, g := range groups {
		if out[i], err = withFields(securityGroupView(g), q.fields); err != nil {
			return err
		}
	}
	body := map[string]any{"security_groups": out}
	if q.limit > 0 && len(groups) == q.limit {
		body["security_groups_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, groups[len(groups)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// updateSecurityGroup is PUT /v2.0/security-groups/{id}: name, description, stateful. The
// default group keeps its name; stateful changes only while no port uses the group.
func (s *Service) updateSecurityGroup(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	body, err := decodeResource(r, "security_group")
	if err != nil {
		return err
	}
	g, err := s.loadSecurityGroup(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := attrs{body: body, what: "security_group"}
	name, stateful := g.Name, g.Stateful
	a.str("name", &g.Name, 255)
	a.str("description", &g.Description, 255)
	a.boolean("stateful", &g.Stateful)
	if err := a.finish("name", "description", "stateful"); err != nil {
		return err
	}
	if _, ok := body["name"]; ok {
		if err := nameNotDefault(g.Name); err != nil {
			return err
		}
	}
	if err := s.enforceAttrs(c, "update_security_group", securityGroupTarget(g), body); err != nil {
		return err
	}
	if _, ok := body["name"]; ok && (g.IsDefault || name == "default") {
		return &ConflictError{Type: "SecurityGroupCannotUpdateDefault", Message: "Updating default security group not allowed."}
	}
	g.UpdatedAt = s.now()
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		// The update locks the group's row first, so no port can take the group meanwhile.
		if err := updateSecurityGroupRow(r.Context(), tx, g); err != nil || g.Stateful == stateful {
			return err
		}
		inUse, err := s.securityGroupInUse(r.Context(), tx, g.ID)
		if err == nil && inUse {
			err = securityGroupInUseError(g.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	g.Revision++
	if g.Stateful != stateful {
		s.syncSecurityGroup(r.Context(), g.ID)
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"security_group": securityGroupView(g)})
	return nil
}

// deleteSecurityGroup is DELETE /v2.0/security-groups/{id}: refused while a port uses the
// group (SecurityGroupInUse), and for the default group unless by an administrator.
func (s *Service) deleteSecurityGroup(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	g, err := s.loadSecurityGroup(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_security_group", securityGroupTarget(g)); err != nil {
		return err
	}
	var others []string
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if err := touchSecurityGroup(r.Context(), tx, g.ID, s.now()); err != nil {
			return err
		}
		inUse, err := s.securityGroupInUse(r.Context(), tx, g.ID)
		if err != nil {
			return err
		}
		if inUse {
			return securityGroupInUseError(g.ID)
		}
		if (g.IsDefault || g.Name == "default") && !s.isAdmin(c) {
			return &ConflictError{Type: "SecurityGroupCannotRemoveDefault", Message: "Insufficient rights for removing default security group."}
		}
		others, err = deleteSecurityGroupRows(r.Context(), tx, g.ID)
		return err
	})
	if err != nil {
		return err
	}
	for _, id := range append([]string{g.ID}, others...) {
		s.syncSecurityGroup(r.Context(), id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createRules is POST /v2.0/security-group-rules, one rule ({"security_group_rule": …}) or,
// in bulk, several of one group ({"security_group_rules": […]}).
func (s *Service) createRules(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	bodies, bulk, err := decodeRules(r)
	if err != nil {
		return err
	}
	now := s.now()
	rules := make([]SecurityGroupRule, len(bodies))
	for i, body := range bodies {
		if rules[i], err = parseRule(c, body); err != nil {
			return err
		}
		rules[i].ID, rules[i].CreatedAt, rules[i].UpdatedAt = newID(), now, now
		if i > 0 && rules[i].SecurityGroupID != rules[0].SecurityGroupID {
			return &BadRequestError{Type: "SecurityGroupNotSingleGroupRules", Message: "Only allowed to update rules for one security profile at a time"}
		}
		if i > 0 && rules[i].ProjectID != rules[0].ProjectID {
			return &BadRequestError{Type: "SecurityGroupRulesNotSingleProject", Message: "Multiple project_ids in bulk security group rule create not allowed"}
		}
	}
	g, err := s.ruleGroup(r.Context(), c, rules[0].SecurityGroupID, rules[0].ProjectID)
	if err != nil {
		return err
	}
	for i := range rules {
		rules[i].GroupProjectID, rules[i].InDefaultGroup = g.ProjectID, g.IsDefault
		if err := s.enforce(c, "create_security_group_rule", ruleTarget(rules[i])); err != nil {
			return err
		}
		if rules[i].RemoteGroupID != "" && rules[i].RemoteGroupID != g.ID {
			if _, err := s.ruleGroup(r.Context(), c, rules[i].RemoteGroupID, rules[i].ProjectID); err != nil {
				return err
			}
		}
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if err := insertRules(r.Context(), tx, g.ID, rules, now); err != nil {
			return err
		}
		// counted after the insert, which locks the group first: the count then sees every
		// committed rule (a count before the lock reads an older snapshot on MySQL)
		return s.checkQuota(r.Context(), tx, g.ProjectID, "security_group_rule", 0)
	})
	if err != nil {
		return err
	}
	s.syncSecurityGroup(r.Context(), g.ID)
	if !bulk {
		s.api.WriteJSON(w, http.StatusCreated, map[string]any{"security_group_rule": ruleView(rules[0])})
		return nil
	}
	out := make([]ruleDoc, len(rules))
	for i, x := range rules {
		out[i] = ruleView(x)
	}
	s.api.WriteJSON(w, http.StatusCreated, map[string]any{"security_group_rules": out})
	return nil
}

// ruleGroup loads the group a rule belongs to or names as its remote group: it must be one
// the caller sees and, as Neutron checks, one of the rule's project (administrators excepted).
func (s *Service) ruleGroup(ctx context.Context, c *auth.Context, id, ruleProject string) (SecurityGroup, error) {
	g, err := s.loadSecurityGroup(ctx, c, id)
	if err != nil {
		return g, err
	}
	if g.ProjectID != ruleProject && !s.isAdmin(c) {
		return g, &NotFoundError{Kind: "SecurityGroup", ID: id}
	}
	return g, nil
}

// insertRules stores new rules of a group after checking that none repeats another: the
// group's row is locked first, so concurrent creates of one rule cannot both pass.
func insertRules(ctx context.Context, tx *db.Tx, groupID string, rules []SecurityGroupRule, now time.Time) error {
	if err := touchSecurityGroup(ctx, tx, groupID, now); err != nil {
		return err
	}
	existing, err := rulesOf(ctx, tx, groupID)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, x := range rules {
		key := ruleKey(x)
		if seen[key] {
			return &ConflictError{Type: "DuplicateSecurityGroupRuleInPost", Message: "Duplicate Security Group Rule in POST."}
		}
		seen[key] = true
	}
	for _, old := range existing {
		if seen[ruleKey(old)] {
			return &ConflictError{Type: "SecurityGroupRuleExists", Message: "Security group rule already exists. Rule id is " + old.ID + "."}
		}
	}
	for _, x := range rules {
		err := insertRule(ctx, tx, x)
		if db.IsForeignKey(err) {
			return &NotFoundError{Kind: "SecurityGroup", ID: x.RemoteGroupID} // the remote group went meanwhile
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// decodeRules reads a rule create body: one rule, or a bulk list.
func decodeRules(r *http.Request) ([]map[string]any, bool, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, false, err
	}
	if one, ok := body["security_group_rule"].(map[string]any); ok && len(body) == 1 {
		return []map[string]any{one}, false, nil
	}
	list, ok := body["security_group_rules"].([]any)
	if !ok || len(body) != 1 {
		return nil, false, &BadRequestError{Type: "HTTPBadRequest",
			Message: "Resource body required: the body must be {\"security_group_rule\": {…}} or {\"security_group_rules\": [{…}, …]}"}
	}
	if len(list) == 0 {
		return nil, false, &BadRequestError{Type: "HTTPBadRequest", Message: "Resources required"}
	}
	out := make([]map[string]any, len(list))
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, false, &BadRequestError{Type: "HTTPBadRequest", Message: "Each item of security_group_rules must be an object"}
		}
		out[i] = m
	}
	return out, true, nil
}

// listRules is GET /v2.0/security-group-rules: the rules of the caller's project's groups (all
// for administrators).
func (s *Service) listRules(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	q, err := ruleKind.parseList(r, s.opts.PageMax)
	if err != nil {
		return err
	}
	if err := s.ensureDefault(r.Context(), c, filterProject(r, c)); err != nil {
		return err
	}
	if !s.isAdmin(c) {
		q.where.Add("sg.project_id = ?", c.ProjectID) // the group, joined by ruleSelect
	}
	rules, err := listRules(r.Context(), s.db, q)
	if err != nil {
		return err
	}
	out := make([]any, len(rules))
	for i, x := range rules {
		if out[i], err = withFields(ruleView(x), q.fields); err != nil {
			return err
		}
	}
	body := map[string]any{"security_group_rules": out}
	if q.limit > 0 && len(rules) == q.limit {
		body["security_group_rules_links"] = []httpapi.Link{{Rel: "next", Href: httpapi.NextLink(r, s.opts.PublicEndpoint, rules[len(rules)-1].ID, q.limit)}}
	}
	s.api.WriteJSON(w, http.StatusOK, body)
	return nil
}

// showRule is GET /v2.0/security-group-rules/{id}.
func (s *Service) showRule(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	x, err := s.loadRule(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := withFields(ruleView(x), splitFields(r.URL.Query()["fields"]))
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"security_group_rule": v})
	return nil
}

// deleteRule is DELETE /v2.0/security-group-rules/{id}.
func (s *Service) deleteRule(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	x, err := s.loadRule(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(c, "delete_security_group_rule", ruleTarget(x)); err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		if err := touchSecurityGroup(r.Context(), tx, x.SecurityGroupID, s.now()); err != nil {
			return err
		}
		return deleteRuleRow(r.Context(), tx, x.ID)
	})
	if err != nil {
		return err
	}
	s.syncSecurityGroup(r.Context(), x.SecurityGroupID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ipProtocols are the protocol names rules accept, in Neutron's order, with their numbers.
var ipProtocols = []struct {
	name string
	num  int
}{
	{"ah", 51}, {"dccp", 33}, {"egp", 8}, {"esp", 50}, {"gre", 47}, {"hopopt", 0}, {"icmp", 1}, {"igmp", 2},
	{"ip", 0}, {"ipip", 4}, {"ipv6-encap", 41}, {"ipv6-frag", 44}, {"ipv6-icmp", 58}, {"icmpv6", 58},
	{"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ipv6-route", 43}, {"ospf", 89}, {"pgm", 113}, {"rsvp", 46},
	{"sctp", 132}, {"tcp", 6}, {"udp", 17}, {"udplite", 136}, {"vrrp", 112},
}

// protocolNumber is the number of a known protocol name.
func protocolNumber(name string) (int, bool) {
	for _, p := range ipProtocols {
		if p.name == name {
			return p.num, true
		}
	}
	return 0, false
}

// protocolName is the name Neutron gives a protocol number when it compares rules: the last
// name with that number, icmpv6 (a legacy alias) aside.
func protocolName(num int) (string, bool) {
	name := ""
	for _, p := range ipProtocols {
		if p.num == num && p.name != "icmpv6" {
			name = p.name
		}
	}
	return name, name != ""
}

// protocolNum is a rule protocol's number: -1 for any, the number of a name, or the number.
func protocolNum(p string) int {
	if p == "" {
		return -1
	}
	if n, ok := protocolNumber(p); ok {
		return n
	}
	n, _ := strconv.Atoi(p)
	return n
}

// portProtocols are the protocols whose rules take a port range.
var portProtocols = []int{6, 17, 33, 132, 136}

// ipv6OnlyProtocols may not be used with ethertype IPv4.
var ipv6OnlyProtocols = []string{"ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route",
	"41", "44", "58", "59", "60", "43"}

// ruleAttributes are the attributes a rule create may carry.
var ruleAttributes = []string{"security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
	"remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "project_id", "tenant_id"}

// parseRule reads, normalises and validates one rule of a create body, as Neutron's API
// layer and securitygroups_db do: protocols by name or number, the IPv6 ICMP aliases, the
// whole port range as no range, port ranges per protocol, the remote prefix against the
// ethertype, one remote at most.
func parseRule(c *auth.Context, body map[string]any) (SecurityGroupRule, error) {
	a := attrs{body: body, what: "security_group_rule"}
	if err := a.finish(ruleAttributes...); err != nil {
		return SecurityGroupRule{}, err
	}
	for _, name := range []string{"security_group_id", "direction"} {
		if _, ok := body[name]; !ok {
			return SecurityGroupRule{}, &BadRequestError{Type: "HTTPBadRequest",
				Message: "Failed to parse request. Required attribute '" + name + "' not specified"}
		}
	}
	x := SecurityGroupRule{ProjectID: a.project(c), EtherType: EtherTypeIPv4}
	a.str("security_group_id", &x.SecurityGroupID, 36)
	a.str("direction", &x.Direction, 16)
	a.str("description", &x.Description, 255)
	a.optStr("remote_group_id", &x.RemoteGroupID, 36)
	var prefix, addressGroup string
	a.optStr("remote_ip_prefix", &prefix, 255)
	a.optStr("remote_address_group_id", &addressGroup, 36)
	if err := a.finish(ruleAttributes...); err != nil {
		return x, err
	}
	if x.ProjectID == "" {
		return x, invalid("project_id must not be empty")
	}
	if x.Direction != DirectionIngress && x.Direction != DirectionEgress {
		return x, &BadRequestError{Type: "HTTPBadRequest",
			Message: fmt.Sprintf("Invalid input for direction. Reason: '%s' is not in ['ingress', 'egress'].", x.Direction)}
	}
	if addressGroup != "" {
		return x, invalid("remote_address_group_id: address groups are not supported")
	}
	steps := []func() error{
		func() error { return readEtherType(body, &x) },
		func() error { return readProtocol(body, &x) },
		func() error { return readPort(body, "port_range_min", &x.PortMin) },
		func() error { return readPort(body, "port_range_max", &x.PortMax) },
		func() error { return readPrefix(prefix, &x) },
		func() error { normaliseRule(&x); return checkPortRange(x) },
		func() error { return checkPrefixVersion(x) },
		func() error { return checkEtherTypeProtocol(x) },
		func() error { return checkRemotes(x) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return x, err
		}
	}
	return x, nil
}

// optStr reads a string that may be null or absent (both "").
func (a *attrs) optStr(name string, dst *string, max int) {
	if v, ok := a.body[name]; ok && v != nil {
		a.str(name, dst, max)
	}
}

// readEtherType reads ethertype, case-insensitively, IPv4 when absent.
func readEtherType(body map[string]any, x *SecurityGroupRule) error {
	raw, ok := body["ethertype"]
	if !ok {
		return nil
	}
	if v, isStr := raw.(string); isStr {
		for _, e := range []string{EtherTypeIPv4, EtherTypeIPv6} {
			if strings.EqualFold(v, e) {
				x.EtherType = e
				return nil
			}
		}
	}
	return &BadRequestError{Type: "SecurityGroupRuleInvalidEtherType",
		Message: fmt.Sprintf("Security group rule for ethertype '%s' not supported. Allowed values are ['IPv4', 'IPv6'].", pyRepr(raw))}
}

// readProtocol reads protocol: null or "any" is any protocol; a known name (any case) is
// kept in lower case; an integer 0–255, as a number or a string, is kept as its decimal
// string.
func readProtocol(body map[string]any, x *SecurityGroupRule) error {
	raw := body["protocol"]
	switch v := raw.(type) {
	case nil:
		return nil
	case float64:
		if v == float64(int(v)) && v >= 0 && v <= 255 {
			x.Protocol = strconv.Itoa(int(v))
			return nil
		}
	case string:
		t := strings.TrimSpace(v)
		if n, err := strconv.Atoi(t); err == nil {
			if n >= 0 && n <= 255 {
				x.Protocol = strconv.Itoa(n)
				return nil
			}
			break
		}
		lower := strings.ToLower(v)
		if lower == "any" {
			return nil
		}
		if _, ok := protocolNumber(lower); ok {
			x.Protocol = lower
			return nil
		}
	}
	names := []string{"None", "'any'"}
	for _, p := range ipProtocols {
		names = append(names, "'"+p.name+"'")
	}
	return &BadRequestError{Type: "SecurityGroupRuleInvalidProtocol", Message: fmt.Sprintf("Security group rule protocol %s not supported. "+
		"Only protocol values (%s) and integer representations [0 to 255] are supported.", pyRepr(raw), strings.Join(names, ", "))}
}

// readPort reads a port (or ICMP type or code): null, or an integer 0–65535 given as a
// number or a string.
func readPort(body map[string]any, name string, dst **int) error {
	raw := body[name]
	n := -1
	switch v := raw.(type) {
	case nil:
		return nil
	case float64:
		if v == float64(int(v)) {
			n = int(v)
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			n = i
		}
	}
	if n < 0 || n > 65535 {
		return &BadRequestError{Type: "SecurityGroupInvalidPortValue", Message: "Invalid value for port " + pyRepr(raw)}
	}
	*dst = &n
	return nil
}

// readPrefix reads remote_ip_prefix: an address (a host prefix) or a CIDR, kept with its
// host bits as Neutron keeps it, with its network as normalized_cidr.
func readPrefix(s string, x *SecurityGroupRule) error {
	if s == "" {
		return nil
	}
	var p netip.Prefix
	var err error
	if strings.Contains(s, "/") {
		p, err = netip.ParsePrefix(s)
	} else {
		var addr netip.Addr
		if addr, err = netip.ParseAddr(s); err == nil {
			if addr.Zone() != "" {
				err = errors.New("zone")
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
	}
	if err != nil {
		return &BadRequestError{Type: "InvalidCIDR", Message: "Invalid CIDR " + s + " given as IP prefix."}
	}
	x.RemoteIPPrefix, x.NormalizedCIDR = p.String(), p.Masked().String()
	return nil
}

// checkPrefixVersion refuses a remote prefix of the other IP version than the ethertype.
func checkPrefixVersion(x SecurityGroupRule) error {
	if x.RemoteIPPrefix == "" {
		return nil
	}
	version := EtherTypeIPv6
	if netip.MustParsePrefix(x.RemoteIPPrefix).Addr().Is4() {
		version = EtherTypeIPv4
	}
	if version != x.EtherType {
		return &BadRequestError{Type: "SecurityGroupRuleParameterConflict",
			Message: "Conflicting value ethertype " + x.EtherType + " for CIDR " + x.RemoteIPPrefix}
	}
	return nil
}

// normaliseRule makes the rule canonical as Neutron does: IPv6 rules say ipv6-icmp (58) for
// icmp, icmpv6 and 1; the whole port range 1–65535 is no range.
func normaliseRule(x *SecurityGroupRule) {
	if x.EtherType == EtherTypeIPv6 {
		switch x.Protocol {
		case "icmp", "icmpv6":
			x.Protocol = "ipv6-icmp"
		case "1":
			x.Protocol = "58"
		}
	}
	if x.PortMin != nil && x.PortMax != nil && *x.PortMin == 1 && *x.PortMax == 65535 {
		x.PortMin, x.PortMax = nil, nil
	}
}

// checkPortRange validates the port range against the protocol: TCP-like protocols need
// 1 <= min <= max, ICMP takes a type and a code of 0–255, others take no ports.
func checkPortRange(x SecurityGroupRule) error {
	if x.PortMin == nil && x.PortMax == nil {
		return nil
	}
	if x.Protocol == "" {
		return &BadRequestError{Type: "SecurityGroupProtocolRequiredWithPorts", Message: "Must also specify protocol if port range is given."}
	}
	num := protocolNum(x.Protocol)
	switch {
	case slices.Contains(portProtocols, num):
		if (x.PortMin != nil && *x.PortMin == 0) || (x.PortMax != nil && *x.PortMax == 0) {
			return &BadRequestError{Type: "SecurityGroupInvalidPortValue", Message: "Invalid value for port 0"}
		}
		if x.PortMin == nil || x.PortMax == nil || *x.PortMin > *x.PortMax {
			return &BadRequestError{Type: "SecurityGroupInvalidPortRange", Message: "For TCP/UDP protocols, port_range_min must be <= port_range_max"}
		}
	case num == 1 || num == 58:
		for _, f := range []struct {
			v           *int
			field, attr string
		}{{x.PortMin, "type", "port_range_min"}, {x.PortMax, "code", "port_range_max"}} {
			if f.v != nil && (*f.v < 0 || *f.v > 255) {
				return &BadRequestError{Type: "SecurityGroupInvalidIcmpValue",
					Message: fmt.Sprintf("Invalid value for ICMP %s (%s) %d. It must be 0 to 255.", f.field, f.attr, *f.v)}
			}
		}
		if x.PortMin == nil && x.PortMax != nil {
			return &BadRequestError{Type: "SecurityGroupMissingIcmpType",
				Message: fmt.Sprintf("ICMP code (port-range-max) %d is provided but ICMP type (port-range-min) is missing.", *x.PortMax)}
		}
	default:
		return &BadRequestError{Type: "SecurityGroupInvalidProtocolForPort",
			Message: fmt.Sprintf("Ports cannot be specified for protocol %d. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.", num)}
	}
	return nil
}

// checkEtherTypeProtocol refuses IPv6-only protocols on IPv4 rules.
func checkEtherTypeProtocol(x SecurityGroupRule) error {
	if x.EtherType == EtherTypeIPv4 && slices.Contains(ipv6OnlyProtocols, x.Protocol) {
		return &BadRequestError{Type: "SecurityGroupEthertypeConflictWithProtocol",
			Message: "Invalid ethertype " + x.EtherType + " for protocol " + x.Protocol + "."}
	}
	return nil
}

// checkRemotes refuses more than one of remote_ip_prefix and remote_group_id.
func checkRemotes(x SecurityGroupRule) error {
	if x.RemoteIPPrefix != "" && x.RemoteGroupID != "" {
		return &BadRequestError{Type: "SecurityGroupMultipleRemoteEntites",
			Message: "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided."}
	}
	return nil
}

// ruleKey is what makes two rules the same for Neutron: direction, ethertype, ports,
// protocol (a name and its number alike), remote group, and remote prefix (none, 0.0.0.0/0
// and ::/0 alike).
func ruleKey(x SecurityGroupRule) string {
	proto := "+"
	if x.Protocol != "" {
		proto = x.Protocol + "/" + x.Protocol
		if n, ok := protocolNumber(x.Protocol); ok {
			proto = x.Protocol + "/" + strconv.Itoa(n)
		} else if n, err := strconv.Atoi(x.Protocol); err == nil {
			if name, ok := protocolName(n); ok {
				proto = name + "/" + x.Protocol
			}
		}
	}
	prefix := x.RemoteIPPrefix
	if prefix == "" || prefix == "0.0.0.0/0" || prefix == "::/0" {
		prefix = "+"
	}
	port := func(p *int) string {
		if p == nil {
			return "+"
		}
		return strconv.Itoa(*p)
	}
	return strings.Join([]string{x.Direction, x.EtherType, port(x.PortMax), port(x.PortMin), proto,
		x.RemoteGroupID, prefix, x.SecurityGroupID}, "_")
}

// pyRepr renders a JSON value in messages roughly as Neutron's Python would.
func pyRepr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case string:
		return t
	case bool:
		if t {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
