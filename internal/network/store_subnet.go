package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

// HostRoute is a static route a subnet's DHCP hands to its hosts.
type HostRoute struct {
	Destination string `json:"destination"`
	NextHop     string `json:"nexthop"`
}

// Subnet is a Neutron subnet: an address range of a network, with the pools IPAM hands
// addresses out from. Indexed attributes are columns; the rest is the JSON document.
type Subnet struct {
	Standard
	NetworkID    string       `json:"-"`
	IPVersion    int          `json:"-"`
	CIDR         netip.Prefix `json:"-"`
	Gateway      netip.Addr   `json:"-"` // the zero Addr: no gateway
	EnableDHCP   bool         `json:"-"`
	RAMode       string       `json:"-"` // ipv6_ra_mode; "" is null
	AddressMode  string       `json:"-"` // ipv6_address_mode; "" is null
	Pools        []ipRange    `json:"allocation_pools"`
	DNS          []string     `json:"dns_nameservers"`
	HostRoutes   []HostRoute  `json:"host_routes"`
	ServiceTypes []string     `json:"service_types"`
	SegmentID    string       `json:"segment_id,omitempty"`
}

// IPv6 address modes.
const (
	modeSLAAC     = "slaac"
	modeStateful  = "dhcpv6-stateful"
	modeStateless = "dhcpv6-stateless"
)

// autoAddress reports a subnet whose addresses hosts form themselves from their MAC (SLAAC or
// DHCPv6-stateless): IPAM gives every port its EUI-64 address there, as Neutron does.
func (sub *Subnet) autoAddress() bool {
	auto := []string{modeSLAAC, modeStateless}
	return sub.IPVersion == 6 && (slices.Contains(auto, sub.AddressMode) || slices.Contains(auto, sub.RAMode))
}

const subnetColumns = "net_subnet.id, net_subnet.project_id, net_subnet.network_id, net_subnet.name, net_subnet.description, " +
	"net_subnet.ip_version, net_subnet.cidr, net_subnet.gateway_ip, net_subnet.enable_dhcp, net_subnet.ipv6_ra_mode, " +
	"net_subnet.ipv6_address_mode, net_subnet.created_at, net_subnet.updated_at, net_subnet.revision_number, net_subnet.doc"

// subnetKind is the list machinery's view of subnets.
var subnetKind = func() kind {
	cols := standardColumns("net_subnet")
	cols["network_id"] = column{expr: "net_subnet.network_id", sortable: true}
	cols["ip_version"] = column{expr: "net_subnet.ip_version", typ: colInt, sortable: true}
	cols["cidr"] = column{expr: "net_subnet.cidr", sortable: true}
	cols["gateway_ip"] = column{expr: "net_subnet.gateway_ip", sortable: true}
	cols["enable_dhcp"] = column{expr: "net_subnet.enable_dhcp", typ: colBool, sortable: true}
	cols["ipv6_ra_mode"] = column{expr: "net_subnet.ipv6_ra_mode", sortable: true}
	cols["ipv6_address_mode"] = column{expr: "net_subnet.ipv6_address_mode", sortable: true}
	cols["subnetpool_id"] = column{expr: "net_subnet.subnetpool_id", sortable: true}
	cols["shared"] = column{cond: "net_subnet.network_id IN (SELECT id FROM net_network WHERE shared IN (%s))", typ: colBool}
	return kind{singular: "subnet", plural: "subnets", table: "net_subnet", columns: cols}
}()

func scanSubnet(r db.Scanner) (Subnet, error) {
	var sub Subnet
	var cidr, doc string
	var gw, ra, am sql.NullString
	var created, updated sql.NullInt64
	err := r.Scan(&sub.ID, &sub.ProjectID, &sub.NetworkID, &sub.Name, &sub.Description, &sub.IPVersion, &cidr, &gw,
		&sub.EnableDHCP, &ra, &am, &created, &updated, &sub.Revision, &doc)
	if err != nil {
		return sub, err
	}
	sub.CreatedAt, sub.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	sub.RAMode, sub.AddressMode = ra.String, am.String
	if sub.CIDR, err = netip.ParsePrefix(cidr); err != nil {
		return sub, err
	}
	if gw.Valid && gw.String != "" {
		if sub.Gateway, err = netip.ParseAddr(gw.String); err != nil {
			return sub, err
		}
	}
	return sub, json.Unmarshal([]byte(doc), &sub)
}

// gatewayValue is the gateway_ip column: NULL without a gateway.
func (sub *Subnet) gatewayValue() any {
	if !sub.Gateway.IsValid() {
		return nil
	}
	return sub.Gateway.String()
}

// insertSubnet stores a new subnet and its tags.
func insertSubnet(ctx context.Context, tx *db.Tx, sub Subnet) error {
	doc, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO net_subnet (id, project_id, network_id, name, description, ip_version, cidr, gateway_ip, "+
		"enable_dhcp, ipv6_ra_mode, ipv6_address_mode, created_at, updated_at, revision_number, doc) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		sub.ID, sub.ProjectID, sub.NetworkID, sub.Name, sub.Description, sub.IPVersion, sub.CIDR.String(), sub.gatewayValue(),
		sub.EnableDHCP, nullString(sub.RAMode), nullString(sub.AddressMode), db.Micros(sub.CreatedAt), db.Micros(sub.UpdatedAt),
		sub.Revision, string(doc))
	if err != nil {
		return err
	}
	return setTags(ctx, tx, sub.ID, sub.Tags)
}

// updateSubnetRow rewrites a subnet's mutable attributes and bumps its revision.
func updateSubnetRow(ctx context.Context, tx *db.Tx, sub Subnet) error {
	doc, err := json.Marshal(sub)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, "UPDATE net_subnet SET name = ?, description = ?, gateway_ip = ?, enable_dhcp = ?, updated_at = ?, "+
		"revision_number = revision_number + 1, doc = ? WHERE id = ?",
		sub.Name, sub.Description, sub.gatewayValue(), sub.EnableDHCP, db.Micros(sub.UpdatedAt), string(doc), sub.ID)
	return mustAffect(res, err, "Subnet", sub.ID)
}

// getSubnet loads a subnet with its tags.
func getSubnet(ctx context.Context, q db.Querier, id string) (Subnet, error) {
	sub, err := scanSubnet(q.QueryRow(ctx, "SELECT "+subnetColumns+" FROM net_subnet WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return sub, &NotFoundError{Kind: "Subnet", ID: id}
	}
	if err != nil {
		return sub, err
	}
	subs := []Subnet{sub}
	err = loadSubnetTags(ctx, q, subs)
	return subs[0], err
}

// networkSubnets returns a network's subnets, oldest first (the order IPAM tries them in).
func networkSubnets(ctx context.Context, q db.Querier, networkID string) ([]Subnet, error) {
	return db.QueryAll(ctx, q, scanSubnet, "SELECT "+subnetColumns+" FROM net_subnet WHERE network_id = ? ORDER BY created_at, id", networkID)
}

// listSubnets runs a parsed list query.
func listSubnets(ctx context.Context, q db.Querier, lq listQuery) ([]Subnet, error) {
	subs, err := listRows(ctx, q, subnetKind, "Subnet", "SELECT "+subnetColumns+" FROM net_subnet", lq, scanSubnet)
	if err != nil {
		return nil, err
	}
	return subs, loadSubnetTags(ctx, q, subs)
}

// loadSubnetTags fills in the subnets' tags.
func loadSubnetTags(ctx context.Context, q db.Querier, subs []Subnet) error {
	byID, ids := indexByID(subs, func(s *Subnet) string { return s.ID })
	for chunk := range slices.Chunk(ids, inChunk) {
		if err := loadTags(ctx, q, chunk, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) }); err != nil {
			return err
		}
	}
	return nil
}

// deleteSubnetRows removes a subnet, its addresses and tags; the ports that had addresses
// there get a new revision.
func deleteSubnetRows(ctx context.Context, tx *db.Tx, sub Subnet, now time.Time) error {
	if _, err := tx.Exec(ctx, "UPDATE net_port SET revision_number = revision_number + 1, updated_at = ? "+
		"WHERE id IN (SELECT port_id FROM net_ip_allocation WHERE subnet_id = ?)", db.Micros(now), sub.ID); err != nil {
		return err
	}
	for _, q := range []string{
		"DELETE FROM net_ip_allocation WHERE subnet_id = ?",
		"DELETE FROM net_tag WHERE resource_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, sub.ID); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM net_subnet WHERE id = ?", sub.ID)
	return mustAffect(res, err, "Subnet", sub.ID)
}

// touchNetwork bumps a network's revision, as a change of its subnets does in Neutron. Being a
// write it also locks the network's row until the transaction ends, which serialises subnet
// changes of one network (so two subnets cannot overlap) against each other and against the
// network's deletion; a network deleted meanwhile is a 404.
func touchNetwork(ctx context.Context, tx *db.Tx, id string, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE net_network SET revision_number = revision_number + 1, updated_at = ? WHERE id = ?", db.Micros(now), id)
	return mustAffect(res, err, "Network", id)
}
