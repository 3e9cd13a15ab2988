package network

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
)

// FixedIP is one address of a port: a row of net_ip_allocation.
type FixedIP struct {
	SubnetID string
	IP       netip.Addr
}

// AddressPair is an allowed address pair: traffic from this address (or prefix) and MAC may
// leave the port besides its own.
type AddressPair struct {
	IPAddress  string `json:"ip_address"`
	MACAddress string `json:"mac_address"`
}

// DHCPOption is an extra DHCP option of a port.
type DHCPOption struct {
	Name      string `json:"opt_name"`
	Value     string `json:"opt_value"`
	IPVersion int    `json:"ip_version"`
}

// Port is a Neutron port. Indexed attributes are columns, the addresses are rows of
// net_ip_allocation, the rest is the JSON document — security_groups among it, where the
// security group code looks for the ports that use a group.
type Port struct {
	Standard
	NetworkID             string         `json:"-"`
	MAC                   string         `json:"-"`
	DeviceID              string         `json:"-"`
	DeviceOwner           string         `json:"-"`
	Status                string         `json:"-"`
	AdminStateUp          bool           `json:"-"`
	HostID                string         `json:"-"`
	FixedIPs              []FixedIP      `json:"-"`
	SecurityGroups        []string       `json:"security_groups"`
	PortSecurity          bool           `json:"port_security_enabled"`
	VNICType              string         `json:"binding:vnic_type"`
	VIFType               string         `json:"binding:vif_type"`
	VIFDetails            map[string]any `json:"binding:vif_details"`
	Profile               map[string]any `json:"binding:profile"`
	AddressPairs          []AddressPair  `json:"allowed_address_pairs"`
	DHCPOptions           []DHCPOption   `json:"extra_dhcp_opts"`
	PropagateUplinkStatus bool           `json:"propagate_uplink_status"`
	IPAllocation          string         `json:"ip_allocation"`
}

// VIF types Neutron reports for ports no back end has wired.
const (
	vifUnbound       = "unbound"
	vifBindingFailed = "binding_failed"
)

const portColumns = "net_port.id, net_port.project_id, net_port.network_id, net_port.name, net_port.description, " +
	"net_port.mac_address, net_port.device_id, net_port.device_owner, net_port.status, net_port.admin_state_up, " +
	"net_port.binding_host_id, net_port.created_at, net_port.updated_at, net_port.revision_number, net_port.doc"

// portKind is the list machinery's view of ports; fixed_ips and security_groups filters are
// read by the ports list itself.
var portKind = func() kind {
	cols := standardColumns("net_port")
	cols["network_id"] = column{expr: "net_port.network_id", sortable: true}
	cols["mac_address"] = column{expr: "net_port.mac_address", sortable: true}
	cols["device_id"] = column{expr: "net_port.device_id", sortable: true}
	cols["device_owner"] = column{expr: "net_port.device_owner", sortable: true}
	cols["status"] = column{expr: "net_port.status", sortable: true}
	cols["admin_state_up"] = column{expr: "net_port.admin_state_up", typ: colBool, sortable: true}
	cols["binding:host_id"] = column{expr: "net_port.binding_host_id", sortable: true}
	return kind{singular: "port", plural: "ports", table: "net_port", columns: cols}
}()

func scanPort(r db.Scanner) (Port, error) {
	p := Port{PortSecurity: true, VNICType: "normal", VIFType: vifUnbound, IPAllocation: "immediate"}
	var doc string
	var created, updated sql.NullInt64
	err := r.Scan(&p.ID, &p.ProjectID, &p.NetworkID, &p.Name, &p.Description, &p.MAC, &p.DeviceID, &p.DeviceOwner, &p.Status,
		&p.AdminStateUp, &p.HostID, &created, &updated, &p.Revision, &doc)
	if err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	return p, decodePortDoc(doc, &p)
}

// insertPortRow stores a new port's row and tags; false when its MAC is in use on the network
// (the unique key on network and MAC), in which case the transaction may go on. Lists render
// the port on the fly until refreshPortList, once the transaction has made its changes.
func insertPortRow(ctx context.Context, tx *db.Tx, p Port) (bool, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return false, err
	}
	_, ok, err := unlessDuplicate(ctx, tx, "INSERT INTO net_port (id, project_id, network_id, name, description, mac_address, device_id, device_owner, "+
		"status, admin_state_up, binding_host_id, created_at, updated_at, revision_number, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, p.ProjectID, p.NetworkID, p.Name, p.Description, p.MAC, p.DeviceID, p.DeviceOwner, p.Status, p.AdminStateUp,
		p.HostID, db.Micros(p.CreatedAt), db.Micros(p.UpdatedAt), p.Revision, string(doc))
	if err != nil || !ok || len(p.Tags) == 0 {
		return ok, err
	}
	return true, setTags(ctx, tx, p.ID, p.Tags)
}

// updatePortRow rewrites a port's attributes and bumps its revision; false when its new MAC is
// in use on the network, in which case the transaction may go on. The port's rendering for
// lists is stale from then on, until refreshPortList once the transaction has made its changes.
func updatePortRow(ctx context.Context, tx *db.Tx, p Port) (bool, error) {
	doc, err := json.Marshal(p)
	if err != nil {
		return false, err
	}
	res, ok, err := unlessDuplicate(ctx, tx, "UPDATE net_port SET name = ?, description = ?, mac_address = ?, device_id = ?, device_owner = ?, "+
		"status = ?, admin_state_up = ?, binding_host_id = ?, updated_at = ?, revision_number = revision_number + 1, doc = ? WHERE id = ?",
		p.Name, p.Description, p.MAC, p.DeviceID, p.DeviceOwner, p.Status, p.AdminStateUp, p.HostID, db.Micros(p.UpdatedAt),
		string(doc), p.ID)
	if err != nil || !ok {
		return ok, err
	}
	return true, mustAffect(res, nil, "Port", p.ID)
}

// unlessDuplicate runs a statement that may hit a unique key; false (and no error) when it
// does. A failed statement aborts a PostgreSQL transaction, so there it runs under a savepoint
// that the duplicate rolls back to, and the transaction goes on on every engine.
func unlessDuplicate(ctx context.Context, tx *db.Tx, query string, args ...any) (sql.Result, bool, error) {
	pg := tx.Dialect() == db.Postgres
	if pg {
		if _, err := tx.Exec(ctx, "SAVEPOINT unless_duplicate"); err != nil {
			return nil, false, err
		}
	}
	res, err := tx.Exec(ctx, query, args...)
	if db.IsDuplicate(err) {
		if pg {
			if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT unless_duplicate"); rerr != nil {
				return nil, false, rerr
			}
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if pg {
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT unless_duplicate"); err != nil {
			return nil, false, err
		}
	}
	return res, true, nil
}

// rewritePortDoc rewrites a port's status and document without a new revision, and so its
// rendering for lists: it records a binding's outcome, which completes the create or update
// that asked for it.
func rewritePortDoc(ctx context.Context, tx *db.Tx, p Port) error {
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, "UPDATE net_port SET status = ?, doc = ? WHERE id = ?", p.Status, string(doc), p.ID)
	if err := mustAffect(res, err, "Port", p.ID); err != nil {
		return err
	}
	return refreshPortList(ctx, tx, p.ID)
}

// getNetworkRow loads a network without its segments, subnet ids and tags: what port requests
// need of it.
func getNetworkRow(ctx context.Context, q db.Querier, id string) (Network, error) {
	n, err := scanNetwork(q.QueryRow(ctx, "SELECT "+networkColumns+" FROM net_network WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, &NotFoundError{Kind: "Network", ID: id}
	}
	return n, err
}

// getPort loads a port with its addresses and tags.
func getPort(ctx context.Context, q db.Querier, id string) (Port, error) {
	p, err := scanPort(q.QueryRow(ctx, "SELECT "+portColumns+" FROM net_port WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, &NotFoundError{Kind: "Port", ID: id}
	}
	if err != nil {
		return p, err
	}
	ports := []Port{p}
	err = loadPortChildren(ctx, q, ports)
	return ports[0], err
}

// listPorts runs a parsed list query.
func listPorts(ctx context.Context, q db.Querier, lq listQuery) ([]Port, error) {
	ports, err := listRows(ctx, q, portKind, "Port", "SELECT "+portColumns+" FROM net_port", lq, scanPort)
	if err != nil {
		return nil, err
	}
	return ports, loadPortChildren(ctx, q, ports)
}

// loadPortChildren fills in the ports' addresses (IPv4 first, then by subnet and address)
// and tags.
func loadPortChildren(ctx context.Context, q db.Querier, ports []Port) error {
	byID, ids := indexByID(ports, func(p *Port) string { return p.ID })
	err := eachAllocation(ctx, q, ids, func(pid, sid, ip string) error {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return err
		}
		if p := byID[pid]; p != nil {
			p.FixedIPs = append(p.FixedIPs, FixedIP{SubnetID: sid, IP: a})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(ids, inChunk) {
		if err := loadTags(ctx, q, chunk, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) }); err != nil {
			return err
		}
	}
	for i := range ports {
		sortFixedIPs(ports[i].FixedIPs)
	}
	return nil
}

// sortFixedIPs orders a port's addresses: IPv4 first, then by subnet and address.
func sortFixedIPs(ips []FixedIP) {
	slices.SortFunc(ips, func(a, b FixedIP) int {
		if a.IP.Is4() != b.IP.Is4() {
			if a.IP.Is4() {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.SubnetID, b.SubnetID), a.IP.Compare(b.IP))
	})
}

// deletePortRows removes a port with its addresses and tags.
func deletePortRows(ctx context.Context, tx *db.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM net_ip_allocation WHERE port_id = ?",
		"DELETE FROM net_tag WHERE resource_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM net_port WHERE id = ?", id)
	return mustAffect(res, err, "Port", id)
}

// releaseAddresses frees some of a port's addresses.
func releaseAddresses(ctx context.Context, tx *db.Tx, portID string, ips []FixedIP) error {
	for _, ip := range ips {
		if _, err := tx.Exec(ctx, "DELETE FROM net_ip_allocation WHERE port_id = ? AND subnet_id = ? AND ip_address = ?",
			portID, ip.SubnetID, ip.IP.String()); err != nil {
			return err
		}
	}
	return nil
}
