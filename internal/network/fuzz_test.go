package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/apitest"
)

// Fuzz targets of the subnet and port handlers: whatever the body, the answer is never a 5xx,
// and a refused request writes nothing. Seeds use NET, SUBNET, SUBNET6 and SG for the ids of
// the fixture's network, subnets and security group.

// fuzzFixture is a network with an IPv4 and a SLAAC IPv6 subnet, and a port.
type fuzzFixture struct {
	e                        *testEnv
	net, sub, sub6, sg, port string
}

func newFuzzFixture(f *testing.F) *fuzzFixture {
	e := newTestEnv(f)
	x := &fuzzFixture{e: e}
	x.net = e.network(e.member, map[string]any{"name": "fuzz"})["id"].(string)
	x.sub = e.subnet(e.member, map[string]any{"network_id": x.net, "ip_version": 4, "cidr": "10.0.0.0/24"})["id"].(string)
	x.sub6 = e.subnet(e.member, map[string]any{"network_id": x.net, "ip_version": 6, "cidr": "fd00::/64",
		"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"})["id"].(string)
	p := e.port(e.member, map[string]any{"network_id": x.net})
	x.port = p["id"].(string)
	x.sg = p["security_groups"].([]any)[0].(string)
	return x
}

// body fills the placeholders of a seed.
func (x *fuzzFixture) body(raw string) string {
	return strings.NewReplacer("SUBNET6", x.sub6, "SUBNET", x.sub, "NET", x.net, "SG", x.sg).Replace(raw)
}

// state is what a refused request must leave unchanged.
func (x *fuzzFixture) state(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		"SELECT COUNT(*) FROM net_subnet", "SELECT COUNT(*) FROM net_port", "SELECT COUNT(*) FROM net_ip_allocation",
		"SELECT COUNT(*) FROM net_tag", "SELECT COUNT(*) FROM net_security_group",
		"SELECT COALESCE(SUM(revision_number), 0) FROM net_subnet", "SELECT COALESCE(SUM(revision_number), 0) FROM net_port",
		"SELECT COALESCE(SUM(revision_number), 0) FROM net_network",
	} {
		var n int64
		if err := x.e.svc.db.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "/")
}

// client is an API client for one fuzz iteration (the fixture's belongs to the fuzz target).
func (x *fuzzFixture) client(t *testing.T) apitest.Client {
	return apitest.Client{T: t, BaseURL: x.e.api.BaseURL}
}

// check sends one request and holds the invariants; it returns the response on success.
func (x *fuzzFixture) check(t *testing.T, method, path, body string) map[string]any {
	return checkRequest(t, x.e, x.state, method, path, x.body(body))
}

// checkRequest sends one request as the member and holds the fuzz invariants: never a 5xx, a
// refusal is a NeutronError and leaves state unchanged, a success is JSON. It returns the
// body of a success.
func checkRequest(t *testing.T, e *testEnv, state func(*testing.T) string, method, path, body string) map[string]any {
	before := state(t)
	res := apitest.Client{T: t, BaseURL: e.api.BaseURL}.Call(method, path, e.member, body)
	if res.Status >= 500 {
		t.Fatalf("%s %s %s: %d %s", method, path, body, res.Status, res.Raw)
	}
	if res.Status >= 400 {
		if neutronType(res) == "" {
			t.Fatalf("%s %s %s: %d without a NeutronError: %s", method, path, body, res.Status, res.Raw)
		}
		if after := state(t); after != before {
			t.Fatalf("%s %s %s: refused (%d %s) but the database changed: %s -> %s", method, path, body, res.Status, res.Raw, before, after)
		}
		return nil
	}
	if !json.Valid([]byte(res.Raw)) {
		t.Fatalf("%s %s: invalid JSON %q", method, path, res.Raw)
	}
	return res.Body
}

var subnetSeeds = []string{
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24"}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24", "gateway_ip": "10.1.0.254", "allocation_pools": [{"start": "10.1.0.10", "end": "10.1.0.20"}]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24", "gateway_ip": null, "dns_nameservers": ["8.8.8.8"], "host_routes": [{"destination": "0.0.0.0/0", "nexthop": "10.1.0.1"}]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 6, "cidr": "fd01::/64", "ipv6_ra_mode": "dhcpv6-stateful", "ipv6_address_mode": "dhcpv6-stateful"}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 6, "cidr": "fd01::/120", "enable_dhcp": false, "allocation_pools": [{"start": "fd01::5", "end": "fd01::9"}]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.0.0.0/25"}}`,
	`{"subnet": {"network_id": "NET", "ip_version": "4", "cidr": "10.1.0.0/31", "enable_dhcp": "false", "tags": ["a"]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24", "allocation_pools": [{"start": "10.1.0.1", "end": "10.1.0.300"}]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24", "allocation_pools": [{"start": "10.1.0.10", "end": "10.1.0.20"}, {"start": "10.1.0.15", "end": "10.1.0.30"}]}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "10.1.0.0/24", "subnetpool_id": null, "segment_id": null, "service_types": []}}`,
	`{"subnet": {"network_id": "NET", "ip_version": 4}}`,
	`{"subnet": {"network_id": "nope", "ip_version": 4, "cidr": "10.1.0.0/24"}}`,
	`{"subnet": []}`, `{}`, `null`, `{"subnet": {"ip_version": 4.5, "cidr": 7, "gateway_ip": ["x"]}}`,
}

// FuzzSubnetCreate fuzzes POST /v2.0/subnets.
func FuzzSubnetCreate(f *testing.F) {
	x := newFuzzFixture(f)
	for _, s := range subnetSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out := x.check(t, "POST", "/v2.0/subnets", body)
		if out == nil {
			return
		}
		sub, _ := out["subnet"].(map[string]any)
		id, _ := sub["id"].(string)
		if id == "" {
			t.Fatalf("created without an id: %v", out)
		}
		x.client(t).Call("DELETE", "/v2.0/subnets/"+id, x.e.member, nil).Must(t, http.StatusNoContent)
	})
}

var subnetUpdateSeeds = []string{
	`{"subnet": {"name": "x", "description": "y"}}`,
	`{"subnet": {"gateway_ip": "10.0.0.1"}}`,
	`{"subnet": {"gateway_ip": null}}`,
	`{"subnet": {"gateway_ip": "10.0.0.50"}}`,
	`{"subnet": {"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.200"}]}}`,
	`{"subnet": {"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.1.200"}]}}`,
	`{"subnet": {"dns_nameservers": ["1.1.1.1", "fd00::1"], "host_routes": null}}`,
	`{"subnet": {"enable_dhcp": false}}`,
	`{"subnet": {"cidr": "10.0.0.0/16"}}`,
	`{"subnet": {"service_types": ["network:foo"], "segment_id": "x"}}`,
	`{"subnet": {"allocation_pools": null, "dns_nameservers": [1]}}`,
}

// FuzzSubnetUpdate fuzzes PUT /v2.0/subnets/{id}.
func FuzzSubnetUpdate(f *testing.F) {
	x := newFuzzFixture(f)
	for _, s := range subnetUpdateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		x.check(t, "PUT", "/v2.0/subnets/"+x.sub, body)
	})
}

var portSeeds = []string{
	`{"port": {"network_id": "NET"}}`,
	`{"port": {"network_id": "NET", "name": "p", "admin_state_up": true, "device_id": "d", "device_owner": "compute:nova"}}`,
	`{"port": {"network_id": "NET", "fixed_ips": [{"subnet_id": "SUBNET", "ip_address": "10.0.0.20"}], "mac_address": "fa:16:3e:00:00:20"}}`,
	`{"port": {"network_id": "NET", "fixed_ips": [{"ip_address": "10.0.0.21"}, {"subnet_id": "SUBNET6"}]}}`,
	`{"port": {"network_id": "NET", "fixed_ips": [{"subnet_id": "SUBNET6", "ip_address": "fd00::5"}]}}`,
	`{"port": {"network_id": "NET", "fixed_ips": [{"subnet_id": "SUBNET", "ip_address": "10.0.1.5"}]}}`,
	`{"port": {"network_id": "NET", "fixed_ips": []}}`,
	`{"port": {"network_id": "NET", "mac_address": "11:22:33:44:55:66"}}`,
	`{"port": {"network_id": "NET", "security_groups": ["SG"], "allowed_address_pairs": [{"ip_address": "10.0.0.0/28"}]}}`,
	`{"port": {"network_id": "NET", "port_security_enabled": false, "security_groups": []}}`,
	`{"port": {"network_id": "NET", "extra_dhcp_opts": [{"opt_name": "router", "opt_value": "", "ip_version": 4}], "binding:vnic_type": "direct"}}`,
	`{"port": {"network_id": "NET", "tags": ["a", "b"], "propagate_uplink_status": true}}`,
	`{"port": {"network_id": "NET", "binding:host_id": "h1"}}`,
	`{"port": {"network_id": "NET", "fixed_ips": [{"subnet_id": "SUBNET"}, {"subnet_id": "SUBNET"}]}}`,
	`{"port": {"network_id": 5, "fixed_ips": {"a": 1}}}`, `{"port": null}`, `[]`,
}

// FuzzPortCreate fuzzes POST /v2.0/ports.
func FuzzPortCreate(f *testing.F) {
	x := newFuzzFixture(f)
	for _, s := range portSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out := x.check(t, "POST", "/v2.0/ports", body)
		if out == nil {
			return
		}
		p, _ := out["port"].(map[string]any)
		id, _ := p["id"].(string)
		if id == "" {
			t.Fatalf("created without an id: %v", out)
		}
		x.client(t).Call("DELETE", "/v2.0/ports/"+id, x.e.member, nil).Must(t, http.StatusNoContent)
	})
}

var portUpdateSeeds = []string{
	`{"port": {"name": "x", "admin_state_up": false}}`,
	`{"port": {"fixed_ips": [{"subnet_id": "SUBNET"}]}}`,
	`{"port": {"fixed_ips": [{"subnet_id": "SUBNET", "ip_address": "10.0.0.99"}]}}`,
	`{"port": {"fixed_ips": [{"ip_address": "10.0.0.98"}, {"ip_address": "10.0.0.97"}]}}`,
	`{"port": {"fixed_ips": []}}`,
	`{"port": {"security_groups": [], "port_security_enabled": false}}`,
	`{"port": {"security_groups": ["SG"], "port_security_enabled": true}}`,
	`{"port": {"allowed_address_pairs": [{"ip_address": "10.0.0.5", "mac_address": "fa:16:3e:01:02:03"}]}}`,
	`{"port": {"extra_dhcp_opts": [{"opt_name": "tftp-server", "opt_value": null}]}}`,
	`{"port": {"device_owner": "network:dhcp"}}`,
	`{"port": {"network_id": "NET"}}`,
	`{"port": {"mac_address": null}}`,
}

// FuzzPortUpdate fuzzes PUT /v2.0/ports/{id}.
func FuzzPortUpdate(f *testing.F) {
	x := newFuzzFixture(f)
	for _, s := range portUpdateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		x.check(t, "PUT", "/v2.0/ports/"+x.port, body)
	})
}
