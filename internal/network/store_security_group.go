package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/network/dataplane"
	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
)

// SecurityGroup is a Neutron security group with its rules.
type SecurityGroup struct {
	Standard
	Stateful  bool
	IsDefault bool // the project's default group
	Rules     []SecurityGroupRule
}

// SecurityGroupRule is one rule of a security group. Empty strings and nil ports stand for
// Neutron's nulls: any protocol, any port, any remote.
type SecurityGroupRule struct {
	ID, ProjectID, SecurityGroupID string
	Description                    string
	Direction, EtherType           string
	Protocol                       string // a name ("tcp") or a number ("6"); "" is any
	PortMin, PortMax               *int
	RemoteIPPrefix                 string // as given, with its prefix length ("10.0.0.5/24")
	NormalizedCIDR                 string // the network of RemoteIPPrefix ("10.0.0.0/24")
	RemoteGroupID                  string
	CreatedAt, UpdatedAt           time.Time
	Revision                       int64
	GroupProjectID                 string // the project of the rule's group, for policy
	InDefaultGroup                 bool   // belongs_to_default_sg
}

// Directions and ether types of rules.
const (
	DirectionIngress = "ingress"
	DirectionEgress  = "egress"
	EtherTypeIPv4    = "IPv4"
	EtherTypeIPv6    = "IPv6"
)

// securityGroupSelect reads groups, with whether each is its project's default.
const securityGroupSelect = "SELECT net_security_group.id, net_security_group.project_id, net_security_group.name, " +
	"net_security_group.description, net_security_group.stateful, net_security_group.created_at, " +
	"net_security_group.updated_at, net_security_group.revision_number, dsg.project_id " +
	"FROM net_security_group LEFT JOIN net_default_security_group dsg ON dsg.security_group_id = net_security_group.id"

// ruleSelect reads rules, with their group's project and whether that group is a default one.
const ruleSelect = "SELECT net_security_group_rule.id, net_security_group_rule.project_id, net_security_group_rule.security_group_id, " +
	"net_security_group_rule.description, net_security_group_rule.direction, net_security_group_rule.ethertype, " +
	"net_security_group_rule.protocol, net_security_group_rule.port_range_min, net_security_group_rule.port_range_max, " +
	"net_security_group_rule.remote_ip_prefix, net_security_group_rule.normalized_cidr, net_security_group_rule.remote_group_id, " +
	"net_security_group_rule.created_at, net_security_group_rule.updated_at, net_security_group_rule.revision_number, " +
	"sg.project_id, dsg.project_id FROM net_security_group_rule " +
	"JOIN net_security_group sg ON sg.id = net_security_group_rule.security_group_id " +
	"LEFT JOIN net_default_security_group dsg ON dsg.security_group_id = net_security_group_rule.security_group_id"

// ruleInDefault is true for the rules of a project's default group.
const ruleInDefault = "EXISTS (SELECT 1 FROM net_default_security_group d WHERE d.security_group_id = net_security_group_rule.security_group_id)"

// securityGroupKind is the list machinery's view of security groups.
var securityGroupKind = func() kind {
	cols := standardColumns("net_security_group")
	cols["stateful"] = column{expr: "net_security_group.stateful", typ: colBool, sortable: true}
	cols["shared"] = column{cond: "(1 = 0) IN (%s)", typ: colBool} // no RBAC sharing: never shared
	return kind{singular: "security_group", plural: "security_groups", table: "net_security_group", columns: cols}
}()

// ruleKind is the list machinery's view of security group rules. Nullable columns sort and
// filter through COALESCE, so keyset pages agree on every engine about where NULLs go.
var ruleKind = func() kind {
	t := "net_security_group_rule."
	cols := standardColumns("net_security_group_rule")
	delete(cols, "name")
	for _, name := range []string{"security_group_id", "direction", "ethertype"} {
		cols[name] = column{expr: t + name, sortable: true}
	}
	for _, name := range []string{"protocol", "remote_ip_prefix", "normalized_cidr", "remote_group_id", "remote_address_group_id"} {
		cols[name] = column{expr: "COALESCE(" + t + name + ", '')", sortable: true}
	}
	for _, name := range []string{"port_range_min", "port_range_max"} {
		cols[name] = column{expr: "COALESCE(" + t + name + ", -1)", typ: colInt, sortable: true}
	}
	cols["belongs_to_default_sg"] = column{cond: "(" + ruleInDefault + ") IN (%s)", typ: colBool}
	return kind{singular: "security_group_rule", plural: "security_group_rules", table: "net_security_group_rule", columns: cols}
}()

func scanSecurityGroup(r db.Scanner) (SecurityGroup, error) {
	var g SecurityGroup
	var created, updated sql.NullInt64
	var defaultOf sql.NullString
	err := r.Scan(&g.ID, &g.ProjectID, &g.Name, &g.Description, &g.Stateful, &created, &updated, &g.Revision, &defaultOf)
	g.CreatedAt, g.UpdatedAt, g.IsDefault = db.FromMicros(created), db.FromMicros(updated), defaultOf.Valid
	return g, err
}

func scanRule(r db.Scanner) (SecurityGroupRule, error) {
	var x SecurityGroupRule
	var protocol, prefix, cidr, remote, groupProject, defaultOf sql.NullString
	var pmin, pmax, created, updated sql.NullInt64
	err := r.Scan(&x.ID, &x.ProjectID, &x.SecurityGroupID, &x.Description, &x.Direction, &x.EtherType, &protocol,
		&pmin, &pmax, &prefix, &cidr, &remote, &created, &updated, &x.Revision, &groupProject, &defaultOf)
	x.Protocol, x.RemoteIPPrefix, x.NormalizedCIDR, x.RemoteGroupID = protocol.String, prefix.String, cidr.String, remote.String
	x.PortMin, x.PortMax = intPtr(pmin), intPtr(pmax)
	x.CreatedAt, x.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	x.GroupProjectID, x.InDefaultGroup = groupProject.String, defaultOf.Valid
	return x, err
}

func intPtr(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

// nullString is a NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt is a NULL for nil.
func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// insertSecurityGroup stores a new group and its tags (its rules are stored by insertRule).
func insertSecurityGroup(ctx context.Context, tx *db.Tx, g SecurityGroup) error {
	_, err := tx.Exec(ctx, "INSERT INTO net_security_group (id, project_id, name, description, stateful, created_at, "+
		"updated_at, revision_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		g.ID, g.ProjectID, g.Name, g.Description, g.Stateful, db.Micros(g.CreatedAt), db.Micros(g.UpdatedAt), g.Revision)
	if err != nil {
		return err
	}
	return setTags(ctx, tx, g.ID, g.Tags)
}

// insertRule stores a new rule.
func insertRule(ctx context.Context, tx *db.Tx, x SecurityGroupRule) error {
	_, err := tx.Exec(ctx, "INSERT INTO net_security_group_rule (id, project_id, security_group_id, direction, ethertype, "+
		"protocol, port_range_min, port_range_max, remote_ip_prefix, normalized_cidr, remote_group_id, description, "+
		"created_at, updated_at, revision_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		x.ID, x.ProjectID, x.SecurityGroupID, x.Direction, x.EtherType, nullString(x.Protocol), nullInt(x.PortMin),
		nullInt(x.PortMax), nullString(x.RemoteIPPrefix), nullString(x.NormalizedCIDR), nullString(x.RemoteGroupID),
		x.Description, db.Micros(x.CreatedAt), db.Micros(x.UpdatedAt), x.Revision)
	return err
}

// updateSecurityGroupRow rewrites a group's attributes and bumps its revision.
func updateSecurityGroupRow(ctx context.Context, tx *db.Tx, g SecurityGroup) error {
	res, err := tx.Exec(ctx, "UPDATE net_security_group SET name = ?, description = ?, stateful = ?, updated_at = ?, "+
		"revision_number = revision_number + 1 WHERE id = ?", g.Name, g.Description, g.Stateful, db.Micros(g.UpdatedAt), g.ID)
	return mustAffect(res, err, "SecurityGroup", g.ID)
}

// touchSecurityGroup bumps a group's revision, as a change of its rules does in Neutron. Being
// a write, it also locks the group's row until the transaction ends, which serialises rule
// changes and deletion of one group; make it the transaction's first statement.
func touchSecurityGroup(ctx context.Context, tx *db.Tx, id string, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE net_security_group SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?",
		db.Micros(now), id)
	return mustAffect(res, err, "SecurityGroup", id)
}

// getSecurityGroup loads a group with its rules and tags.
func getSecurityGroup(ctx context.Context, q db.Querier, id string) (SecurityGroup, error) {
	g, err := scanSecurityGroup(q.QueryRow(ctx, securityGroupSelect+" WHERE net_security_group.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return g, &NotFoundError{Kind: "SecurityGroup", ID: id}
	}
	if err != nil {
		return g, err
	}
	groups := []SecurityGroup{g}
	err = loadSecurityGroupChildren(ctx, q, groups, true)
	return groups[0], err
}

// listSecurityGroups runs a parsed list query; withRules loads each group's rules.
func listSecurityGroups(ctx context.Context, q db.Querier, lq listQuery, withRules bool) ([]SecurityGroup, error) {
	groups, err := listRows(ctx, q, securityGroupKind, "SecurityGroup", securityGroupSelect, lq, scanSecurityGroup)
	if err != nil {
		return nil, err
	}
	return groups, loadSecurityGroupChildren(ctx, q, groups, withRules)
}

// inChunk is how many ids one IN (…) list carries.
const inChunk = 500

// loadSecurityGroupChildren fills in tags and, when withRules, rules.
func loadSecurityGroupChildren(ctx context.Context, q db.Querier, groups []SecurityGroup, withRules bool) error {
	byID, ids := indexByID(groups, func(g *SecurityGroup) string { return g.ID })
	for chunk := range slices.Chunk(ids, inChunk) {
		if withRules {
			rules, err := db.QueryAll(ctx, q, scanRule, ruleSelect+" WHERE net_security_group_rule.security_group_id IN ("+
				inList(len(chunk))+") ORDER BY net_security_group_rule.created_at, net_security_group_rule.id", chunk...)
			if err != nil {
				return err
			}
			for _, x := range rules {
				g := byID[x.SecurityGroupID]
				g.Rules = append(g.Rules, x)
			}
		}
		if err := loadTags(ctx, q, chunk, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) }); err != nil {
			return err
		}
	}
	return nil
}

// getRule loads one rule.
func getRule(ctx context.Context, q db.Querier, id string) (SecurityGroupRule, error) {
	x, err := scanRule(q.QueryRow(ctx, ruleSelect+" WHERE net_security_group_rule.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, &NotFoundError{Kind: "SecurityGroupRule", ID: id}
	}
	return x, err
}

// listRules runs a parsed list query over rules.
func listRules(ctx context.Context, q db.Querier, lq listQuery) ([]SecurityGroupRule, error) {
	return listRows(ctx, q, ruleKind, "SecurityGroupRule", ruleSelect, lq, scanRule)
}

// rulesOf returns a group's rules.
func rulesOf(ctx context.Context, q db.Querier, groupID string) ([]SecurityGroupRule, error) {
	return db.QueryAll(ctx, q, scanRule, ruleSelect+
		" WHERE net_security_group_rule.security_group_id = ? ORDER BY net_security_group_rule.created_at, net_security_group_rule.id", groupID)
}

// deleteRuleRow removes one rule.
func deleteRuleRow(ctx context.Context, tx *db.Tx, id string) error {
	res, err := tx.Exec(ctx, "DELETE FROM net_security_group_rule WHERE id = ?", id)
	return mustAffect(res, err, "SecurityGroupRule", id)
}

// deleteSecurityGroupRows removes a group, its rules, the rules of other groups that name it
// as their remote group (as Neutron's cascade does), its tags and its default-group mark. It
// returns the other groups whose rules went.
func deleteSecurityGroupRows(ctx context.Context, tx *db.Tx, id string) ([]string, error) {
	others, err := db.QueryStrings(ctx, tx, "SELECT DISTINCT security_group_id FROM net_security_group_rule "+
		"WHERE remote_group_id = ? AND security_group_id <> ? ORDER BY security_group_id", id, id)
	if err != nil {
		return nil, err
	}
	for _, st := range []struct {
		query string
		args  []any
	}{
		{"DELETE FROM net_security_group_rule WHERE security_group_id = ? OR remote_group_id = ?", []any{id, id}},
		{"DELETE FROM net_default_security_group WHERE security_group_id = ?", []any{id}},
		{"DELETE FROM net_tag WHERE resource_id = ?", []any{id}},
	} {
		if _, err := tx.Exec(ctx, st.query, st.args...); err != nil {
			return nil, err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM net_security_group WHERE id = ?", id)
	return others, mustAffect(res, err, "SecurityGroup", id)
}

// shareLock is the suffix of a SELECT that locks the rows it reads against writers until the
// transaction ends, and reads their latest committed version (SQLite needs none: it has one
// writer at a time).
func shareLock(d db.Dialect) string {
	switch d {
	case db.MySQL:
		return " LOCK IN SHARE MODE"
	case db.Postgres:
		return " FOR SHARE"
	}
	return ""
}

// claimDefaultSQL inserts a project's default-group row unless the project has one already,
// without an error that would abort a PostgreSQL transaction.
func claimDefaultSQL(d db.Dialect) string {
	if d == db.MySQL {
		return "INSERT IGNORE INTO net_default_security_group (project_id, security_group_id) VALUES (?, ?)"
	}
	return "INSERT INTO net_default_security_group (project_id, security_group_id) VALUES (?, ?) ON CONFLICT (project_id) DO NOTHING"
}

// defaultGroupID returns the id of a project's default group, or "" when it has none.
func defaultGroupID(ctx context.Context, q db.Querier, projectID, lock string) (string, error) {
	var id string
	err := q.QueryRow(ctx, "SELECT security_group_id FROM net_default_security_group WHERE project_id = ?"+lock, projectID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// portRef is a port as the security group code sees it.
type portRef struct {
	dataplane.Port
	doc string
}

// likePattern is a LIKE pattern for a JSON string value anywhere in a document, with '!' as
// the escape character.
func likePattern(value string) string {
	esc := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(value)
	return "%\"" + esc + "\"%"
}

// docSecurityGroups reports whether a port document names the group among its
// security_groups; a document whose security_groups cannot be read counts as naming it.
func docSecurityGroups(doc, groupID string) bool {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &fields); err != nil {
		return true
	}
	raw, ok := fields["security_groups"]
	if !ok {
		return true // the id appears in the document, under a key we do not know
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return true
	}
	return slices.Contains(ids, groupID)
}

// portsUsing returns the ports whose security_groups name the group. The ports code keeps
// a port's security_groups in net_port.doc; a LIKE finds the candidates.
func portsUsing(ctx context.Context, q db.Querier, groupID string, limit int) ([]dataplane.Port, error) {
	query := "SELECT id, network_id, mac_address, device_id, device_owner, binding_host_id, doc FROM net_port WHERE doc LIKE ? ESCAPE '!' ORDER BY id"
	refs, err := db.QueryAll(ctx, q, func(r db.Scanner) (portRef, error) {
		var p portRef
		err := r.Scan(&p.ID, &p.NetworkID, &p.MACAddress, &p.DeviceID, &p.DeviceOwner, &p.HostID, &p.doc)
		return p, err
	}, query, likePattern(groupID))
	if err != nil {
		return nil, err
	}
	var out []dataplane.Port
	for _, p := range refs {
		if !docSecurityGroups(p.doc, groupID) {
			continue
		}
		var fields struct {
			SecurityGroups []string `json:"security_groups"`
			PortSecurity   *bool    `json:"port_security_enabled"`
		}
		_ = json.Unmarshal([]byte(p.doc), &fields) // best effort: the ids matter, not the rest
		p.SecurityGroups = fields.SecurityGroups
		p.PortSecurity = fields.PortSecurity == nil || *fields.PortSecurity
		out = append(out, p.Port)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// fillFixedIPs adds the ports' addresses.
func fillFixedIPs(ctx context.Context, q db.Querier, ports []dataplane.Port) error {
	byID, ids := indexByID(ports, func(p *dataplane.Port) string { return p.ID })
	return eachAllocation(ctx, q, ids, func(pid, sid, ip string) error {
		if p := byID[pid]; p != nil {
			p.FixedIPs = append(p.FixedIPs, dataplane.FixedIP{SubnetID: sid, IPAddress: ip})
		}
		return nil
	})
}

// insertGroupWithRules stores a new group with its rules.
func insertGroupWithRules(ctx context.Context, tx *db.Tx, g SecurityGroup) error {
	if err := insertSecurityGroup(ctx, tx, g); err != nil {
		return err
	}
	for _, x := range g.Rules {
		if err := insertRule(ctx, tx, x); err != nil {
			return err
		}
	}
	return nil
}

// defaultSecurityGroup returns the id of a project's default group, creating it with
// Neutron's four default rules (egress IPv4 and IPv6 to anywhere, ingress IPv4 and IPv6 from
// the group itself) when the project has none. It is safe when many transactions race: the
// project's row in net_default_security_group is claimed with an insert that does nothing if
// another transaction claimed it first (waiting for that one to end), and the loser drops the
// group it prepared and returns the winner's. The ports code calls it inside its own
// transaction for ports created without security_groups.
func (s *Service) defaultSecurityGroup(ctx context.Context, tx *db.Tx, projectID string) (string, error) {
	id, err := defaultGroupID(ctx, tx, projectID, "")
	if err != nil || id != "" {
		return id, err
	}
	now := s.now()
	g := SecurityGroup{Standard: Standard{ID: newID(), ProjectID: projectID, Name: "default",
		Description: "Default security group", CreatedAt: now, UpdatedAt: now}, Stateful: true, IsDefault: true}
	if err := insertSecurityGroup(ctx, tx, g); err != nil {
		return "", err
	}
	res, err := tx.Exec(ctx, claimDefaultSQL(tx.Dialect()), projectID, g.ID)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return "", err
		}
		// Another transaction made the project's default group first: use that one.
		if _, err := tx.Exec(ctx, "DELETE FROM net_security_group WHERE id = ?", g.ID); err != nil {
			return "", err
		}
		id, err := defaultGroupID(ctx, tx, projectID, shareLock(tx.Dialect()))
		if err == nil && id == "" {
			err = errors.New("network: the default security group of project " + projectID + " vanished while being made")
		}
		return id, err
	}
	for _, x := range []SecurityGroupRule{
		s.templateRule(g, DirectionEgress, EtherTypeIPv4, ""),
		s.templateRule(g, DirectionEgress, EtherTypeIPv6, ""),
		s.templateRule(g, DirectionIngress, EtherTypeIPv4, g.ID),
		s.templateRule(g, DirectionIngress, EtherTypeIPv6, g.ID),
	} {
		if err := insertRule(ctx, tx, x); err != nil {
			return "", err
		}
	}
	return g.ID, nil
}

// checkSecurityGroups refuses, with Neutron's 404 SecurityGroupNotFound naming them, the ids
// that are no group the caller may use, and a mix of stateful and stateless groups (409), as
// Neutron does for a port's security_groups. It locks the groups against deletion until tx
// ends, so a group cannot be deleted under a port being given it.
func (s *Service) checkSecurityGroups(ctx context.Context, tx *db.Tx, c *auth.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	type info struct {
		project  string
		stateful bool
	}
	found := map[string]info{}
	err := db.EachRow(ctx, tx, "SELECT id, project_id, stateful FROM net_security_group WHERE id IN ("+inList(len(ids))+")"+
		shareLock(tx.Dialect()), args, func(r db.Scanner) error {
		var id string
		var in info
		if err := r.Scan(&id, &in.project, &in.stateful); err != nil {
			return err
		}
		found[id] = in
		return nil
	})
	if err != nil {
		return err
	}
	admin := s.isAdmin(c)
	var missing []string
	states := map[bool]bool{}
	for _, id := range ids {
		in, ok := found[id]
		if !ok || (!admin && in.project != c.ProjectID) {
			if !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
			continue
		}
		states[in.stateful] = true
	}
	if len(missing) > 0 {
		return securityGroupNotFound(missing...)
	}
	if len(states) > 1 {
		return &ConflictError{Type: "SecurityGroupConflict", Message: "Error Cannot apply both stateful and stateless security " +
			"groups on the same port at the same time while attempting the operation."}
	}
	return nil
}

// securityGroupInUse reports whether a port uses the group. Ports keep their security_groups
// in net_port.doc, which the ports code writes.
func (s *Service) securityGroupInUse(ctx context.Context, q db.Querier, id string) (bool, error) {
	ports, err := portsUsing(ctx, q, id, 1)
	return len(ports) > 0, err
}

// syncSecurityGroup hands a group's rules and ports to the data plane. The database is the
// truth and drivers are idempotent, so a failure is logged and the next change repeats it.
func (s *Service) syncSecurityGroup(ctx context.Context, id string) {
	err := func() error {
		rules, err := rulesOf(ctx, s.db, id)
		if err != nil {
			return err
		}
		ports, err := portsUsing(ctx, s.db, id, 0)
		if err != nil {
			return err
		}
		if err := fillFixedIPs(ctx, s.db, ports); err != nil {
			return err
		}
		return s.dataplane.SyncSecurityGroup(ctx, id, dataplaneRules(rules), ports)
	}()
	if err != nil {
		s.log.Error("data plane: security group sync failed", "security_group", id, "err", err)
	}
}

func dataplaneRules(rules []SecurityGroupRule) []dataplane.SecurityRule {
	out := make([]dataplane.SecurityRule, len(rules))
	for i, x := range rules {
		out[i] = dataplane.SecurityRule{Direction: x.Direction, EtherType: x.EtherType, Protocol: x.Protocol,
			RemoteIPPrefix: x.RemoteIPPrefix, RemoteGroupID: x.RemoteGroupID}
		if x.PortMin != nil {
			out[i].PortMin = *x.PortMin
		}
		if x.PortMax != nil {
			out[i].PortMax = *x.PortMax
		}
	}
	return out
}
