package network

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// providerRequest are the provider attributes of a network create.
type providerRequest struct {
	NetworkType     string
	PhysicalNetwork string
	SegmentationID  int // 0 = allocate
	Given           bool
}

// overhead is what each overlay's encapsulation takes from the path MTU (IPv4 outer header).
var overhead = map[string]int{"vxlan": 50, "geneve": 58}

// mtuFor is the MTU of a network of a type.
func (o Options) mtuFor(networkType string) int {
	if oh, ok := overhead[networkType]; ok {
		return o.PathMTU - oh
	}
	return o.PhysnetMTU
}

// validateProvider checks provider attributes against the type drivers, as ML2 does.
func (o Options) validateProvider(p providerRequest) error {
	m := o.ML2
	if !slices.Contains(m.TypeDrivers, p.NetworkType) {
		return invalid("network_type value '%s' not supported", p.NetworkType)
	}
	switch p.NetworkType {
	case "local":
		if p.PhysicalNetwork != "" || p.SegmentationID != 0 {
			return invalid("provider:physical_network and provider:segmentation_id are prohibited for local provider network")
		}
	case "flat":
		if p.PhysicalNetwork == "" {
			return invalid("physical_network required for flat provider network")
		}
		if p.SegmentationID != 0 {
			return invalid("segmentation_id prohibited for flat provider network")
		}
		if !slices.Contains(m.FlatNetworks, "*") && !slices.Contains(m.FlatNetworks, p.PhysicalNetwork) {
			return invalid("physical_network '%s' unknown for flat provider network (known: %v)", p.PhysicalNetwork, m.FlatNetworks)
		}
	case "vlan":
		if p.PhysicalNetwork == "" {
			return invalid("physical_network required for VLAN provider network")
		}
		if _, ok := m.VLANRanges[p.PhysicalNetwork]; !ok {
			return invalid("physical_network '%s' unknown for VLAN provider network", p.PhysicalNetwork)
		}
		if p.SegmentationID != 0 && (p.SegmentationID < 1 || p.SegmentationID > 4094) {
			return invalid("segmentation_id out of range (1 through 4094)")
		}
	case "vxlan", "geneve":
		if p.PhysicalNetwork != "" {
			return invalid("provider:physical_network specified for %s network", p.NetworkType)
		}
		if p.SegmentationID < 0 || p.SegmentationID > 1<<24-1 {
			return invalid("segmentation_id out of range (1 through 16777215)")
		}
	}
	return nil
}

// pickSegment chooses the segment of a new network inside tx: the provider attributes as
// given, or for a tenant network the first tenant type with a free id. insertSegment stores
// it; concurrent allocations are kept apart by the unique key on (type, physical network, id).
func (s *Service) pickSegment(ctx context.Context, tx *db.Tx, p providerRequest) (Segment, error) {
	if p.Given {
		seg := Segment{ID: newID(), NetworkType: p.NetworkType, PhysicalNetwork: p.PhysicalNetwork, SegmentationID: p.SegmentationID}
		if seg.SegmentationID == 0 && (p.NetworkType == "vlan" || overhead[p.NetworkType] > 0) {
			id, ok, err := s.freeID(ctx, tx, p.NetworkType, p.PhysicalNetwork)
			if err != nil {
				return seg, err
			}
			if !ok {
				return seg, noNetworkAvailable()
			}
			seg.SegmentationID = id
		}
		return seg, nil
	}
	for _, t := range s.opts.ML2.TenantTypes {
		seg := Segment{ID: newID(), NetworkType: t}
		switch t {
		case "flat":
			continue // flat networks are provider networks only
		case "vlan":
			found := false
			for _, physnet := range slices.Sorted(maps.Keys(s.opts.ML2.VLANRanges)) {
				id, ok, err := s.freeID(ctx, tx, "vlan", physnet)
				if err != nil {
					return seg, err
				}
				if ok {
					seg.PhysicalNetwork, seg.SegmentationID, found = physnet, id, true
					break
				}
			}
			if !found {
				continue
			}
		case "vxlan", "geneve":
			id, ok, err := s.freeID(ctx, tx, t, "")
			if err != nil {
				return seg, err
			}
			if !ok {
				continue
			}
			seg.SegmentationID = id
		}
		return seg, nil
	}
	return Segment{}, noNetworkAvailable()
}

func noNetworkAvailable() error {
	return &httpapi.Error{Status: http.StatusServiceUnavailable, Title: "NoNetworkAvailable",
		Message: "Unable to create the network. No tenant network is available for allocation."}
}

// ranges returns the tenant ranges of a type (and physical network, for VLAN).
func (m ML2Config) ranges(networkType, physnet string) []span {
	switch networkType {
	case "vlan":
		return m.VLANRanges[physnet]
	case "vxlan":
		return m.VXLANRanges
	case "geneve":
		return m.GeneveRanges
	}
	return nil
}

// freeID finds the lowest segmentation id of the tenant ranges that no network uses.
func (s *Service) freeID(ctx context.Context, tx *db.Tx, networkType, physnet string) (int, bool, error) {
	used, err := db.QueryAll(ctx, tx, func(r db.Scanner) (int, error) {
		var n sql.NullInt64
		err := r.Scan(&n)
		return int(n.Int64), err
	}, "SELECT segmentation_id FROM net_segment WHERE network_type = ? AND physical_network = ? ORDER BY segmentation_id",
		networkType, physnet)
	if err != nil {
		return 0, false, err
	}
	for _, sp := range s.opts.ML2.ranges(networkType, physnet) {
		candidate := sp.First
		for _, u := range used {
			if u == candidate {
				candidate++
			} else if u > candidate {
				break
			}
		}
		if candidate <= sp.Last {
			return candidate, true, nil
		}
	}
	return 0, false, nil
}

// insertSegment stores a segment; an id in use is Neutron's 409 for its type.
func insertSegment(ctx context.Context, tx *db.Tx, networkID string, seg Segment) error {
	var segID any
	if seg.NetworkType != "local" {
		segID = seg.SegmentationID
	}
	_, err := tx.Exec(ctx, "INSERT INTO net_segment (id, network_id, network_type, physical_network, segmentation_id, position) VALUES (?, ?, ?, ?, ?, 0)",
		seg.ID, networkID, seg.NetworkType, seg.PhysicalNetwork, segID)
	if db.IsDuplicate(err) {
		switch seg.NetworkType {
		case "flat":
			return &ConflictError{Type: "FlatNetworkInUse", Message: fmt.Sprintf("Unable to create the flat network. Physical network %s is in use.", seg.PhysicalNetwork)}
		case "vlan":
			return &ConflictError{Type: "VlanIdInUse", Message: fmt.Sprintf("Unable to create the network. The VLAN %d on physical network %s is in use.", seg.SegmentationID, seg.PhysicalNetwork)}
		default:
			return &ConflictError{Type: "TunnelIdInUse", Message: fmt.Sprintf("Unable to create the network. The tunnel ID %d is in use.", seg.SegmentationID)}
		}
	}
	return err
}
