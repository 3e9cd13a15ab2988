package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
)

// Gateway is a router's external gateway: its port on an external network.
type Gateway struct {
	NetworkID string
	PortID    string
	FixedIPs  []FixedIP // the gateway port's addresses, loaded with the router
}

// Router is a Neutron router. Indexed attributes are columns; routes and availability zone
// hints are the JSON document; its ports are rows of net_router_port.
type Router struct {
	Standard
	Status       string      `json:"-"`
	AdminStateUp bool        `json:"-"`
	Gateway      *Gateway    `json:"-"` // nil without an external gateway
	EnableSNAT   bool        `json:"-"`
	Distributed  bool        `json:"-"`
	HA           bool        `json:"-"`
	Routes       []HostRoute `json:"routes"` // static routes (extraroute), shaped as a subnet's host routes
	AZHints      []string    `json:"availability_zone_hints"`
	Interfaces   []Port      `json:"-"` // its interface ports, loaded by loadRouterInterfaces
}

// Device owners of router ports.
const (
	ownerRouterInterface   = "network:router_interface"
	ownerRouterDistributed = "network:router_interface_distributed"
	ownerRouterGateway     = "network:router_gateway"
	ownerFloatingIP        = "network:floatingip"
)

// interfaceOwner is the device owner of the router's interface ports.
func (rt *Router) interfaceOwner() string {
	if rt.Distributed {
		return ownerRouterDistributed
	}
	return ownerRouterInterface
}

const routerColumns = "net_router.id, net_router.project_id, net_router.name, net_router.description, net_router.status, " +
	"net_router.admin_state_up, net_router.gw_port_id, net_router.gw_network_id, net_router.enable_snat, " +
	"net_router.distributed, net_router.ha, net_router.created_at, net_router.updated_at, net_router.revision_number, net_router.doc"

// routerKind is the list machinery's view of routers.
var routerKind = func() kind {
	cols := standardColumns("net_router")
	cols["status"] = column{expr: "net_router.status", sortable: true}
	cols["admin_state_up"] = column{expr: "net_router.admin_state_up", typ: colBool, sortable: true}
	cols["distributed"] = column{expr: "net_router.distributed", typ: colBool, sortable: true}
	cols["ha"] = column{expr: "net_router.ha", typ: colBool, sortable: true}
	cols["enable_snat"] = column{expr: "net_router.enable_snat", typ: colBool}
	cols["external_gateway_info:network_id"] = column{expr: "net_router.gw_network_id"}
	return kind{singular: "router", plural: "routers", table: "net_router", columns: cols}
}()

func scanRouter(r db.Scanner) (Router, error) {
	var rt Router
	var created, updated sql.NullInt64
	var gwPort, gwNet sql.NullString
	var doc string
	err := r.Scan(&rt.ID, &rt.ProjectID, &rt.Name, &rt.Description, &rt.Status, &rt.AdminStateUp, &gwPort, &gwNet,
		&rt.EnableSNAT, &rt.Distributed, &rt.HA, &created, &updated, &rt.Revision, &doc)
	if err != nil {
		return rt, err
	}
	rt.CreatedAt, rt.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	if gwNet.Valid {
		rt.Gateway = &Gateway{NetworkID: gwNet.String, PortID: gwPort.String}
	}
	return rt, json.Unmarshal([]byte(doc), &rt)
}

// gatewayColumns are the gateway's column values: NULLs without one.
func (rt *Router) gatewayColumns() (port, network any) {
	if rt.Gateway == nil {
		return nil, nil
	}
	return rt.Gateway.PortID, rt.Gateway.NetworkID
}

// insertRouter stores a new router and its tags.
func insertRouter(ctx context.Context, tx *db.Tx, rt Router) error {
	doc, err := json.Marshal(rt)
	if err != nil {
		return err
	}
	port, network := rt.gatewayColumns()
	_, err = tx.Exec(ctx, "INSERT INTO net_router (id, project_id, name, description, status, admin_state_up, gw_port_id, "+
		"gw_network_id, enable_snat, distributed, ha, created_at, updated_at, revision_number, doc) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		rt.ID, rt.ProjectID, rt.Name, rt.Description, rt.Status, rt.AdminStateUp, port, network, rt.EnableSNAT,
		rt.Distributed, rt.HA, db.Micros(rt.CreatedAt), db.Micros(rt.UpdatedAt), rt.Revision, string(doc))
	if err != nil {
		return err
	}
	return setTags(ctx, tx, rt.ID, rt.Tags)
}

// updateRouterRow rewrites a router's attributes and bumps its revision.
func updateRouterRow(ctx context.Context, tx *db.Tx, rt Router) error {
	doc, err := json.Marshal(rt)
	if err != nil {
		return err
	}
	port, network := rt.gatewayColumns()
	res, err := tx.Exec(ctx, "UPDATE net_router SET name = ?, description = ?, status = ?, admin_state_up = ?, gw_port_id = ?, "+
		"gw_network_id = ?, enable_snat = ?, distributed = ?, ha = ?, updated_at = ?, revision_number = revision_number + 1, "+
		"doc = ? WHERE id = ?",
		rt.Name, rt.Description, rt.Status, rt.AdminStateUp, port, network, rt.EnableSNAT, rt.Distributed, rt.HA,
		db.Micros(rt.UpdatedAt), string(doc), rt.ID)
	return mustAffect(res, err, "Router", rt.ID)
}

// lockRouter bumps a router's revision first thing in a transaction that changes its ports:
// the row lock (MariaDB, PostgreSQL) or the write lock (SQLite) makes two such changes of one
// router take turns, so the overlap and in-use checks see each other's ports.
func lockRouter(ctx context.Context, tx *db.Tx, id string) error {
	res, err := tx.Exec(ctx, "UPDATE net_router SET revision_number = revision_number + 1 WHERE id = ?", id)
	return mustAffect(res, err, "Router", id)
}

// getRouter loads a router with its gateway addresses and tags (not its interfaces).
func getRouter(ctx context.Context, q db.Querier, id string) (Router, error) {
	rt, err := scanRouter(q.QueryRow(ctx, "SELECT "+routerColumns+" FROM net_router WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return rt, &NotFoundError{Kind: "Router", ID: id}
	}
	if err != nil {
		return rt, err
	}
	routers := []Router{rt}
	err = loadRouterChildren(ctx, q, routers)
	return routers[0], err
}

// listRouters runs a parsed list query.
func listRouters(ctx context.Context, q db.Querier, lq listQuery) ([]Router, error) {
	routers, err := listRows(ctx, q, routerKind, "Router", "SELECT "+routerColumns+" FROM net_router", lq, scanRouter)
	if err != nil {
		return nil, err
	}
	return routers, loadRouterChildren(ctx, q, routers)
}

// loadRouterChildren fills in the routers' gateway addresses and tags.
func loadRouterChildren(ctx context.Context, q db.Querier, routers []Router) error {
	byID, ids := indexByID(routers, func(rt *Router) string { return rt.ID })
	byPort := map[string]*Gateway{}
	var ports []any
	for i := range routers {
		if gw := routers[i].Gateway; gw != nil {
			byPort[gw.PortID] = gw
			ports = append(ports, gw.PortID)
		}
	}
	for chunk := range slices.Chunk(ports, inChunk) {
		err := eachAllocation(ctx, q, chunk, func(pid, sid, ip string) error {
			a, err := parseIP(ip)
			if err != nil {
				return err
			}
			byPort[pid].FixedIPs = append(byPort[pid].FixedIPs, FixedIP{SubnetID: sid, IP: a})
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, gw := range byPort {
		sortFixedIPs(gw.FixedIPs)
	}
	for chunk := range slices.Chunk(ids, inChunk) {
		if err := loadTags(ctx, q, chunk, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) }); err != nil {
			return err
		}
	}
	return nil
}

// routerInterfaces loads the interface ports of a router, with their addresses.
func routerInterfaces(ctx context.Context, q db.Querier, routerID string) ([]Port, error) {
	ports, err := db.QueryAll(ctx, q, scanPort, "SELECT "+portColumns+" FROM net_port JOIN net_router_port rp ON rp.port_id = net_port.id "+
		"WHERE rp.router_id = ? AND rp.port_type <> ? ORDER BY net_port.created_at, net_port.id", routerID, ownerRouterGateway)
	if err != nil {
		return nil, err
	}
	return ports, loadPortChildren(ctx, q, ports)
}

// addRouterPort records a port as one of a router's; false when it is some router's already.
func addRouterPort(ctx context.Context, tx *db.Tx, routerID, portID, portType string) (bool, error) {
	_, ok, err := unlessDuplicate(ctx, tx, "INSERT INTO net_router_port (port_id, router_id, port_type) VALUES (?, ?, ?)",
		portID, routerID, portType)
	return ok, err
}

// removeRouterPort deletes a router's port with its addresses.
func removeRouterPort(ctx context.Context, tx *db.Tx, portID string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM net_router_port WHERE port_id = ?", portID); err != nil {
		return err
	}
	return deletePortRows(ctx, tx, portID)
}

// routerOfPort is the router a port belongs to, "" for none.
func routerOfPort(ctx context.Context, q db.Querier, portID string) (string, error) {
	ids, err := db.QueryStrings(ctx, q, "SELECT router_id FROM net_router_port WHERE port_id = ?", portID)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}
