package network

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
)

// FloatingIP is a Neutron floating IP: an address of an external network (held by a port
// there) that a router translates to a fixed address of a port behind it. Every attribute is
// a column.
type FloatingIP struct {
	Standard
	NetworkID   string     // floating_network_id
	PortID      string     // the port on the external network that holds the address
	Address     netip.Addr // floating_ip_address
	FixedPortID string     // port_id: "" when not associated
	FixedIP     netip.Addr // fixed_ip_address: the zero Addr when not associated
	RouterID    string     // the router that translates it: "" when not associated
	Status      string
}

const floatingIPColumns = "net_floatingip.id, net_floatingip.project_id, net_floatingip.description, " +
	"net_floatingip.floating_network_id, net_floatingip.floating_port_id, net_floatingip.floating_ip_address, " +
	"net_floatingip.fixed_port_id, net_floatingip.fixed_ip_address, net_floatingip.router_id, net_floatingip.status, " +
	"net_floatingip.created_at, net_floatingip.updated_at, net_floatingip.revision_number"

// floatingIPKind is the list machinery's view of floating IPs.
var floatingIPKind = func() kind {
	cols := standardColumns("net_floatingip")
	delete(cols, "name")
	cols["floating_network_id"] = column{expr: "net_floatingip.floating_network_id", sortable: true}
	cols["floating_ip_address"] = column{expr: "net_floatingip.floating_ip_address", sortable: true}
	cols["port_id"] = column{expr: "net_floatingip.fixed_port_id", sortable: true}
	cols["fixed_ip_address"] = column{expr: "net_floatingip.fixed_ip_address", sortable: true}
	cols["router_id"] = column{expr: "net_floatingip.router_id", sortable: true}
	cols["status"] = column{expr: "net_floatingip.status", sortable: true}
	return kind{singular: "floatingip", plural: "floatingips", table: "net_floatingip", columns: cols}
}()

func scanFloatingIP(r db.Scanner) (FloatingIP, error) {
	var f FloatingIP
	var created, updated sql.NullInt64
	var addr string
	var fixedPort, fixedIP, router sql.NullString
	err := r.Scan(&f.ID, &f.ProjectID, &f.Description, &f.NetworkID, &f.PortID, &addr, &fixedPort, &fixedIP, &router,
		&f.Status, &created, &updated, &f.Revision)
	if err != nil {
		return f, err
	}
	f.CreatedAt, f.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	f.FixedPortID, f.RouterID = fixedPort.String, router.String
	if f.Address, err = parseIP(addr); err != nil {
		return f, err
	}
	if fixedIP.Valid {
		f.FixedIP, err = parseIP(fixedIP.String)
	}
	return f, err
}

// association is the association columns' values: NULLs when not associated.
func (f *FloatingIP) association() (port, ip, router any) {
	if f.FixedPortID == "" {
		return nil, nil, nil
	}
	return f.FixedPortID, f.FixedIP.String(), f.RouterID
}

// insertFloatingIP stores a new floating IP and its tags; false when its fixed address has a
// floating IP on the network already (the unique key), in which case the transaction may go on.
func insertFloatingIP(ctx context.Context, tx *db.Tx, f FloatingIP) (bool, error) {
	port, ip, router := f.association()
	_, ok, err := unlessDuplicate(ctx, tx, "INSERT INTO net_floatingip (id, project_id, description, floating_network_id, "+
		"floating_port_id, floating_ip_address, fixed_port_id, fixed_ip_address, router_id, status, created_at, updated_at, "+
		"revision_number, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
		f.ID, f.ProjectID, f.Description, f.NetworkID, f.PortID, f.Address.String(), port, ip, router, f.Status,
		db.Micros(f.CreatedAt), db.Micros(f.UpdatedAt), f.Revision)
	if err != nil || !ok {
		return ok, err
	}
	return true, setTags(ctx, tx, f.ID, f.Tags)
}

// updateFloatingIPRow rewrites a floating IP's description and association and bumps its
// revision; false as insertFloatingIP.
func updateFloatingIPRow(ctx context.Context, tx *db.Tx, f FloatingIP) (bool, error) {
	port, ip, router := f.association()
	res, ok, err := unlessDuplicate(ctx, tx, "UPDATE net_floatingip SET description = ?, fixed_port_id = ?, fixed_ip_address = ?, "+
		"router_id = ?, status = ?, updated_at = ?, revision_number = revision_number + 1 WHERE id = ?",
		f.Description, port, ip, router, f.Status, db.Micros(f.UpdatedAt), f.ID)
	if err != nil || !ok {
		return ok, err
	}
	return true, mustAffect(res, nil, "FloatingIP", f.ID)
}

// getFloatingIP loads a floating IP with its tags.
func getFloatingIP(ctx context.Context, q db.Querier, id string) (FloatingIP, error) {
	f, err := scanFloatingIP(q.QueryRow(ctx, "SELECT "+floatingIPColumns+" FROM net_floatingip WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, &NotFoundError{Kind: "FloatingIP", ID: id}
	}
	if err != nil {
		return f, err
	}
	fips := []FloatingIP{f}
	err = loadFloatingIPTags(ctx, q, fips)
	return fips[0], err
}

// listFloatingIPs runs a parsed list query.
func listFloatingIPs(ctx context.Context, q db.Querier, lq listQuery) ([]FloatingIP, error) {
	fips, err := listRows(ctx, q, floatingIPKind, "FloatingIP", "SELECT "+floatingIPColumns+" FROM net_floatingip", lq, scanFloatingIP)
	if err != nil {
		return nil, err
	}
	return fips, loadFloatingIPTags(ctx, q, fips)
}

func loadFloatingIPTags(ctx context.Context, q db.Querier, fips []FloatingIP) error {
	byID, ids := indexByID(fips, func(f *FloatingIP) string { return f.ID })
	for chunk := range slices.Chunk(ids, inChunk) {
		if err := loadTags(ctx, q, chunk, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) }); err != nil {
			return err
		}
	}
	return nil
}

// routerFloatingIPs lists the floating IPs a router translates.
func routerFloatingIPs(ctx context.Context, q db.Querier, routerID string) ([]FloatingIP, error) {
	return db.QueryAll(ctx, q, scanFloatingIP, "SELECT "+floatingIPColumns+" FROM net_floatingip WHERE router_id = ? ORDER BY id", routerID)
}

// disassociatePort drops the association of every floating IP of a port that goes away and
// returns the routers that translated them.
func disassociatePort(ctx context.Context, tx *db.Tx, portID string) ([]string, error) {
	routers, err := db.QueryStrings(ctx, tx, "SELECT DISTINCT router_id FROM net_floatingip WHERE fixed_port_id = ?", portID)
	if err != nil || len(routers) == 0 {
		return nil, err
	}
	_, err = tx.Exec(ctx, "UPDATE net_floatingip SET fixed_port_id = NULL, fixed_ip_address = NULL, router_id = NULL, status = ?, "+
		"revision_number = revision_number + 1 WHERE fixed_port_id = ?", StatusDown, portID)
	return routers, err
}
