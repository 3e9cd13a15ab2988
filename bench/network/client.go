package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// client talks to the network API (Neutron v2.0) as the admin.
type client struct {
	*harness.Client
	base string // http://127.0.0.1:PORT/v2.0
}

// newClient returns a client of the network API at networkURL keeping up to conns idle
// connections.
func newClient(networkURL string, conns int) *client {
	return &client{Client: harness.NewClient(conns), base: networkURL + "/v2.0"}
}

// fixedIP is one entry of a port's fixed_ips.
type fixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// port is the part of a port the benchmark reads.
type port struct {
	ID        string    `json:"id"`
	NetworkID string    `json:"network_id"`
	MAC       string    `json:"mac_address"`
	DeviceID  string    `json:"device_id"`
	FixedIPs  []fixedIP `json:"fixed_ips"`
}

// pool is one of a subnet's allocation pools.
type pool struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// subnet is the part of a subnet the benchmark reads.
type subnet struct {
	ID        string `json:"id"`
	NetworkID string `json:"network_id"`
	CIDR      string `json:"cidr"`
	GatewayIP string `json:"gateway_ip"`
	Pools     []pool `json:"allocation_pools"`
}

// createNetwork creates a tenant network and returns its id.
func (c *client) createNetwork(ctx context.Context, name string) (string, error) {
	var out struct {
		Network struct {
			ID string `json:"id"`
		} `json:"network"`
	}
	body := map[string]any{"network": map[string]any{"name": name}}
	if _, err := c.CallJSON(ctx, http.MethodPost, c.base+"/networks", body, http.StatusCreated, &out); err != nil {
		return "", err
	}
	return out.Network.ID, nil
}

// createSubnet creates an IPv4 subnet of cidr on a network.
func (c *client) createSubnet(ctx context.Context, networkID, name, cidr string) (subnet, error) {
	var out struct {
		Subnet subnet `json:"subnet"`
	}
	body := map[string]any{"subnet": map[string]any{"network_id": networkID, "name": name, "ip_version": 4, "cidr": cidr}}
	_, err := c.CallJSON(ctx, http.MethodPost, c.base+"/subnets", body, http.StatusCreated, &out)
	return out.Subnet, err
}

// createPort creates a port on a network with nothing but its network_id, as `openstack
// port create --network` does, and returns it with the time the request took.
func (c *client) createPort(ctx context.Context, networkID string) (port, time.Duration, error) {
	var out struct {
		Port port `json:"port"`
	}
	body := map[string]any{"port": map[string]any{"network_id": networkID}}
	start := time.Now()
	_, err := c.CallJSON(ctx, http.MethodPost, c.base+"/ports", body, http.StatusCreated, &out)
	return out.Port, time.Since(start), err
}

// setDeviceID gives a port a device_id.
func (c *client) setDeviceID(ctx context.Context, id, deviceID string) error {
	body := map[string]any{"port": map[string]any{"device_id": deviceID}}
	_, err := c.CallJSON(ctx, http.MethodPut, c.base+"/ports/"+id, body, http.StatusOK, nil)
	return err
}

// createSecurityGroup creates a security group and returns the time the request took.
func (c *client) createSecurityGroup(ctx context.Context, name string) (time.Duration, error) {
	body := map[string]any{"security_group": map[string]any{"name": name, "description": "bench"}}
	start := time.Now()
	_, err := c.CallJSON(ctx, http.MethodPost, c.base+"/security-groups", body, http.StatusCreated, nil)
	return time.Since(start), err
}

// portPage is one answer of GET /v2.0/ports.
type portPage struct {
	Ports []port `json:"ports"`
	Links []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"ports_links"`
}

// next is the href of the page's next link; "" on the last page.
func (p portPage) next() string {
	for _, l := range p.Links {
		if l.Rel == "next" {
			return l.Href
		}
	}
	return ""
}

// listPorts reads one answer of GET /v2.0/ports?query.
func (c *client) listPorts(ctx context.Context, query url.Values) (portPage, error) {
	return c.portsAt(ctx, c.base+"/ports?"+query.Encode())
}

// portsAt reads the ports answer at an absolute URL (a next link).
func (c *client) portsAt(ctx context.Context, u string) (portPage, error) {
	var page portPage
	_, body, err := c.GetTimed(ctx, u)
	if err != nil {
		return page, err
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, fmt.Errorf("GET %s: decoding the answer: %w", u, err)
	}
	return page, nil
}
