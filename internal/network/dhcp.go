package network

import (
	"context"
	"slices"

	"github.com/gostack/gostack/internal/network/dataplane"
)

// syncDHCP hands the data plane a network's DHCP-enabled subnets and its ports with
// addresses, after a subnet changed or the network went (nothing then). A failure is logged:
// drivers are idempotent and the next change repeats it.
func (s *Service) syncDHCP(ctx context.Context, networkID string, gone bool) {
	var subnets []dataplane.Subnet
	var ports []dataplane.Port
	if !gone {
		var err error
		if subnets, ports, err = s.dhcpState(ctx, networkID); err != nil {
			s.log.Error("network not loaded for DHCP", "network", networkID, "err", err)
			return
		}
	}
	if err := s.dataplane.SyncDHCP(ctx, networkID, subnets, ports); err != nil {
		s.log.Error("data plane: DHCP sync failed", "network", networkID, "err", err)
	}
}

// dhcpState is what DHCP serves on a network.
func (s *Service) dhcpState(ctx context.Context, networkID string) ([]dataplane.Subnet, []dataplane.Port, error) {
	n, err := getNetwork(ctx, s.db, networkID)
	if err != nil {
		return nil, nil, err
	}
	subs, err := networkSubnets(ctx, s.db, networkID)
	if err != nil {
		return nil, nil, err
	}
	var subnets []dataplane.Subnet
	for _, sub := range subs {
		if sub.EnableDHCP {
			subnets = append(subnets, dhcpSubnet(sub))
		}
	}
	var lq listQuery
	lq.where.Add("net_port.network_id = ?", networkID)
	all, err := listPorts(ctx, s.db, lq)
	if err != nil {
		return nil, nil, err
	}
	var ports []dataplane.Port
	for _, p := range all {
		if len(p.FixedIPs) > 0 {
			ports = append(ports, dataplanePort(p, n))
		}
	}
	return subnets, ports, nil
}

// dhcpSubnet is what DHCP needs of a subnet.
func dhcpSubnet(sub Subnet) dataplane.Subnet {
	out := dataplane.Subnet{ID: sub.ID, NetworkID: sub.NetworkID, CIDR: sub.CIDR.String(), IPVersion: sub.IPVersion,
		EnableDHCP: sub.EnableDHCP, DNSNameservers: slices.Clone(sub.DNS)}
	if sub.Gateway.IsValid() {
		out.GatewayIP = sub.Gateway.String()
	}
	return out
}

// dhcpPort tells the data plane's DHCP that one port with addresses was added, changed or
// removed, without a whole sync of its network.
func (s *Service) dhcpPort(ctx context.Context, p Port, n Network, removed bool) {
	if len(p.FixedIPs) == 0 && !removed {
		return
	}
	if err := s.dataplane.UpdateDHCPPort(ctx, dataplanePort(p, n), removed); err != nil {
		s.log.Error("data plane: DHCP port update failed", "port", p.ID, "err", err)
	}
}
