package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
)

const networkColumns = "net_network.id, net_network.project_id, net_network.name, net_network.description, net_network.status, " +
	"net_network.admin_state_up, net_network.shared, net_network.router_external, net_network.mtu, " +
	"net_network.created_at, net_network.updated_at, net_network.revision_number, net_network.doc"

// networkKind is the list machinery's view of networks.
var networkKind = func() kind {
	cols := standardColumns("net_network")
	cols["status"] = column{expr: "net_network.status", sortable: true}
	cols["admin_state_up"] = column{expr: "net_network.admin_state_up", typ: colBool, sortable: true}
	cols["shared"] = column{expr: "net_network.shared", typ: colBool, sortable: true}
	cols["router:external"] = column{expr: "net_network.router_external", typ: colBool, sortable: true}
	cols["mtu"] = column{expr: "net_network.mtu", typ: colInt, sortable: true}
	segment := "EXISTS (SELECT 1 FROM net_segment s WHERE s.network_id = net_network.id AND s.%s IN (%%s))"
	cols["provider:network_type"] = column{cond: strings.Replace(segment, "%s", "network_type", 1)}
	cols["provider:physical_network"] = column{cond: strings.Replace(segment, "%s", "physical_network", 1)}
	cols["provider:segmentation_id"] = column{cond: strings.Replace(segment, "%s", "segmentation_id", 1), typ: colInt}
	return kind{singular: "network", plural: "networks", table: "net_network", columns: cols}
}()

func scanNetwork(r db.Scanner) (Network, error) {
	var n Network
	var created, updated sql.NullInt64
	var doc string
	err := r.Scan(&n.ID, &n.ProjectID, &n.Name, &n.Description, &n.Status, &n.AdminStateUp, &n.Shared, &n.External,
		&n.MTU, &created, &updated, &n.Revision, &doc)
	if err != nil {
		return n, err
	}
	n.CreatedAt, n.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	return n, json.Unmarshal([]byte(doc), &n)
}

// insertNetwork stores a new network (its segment is stored by allocateSegment).
func insertNetwork(ctx context.Context, tx *db.Tx, n Network) error {
	doc, err := json.Marshal(n)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO net_network (id, project_id, name, description, status, admin_state_up, shared, "+
		"router_external, mtu, created_at, updated_at, revision_number, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		n.ID, n.ProjectID, n.Name, n.Description, n.Status, n.AdminStateUp, n.Shared, n.External, n.MTU,
		db.Micros(n.CreatedAt), db.Micros(n.UpdatedAt), n.Revision, string(doc))
	if err != nil {
		return err
	}
	return setTags(ctx, tx, n.ID, n.Tags)
}

// updateNetworkRow rewrites a network's attributes and bumps its revision.
func updateNetworkRow(ctx context.Context, tx *db.Tx, n Network) error {
	doc, err := json.Marshal(n)
	if err != nil {
		return err
	}
	res, err := tx.Exec(ctx, "UPDATE net_network SET name = ?, description = ?, admin_state_up = ?, shared = ?, "+
		"router_external = ?, mtu = ?, updated_at = ?, revision_number = revision_number + 1, doc = ? WHERE id = ?",
		n.Name, n.Description, n.AdminStateUp, n.Shared, n.External, n.MTU, db.Micros(n.UpdatedAt), string(doc), n.ID)
	return mustAffect(res, err, "Network", n.ID)
}

// getNetwork loads a network with its segments, subnets and tags.
func getNetwork(ctx context.Context, q db.Querier, id string) (Network, error) {
	n, err := scanNetwork(q.QueryRow(ctx, "SELECT "+networkColumns+" FROM net_network WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return n, &NotFoundError{Kind: "Network", ID: id}
	}
	if err != nil {
		return n, err
	}
	nets := []Network{n}
	err = loadNetworkChildren(ctx, q, nets)
	return nets[0], err
}

// listNetworks runs a parsed list query.
func listNetworks(ctx context.Context, q db.Querier, lq listQuery) ([]Network, error) {
	nets, err := listRows(ctx, q, networkKind, "Network", "SELECT "+networkColumns+" FROM net_network", lq, scanNetwork)
	if err != nil {
		return nil, err
	}
	return nets, loadNetworkChildren(ctx, q, nets)
}

// loadNetworkChildren fills in segments, subnet ids and tags.
func loadNetworkChildren(ctx context.Context, q db.Querier, nets []Network) error {
	if len(nets) == 0 {
		return nil
	}
	byID, ids := indexByID(nets, func(n *Network) string { return n.ID })
	in := inList(len(ids))
	err := db.EachRow(ctx, q, "SELECT network_id, id, network_type, physical_network, segmentation_id FROM net_segment WHERE network_id IN ("+in+") ORDER BY position", ids,
		func(r db.Scanner) error {
			var nid string
			var seg Segment
			var segID sql.NullInt64
			if err := r.Scan(&nid, &seg.ID, &seg.NetworkType, &seg.PhysicalNetwork, &segID); err != nil {
				return err
			}
			seg.SegmentationID = int(segID.Int64)
			byID[nid].Segments = append(byID[nid].Segments, seg)
			return nil
		})
	if err != nil {
		return err
	}
	err = db.EachRow(ctx, q, "SELECT network_id, id FROM net_subnet WHERE network_id IN ("+in+") ORDER BY id", ids, func(r db.Scanner) error {
		var nid, sid string
		if err := r.Scan(&nid, &sid); err != nil {
			return err
		}
		byID[nid].Subnets = append(byID[nid].Subnets, sid)
		return nil
	})
	if err != nil {
		return err
	}
	return loadTags(ctx, q, ids, func(id, tag string) { byID[id].Tags = append(byID[id].Tags, tag) })
}

// indexByID maps each item's id to the item and lists the ids as query arguments, for
// loading children with WHERE … IN (…).
func indexByID[T any](items []T, id func(*T) string) (map[string]*T, []any) {
	byID := make(map[string]*T, len(items))
	ids := make([]any, len(items))
	for i := range items {
		byID[id(&items[i])] = &items[i]
		ids[i] = id(&items[i])
	}
	return byID, ids
}

// eachAllocation calls fn for every address allocated to the ports, in chunks of inChunk ids.
func eachAllocation(ctx context.Context, q db.Querier, portIDs []any, fn func(portID, subnetID, ip string) error) error {
	for chunk := range slices.Chunk(portIDs, inChunk) {
		err := db.EachRow(ctx, q, "SELECT port_id, subnet_id, ip_address FROM net_ip_allocation WHERE port_id IN ("+
			inList(len(chunk))+") ORDER BY port_id, subnet_id, ip_address", chunk, func(r db.Scanner) error {
			var pid, sid, ip string
			if err := r.Scan(&pid, &sid, &ip); err != nil {
				return err
			}
			return fn(pid, sid, ip)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// inList is "?, ?, …" for n values.
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// markerValues reads the sort values of the marker row; a marker that names nothing is a 404
// of the resource's kind, as Neutron answers.
func markerValues(ctx context.Context, q db.Querier, table string, exprs []string, marker, kindName string) ([]any, error) {
	vals := make([]any, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := q.QueryRow(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+table+" WHERE id = ?", marker).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &NotFoundError{Kind: kindName, ID: marker}
	}
	return vals, err
}

// mustAffect turns an UPDATE or DELETE that touched nothing into a NotFoundError.
func mustAffect(res sql.Result, err error, kindName, id string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &NotFoundError{Kind: kindName, ID: id}
	}
	return nil
}

// setTags replaces a resource's tags.
func setTags(ctx context.Context, tx *db.Tx, id string, tags []string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM net_tag WHERE resource_id = ?", id); err != nil {
		return err
	}
	for _, t := range tags {
		if _, err := tx.Exec(ctx, "INSERT INTO net_tag (resource_id, tag) VALUES (?, ?)", id, t); err != nil {
			return err
		}
	}
	return nil
}

// loadTags calls add for every tag of the resources, in tag order.
func loadTags(ctx context.Context, q db.Querier, ids []any, add func(id, tag string)) error {
	return db.EachRow(ctx, q, "SELECT resource_id, tag FROM net_tag WHERE resource_id IN ("+inList(len(ids))+") ORDER BY tag", ids,
		func(r db.Scanner) error {
			var id, tag string
			if err := r.Scan(&id, &tag); err != nil {
				return err
			}
			add(id, tag)
			return nil
		})
}
