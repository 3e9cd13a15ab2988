package network

import (
	"net/http"
	"strings"
	"testing"
)

// subnetDeviations are where the generated spec is wrong about Neutron's subnets and network
// IP availability.
var subnetDeviations = []struct{ suffix, reason, why string }{
	{"/ipv6_ra_mode", "got null", "ipv6_ra_mode is None unless set (neutron_lib/api/definitions/subnet.py: default ATTR_NOT_SPECIFIED, stored NULL)"},
	{"/ipv6_address_mode", "got null", "ipv6_address_mode is None unless set (neutron_lib/api/definitions/subnet.py)"},
	{"/total_ips", "got number", "total_ips is an integer (neutron/db/network_ip_availability_db.py: netaddr.IPRange(...).size)"},
	{"/used_ips", "got number", "used_ips is an integer count (neutron/db/network_ip_availability_db.py: func.count)"},
	{"/subnet_ip_availability", "got array", "subnet_ip_availability is a list of per-subnet dicts (neutron/db/network_ip_availability_db.py: _add_subnet_data_to_net)"},
}

func init() { specDeviations = append(specDeviations, subnetDeviations...) }

// subnet creates a subnet and returns it.
func (e *testEnv) subnet(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2.0/subnets", token, map[string]any{"subnet": attrs}).Must(e.t, http.StatusCreated).Obj("subnet")
}

func TestSubnetLifecycle(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "private"})["id"].(string)
	// openstack subnet create --subnet-range 192.168.100.0/24 --gateway 192.168.100.1 --dhcp --network private sub1
	res := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": map[string]any{"name": "sub1", "network_id": net,
		"ip_version": 4, "cidr": "192.168.100.0/24", "gateway_ip": "192.168.100.1", "enable_dhcp": true}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/subnets", res.Status, res.Raw)
	sub := res.Obj("subnet")
	id := sub["id"].(string)
	pools := sub["allocation_pools"].([]any)
	if len(pools) != 1 || pools[0].(map[string]any)["start"] != "192.168.100.2" || pools[0].(map[string]any)["end"] != "192.168.100.254" {
		t.Errorf("default pools: %v", pools)
	}
	for k, want := range map[string]any{"cidr": "192.168.100.0/24", "gateway_ip": "192.168.100.1", "enable_dhcp": true,
		"ip_version": 4.0, "project_id": e.demo, "network_id": net, "subnetpool_id": nil, "ipv6_ra_mode": nil, "revision_number": 0.0} {
		if sub[k] != want {
			t.Errorf("%s = %v, want %v", k, sub[k], want)
		}
	}
	if _, ok := sub["segment_id"]; ok {
		t.Error("a member sees segment_id")
	}
	show := e.call("GET", "/v2.0/subnets/"+id, e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/subnets/"+id, show.Status, show.Raw)
	n := e.call("GET", "/v2.0/networks/"+net, e.member, nil).Must(t, http.StatusOK).Obj("network")
	if subs := n["subnets"].([]any); len(subs) != 1 || subs[0] != id || n["revision_number"] != 1.0 {
		t.Errorf("network after subnet create: %v", n)
	}
	e.call("GET", "/v2.0/subnets/"+id, e.other, nil).Must(t, http.StatusNotFound)
	list := e.call("GET", "/v2.0/subnets?network_id="+net+"&ip_version=4&enable_dhcp=true&fields=id&fields=cidr", e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/subnets", list.Status, list.Raw)
	if got := list.List("subnets"); len(got) != 1 || len(got[0]) != 2 || got[0]["cidr"] != "192.168.100.0/24" {
		t.Errorf("filtered list: %v", got)
	}
	if got := e.call("GET", "/v2.0/subnets?cidr=10.0.0.0/24", e.member, nil).List("subnets"); len(got) != 0 {
		t.Errorf("cidr filter: %v", got)
	}
	if got := e.call("GET", "/v2.0/subnets", e.other, nil).List("subnets"); len(got) != 0 {
		t.Errorf("another project lists %v", got)
	}
	upd := e.call("PUT", "/v2.0/subnets/"+id, e.member, map[string]any{"subnet": map[string]any{"name": "renamed",
		"dns_nameservers": []string{"8.8.8.8", "1.1.1.1"}, "host_routes": []any{map[string]any{"destination": "10.9.0.0/16", "nexthop": "192.168.100.9"}},
		"allocation_pools": []any{map[string]any{"start": "192.168.100.10", "end": "192.168.100.100"}}}}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/v2.0/subnets/"+id, upd.Status, upd.Raw)
	if u := upd.Obj("subnet"); u["name"] != "renamed" || u["revision_number"] != 1.0 || len(u["dns_nameservers"].([]any)) != 2 ||
		len(u["host_routes"].([]any)) != 1 || u["allocation_pools"].([]any)[0].(map[string]any)["start"] != "192.168.100.10" {
		t.Errorf("update: %v", u)
	}
	e.call("PUT", "/v2.0/subnets/"+id, e.member, map[string]any{"subnet": map[string]any{"cidr": "10.0.0.0/24"}}).Must(t, http.StatusBadRequest)
	e.call("PUT", "/v2.0/subnets/"+id, e.member, map[string]any{"subnet": map[string]any{"gateway_ip": "192.168.100.50"}}).Must(t, http.StatusConflict)
	nogw := e.call("PUT", "/v2.0/subnets/"+id, e.member, map[string]any{"subnet": map[string]any{"gateway_ip": nil}}).Must(t, http.StatusOK).Obj("subnet")
	if nogw["gateway_ip"] != nil {
		t.Errorf("gateway removed: %v", nogw)
	}
	e.call("PUT", "/v2.0/subnets/"+id+"/tags/blue", e.member, nil).Must(t, http.StatusCreated)
	if got := e.call("GET", "/v2.0/subnets?tags=blue", e.member, nil).List("subnets"); len(got) != 1 {
		t.Errorf("tag filter: %v", got)
	}
	e.call("DELETE", "/v2.0/subnets/"+id, e.other, nil).Must(t, http.StatusNotFound)
	e.call("DELETE", "/v2.0/subnets/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("GET", "/v2.0/subnets/"+id, e.member, nil).Must(t, http.StatusNotFound)
	if n := e.call("GET", "/v2.0/networks/"+net, e.member, nil).Obj("network"); len(n["subnets"].([]any)) != 0 {
		t.Errorf("network after subnet delete: %v", n)
	}
}

func TestSubnetIPv6(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "v6"})["id"].(string)
	res := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": map[string]any{"network_id": net, "ip_version": 6,
		"cidr": "fd00:1::/64", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/subnets", res.Status, res.Raw)
	sub := res.Obj("subnet")
	if sub["gateway_ip"] != "fd00:1::1" || sub["ipv6_address_mode"] != "slaac" {
		t.Errorf("v6 subnet: %v", sub)
	}
	pool := sub["allocation_pools"].([]any)[0].(map[string]any)
	if pool["start"] != "fd00:1::2" || pool["end"] != "fd00:1::ffff:ffff:ffff:ffff" {
		t.Errorf("v6 pool: %v", pool)
	}
	stateful := e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "fd00:2::/64",
		"ipv6_address_mode": "dhcpv6-stateful", "gateway_ip": nil})
	if stateful["gateway_ip"] != nil || stateful["allocation_pools"].([]any)[0].(map[string]any)["start"] != "fd00:2::1" {
		t.Errorf("stateful v6 without gateway: %v", stateful)
	}
	for _, bad := range []map[string]any{
		{"cidr": "fd00:3::/64", "ipv6_ra_mode": "slaac", "ipv6_address_mode": "dhcpv6-stateful"},
		{"cidr": "fd00:3::/80", "ipv6_address_mode": "slaac"},
		{"cidr": "fd00:3::/64", "ipv6_address_mode": "slaac", "enable_dhcp": false},
		{"cidr": "fd00:3::/64", "ipv6_address_mode": "eui"},
		{"cidr": "10.0.0.0/24"},
		{"cidr": "::/64"},
	} {
		bad["network_id"], bad["ip_version"] = net, 6
		if r := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": bad}); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %d %s", bad, r.Status, r.Raw)
		}
	}
	v4modes := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": map[string]any{"network_id": net, "ip_version": 4,
		"cidr": "10.1.0.0/24", "ipv6_ra_mode": "slaac"}}).Must(t, http.StatusBadRequest)
	if !strings.Contains(v4modes.Raw, "ipv6_ra_mode is not valid when ip_version is 4") {
		t.Errorf("v4 with ipv6 mode: %s", v4modes.Raw)
	}
}

func TestSubnetBadInput(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "n"})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24"})
	for _, c := range []struct {
		attrs  map[string]any
		status int
		typ    string
		msg    string
	}{
		{map[string]any{"cidr": "10.0.1.0/33"}, 400, "HTTPBadRequest", "is not a valid IP subnet"},
		{map[string]any{"cidr": "10.0.1.0"}, 400, "HTTPBadRequest", "is not a valid IP subnet"},
		{map[string]any{"cidr": "banana"}, 400, "HTTPBadRequest", "is not a valid IP subnet"},
		{map[string]any{"cidr": "0.0.0.0/0"}, 400, "InvalidInput", "0 is not allowed as CIDR prefix length"},
		{map[string]any{"cidr": "fd00::/64"}, 400, "InvalidInput", "does not match the ip_version"},
		{map[string]any{"cidr": "10.0.0.128/25"}, 400, "InvalidInput", "overlaps with another subnet"},
		{map[string]any{"cidr": "10.0.1.0/24", "gateway_ip": "10.0.2.1"}, 400, "InvalidInput", "outside the subnet"},
		{map[string]any{"cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.0"}, 400, "InvalidInput", "Gateway is not valid on subnet"},
		{map[string]any{"cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.255"}, 400, "InvalidInput", "Gateway is not valid on subnet"},
		{map[string]any{"cidr": "10.0.1.0/24", "gateway_ip": "10.0.1.300"}, 400, "HTTPBadRequest", "is not a valid IP address"},
		{map[string]any{"cidr": "10.0.1.0/24", "gateway_ip": "fd00::1"}, 400, "InvalidInput", "does not match the ip_version"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.10", "end": "10.0.2.20"}}},
			400, "OutOfBoundsAllocationPool", "spans beyond the subnet cidr"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.0", "end": "10.0.1.20"}}},
			400, "OutOfBoundsAllocationPool", "spans beyond the subnet cidr"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.30", "end": "10.0.1.20"}}},
			400, "InvalidAllocationPool", "is not valid"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.10", "end": "10.0.1.20"},
			map[string]any{"start": "10.0.1.15", "end": "10.0.1.30"}}}, 409, "OverlappingAllocationPools", "Found overlapping allocation pools"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.1", "end": "10.0.1.20"}}},
			409, "GatewayConflictWithAllocationPools", "Gateway ip 10.0.1.1 conflicts with allocation pool 10.0.1.1-10.0.1.20"},
		{map[string]any{"cidr": "10.0.1.0/24", "allocation_pools": []any{map[string]any{"start": "10.0.1.1"}}}, 400, "HTTPBadRequest", "Expected keys"},
		{map[string]any{"cidr": "10.0.1.0/24", "dns_nameservers": []string{"8.8.8.8", "8.8.8.8"}}, 400, "HTTPBadRequest", "Duplicate nameserver"},
		{map[string]any{"cidr": "10.0.1.0/24", "dns_nameservers": []string{"1", "2", "3", "4", "5", "6"}}, 400, "HTTPBadRequest", "not a valid nameserver"},
		{map[string]any{"cidr": "10.0.1.0/24", "dns_nameservers": []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"}},
			400, "DNSNameServersExhausted", "exceeds the limit 5"},
		{map[string]any{"cidr": "10.0.1.0/24", "host_routes": []any{map[string]any{"destination": "10.2.0.5/16", "nexthop": "10.0.1.5"}}},
			400, "HTTPBadRequest", "is not a recognized CIDR"},
		{map[string]any{"cidr": "10.0.1.0/32"}, 400, "InvalidInput", "incompatible with DHCP"},
		{map[string]any{"cidr": "224.0.0.0/24"}, 400, "InvalidInput", "Multicast"},
		{map[string]any{"cidr": "10.0.1.0/24", "ip_version": 5}, 400, "HTTPBadRequest", "ip_version"},
		{map[string]any{"cidr": "10.0.1.0/24", "subnetpool_id": "nosuch"}, 404, "SubnetPoolNotFound", "nosuch"},
		{map[string]any{"prefixlen": 24}, 400, "BadRequest", "subnetpool"},
		{map[string]any{}, 400, "BadRequest", "A cidr must be specified"},
		{map[string]any{"cidr": "10.0.1.0/24", "service_types": []string{"network:router_gateway"}}, 403, "PolicyNotAuthorized", "create_subnet:service_types"},
		{map[string]any{"cidr": "10.0.1.0/24", "service_types": []string{"bogus"}}, 400, "InvalidSubnetServiceType", "does not correspond to a valid device owner"},
		{map[string]any{"cidr": "10.0.1.0/24", "colour": "red"}, 400, "HTTPBadRequest", "Unrecognized attribute(s) 'colour'"},
	} {
		body := map[string]any{"network_id": net, "ip_version": 4}
		for k, v := range c.attrs {
			body[k] = v
		}
		res := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": body})
		if res.Status != c.status || neutronType(res) != c.typ || !strings.Contains(res.Raw, c.msg) {
			t.Errorf("%v: %d %s, want %d %s %q", c.attrs, res.Status, res.Raw, c.status, c.typ, c.msg)
		}
	}
	miss := e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": map[string]any{"cidr": "10.0.9.0/24", "ip_version": 4}}).Must(t, http.StatusBadRequest)
	if !strings.Contains(miss.Raw, "Required attribute 'network_id' not specified") {
		t.Errorf("missing network_id: %s", miss.Raw)
	}
	e.call("POST", "/v2.0/subnets", e.member, map[string]any{"subnet": map[string]any{"network_id": "nosuch", "ip_version": 4,
		"cidr": "10.0.9.0/24"}}).Must(t, http.StatusNotFound)
	st := e.subnet(e.admin, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.1.0/24", "service_types": []string{"network:router_gateway"}})
	if got := st["service_types"].([]any); len(got) != 1 || got[0] != "network:router_gateway" {
		t.Errorf("service types: %v", st)
	}
}

func TestSubnetPolicy(t *testing.T) {
	e := newTestEnv(t)
	mine := e.network(e.member, map[string]any{"name": "mine"})["id"].(string)
	theirs := e.network(e.other, map[string]any{"name": "theirs"})["id"].(string)
	shared := e.network(e.admin, map[string]any{"name": "shared", "shared": true})["id"].(string)
	public := e.network(e.admin, map[string]any{"name": "public", "router:external": true, "provider:network_type": "flat",
		"provider:physical_network": "public"})["id"].(string)
	create := func(token, net, cidr string, extra ...any) int {
		body := map[string]any{"network_id": net, "ip_version": 4, "cidr": cidr}
		for i := 0; i+1 < len(extra); i += 2 {
			body[extra[i].(string)] = extra[i+1]
		}
		return e.call("POST", "/v2.0/subnets", token, map[string]any{"subnet": body}).Status
	}
	if got := create(e.member, theirs, "10.0.0.0/24"); got != http.StatusNotFound {
		t.Errorf("subnet on another project's network: %d", got)
	}
	if got := create(e.member, shared, "10.0.0.0/24"); got != http.StatusForbidden {
		t.Errorf("member's subnet on a shared network: %d", got)
	}
	if got := create(e.member, public, "10.0.0.0/24"); got != http.StatusNotFound {
		t.Errorf("member's subnet on an external network: %d", got)
	}
	if got := create(e.member, mine, "10.0.0.0/24", "project_id", e.otherP); got != http.StatusBadRequest {
		t.Errorf("member's subnet for another project: %d", got)
	}
	sharedSub := e.subnet(e.admin, map[string]any{"network_id": shared, "ip_version": 4, "cidr": "10.1.0.0/24"})["id"].(string)
	pubSub := e.subnet(e.admin, map[string]any{"network_id": public, "ip_version": 4, "cidr": "192.168.100.0/24", "gateway_ip": "192.168.100.1"})["id"].(string)
	// whoever sees the network sees its subnets, but may not change them
	for _, id := range []string{sharedSub, pubSub} {
		e.call("GET", "/v2.0/subnets/"+id, e.other, nil).Must(t, http.StatusOK)
		e.call("PUT", "/v2.0/subnets/"+id, e.other, map[string]any{"subnet": map[string]any{"name": "x"}}).Must(t, http.StatusForbidden)
		e.call("DELETE", "/v2.0/subnets/"+id, e.other, nil).Must(t, http.StatusForbidden)
	}
	if got := e.call("GET", "/v2.0/subnets", e.other, nil).List("subnets"); len(got) != 2 {
		t.Errorf("another project lists %d subnets, want the shared and external ones", len(got))
	}
	// the admin adds a subnet to a project's network for that project; the owner manages it
	adminMade := e.subnet(e.admin, map[string]any{"network_id": mine, "ip_version": 4, "cidr": "10.2.0.0/24", "project_id": e.demo})
	e.call("PUT", "/v2.0/subnets/"+adminMade["id"].(string), e.member, map[string]any{"subnet": map[string]any{"name": "ok"}}).Must(t, http.StatusOK)
	if adm := e.call("GET", "/v2.0/subnets/"+adminMade["id"].(string), e.admin, nil).Obj("subnet"); adm["segment_id"] != nil {
		t.Errorf("admin view: %v", adm)
	} else if _, ok := adm["segment_id"]; !ok {
		t.Errorf("the admin does not see segment_id: %v", adm)
	}
}

func TestSubnetPagination(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "n"})["id"].(string)
	for i, name := range []string{"c", "a", "e", "b", "d"} {
		e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 4, "name": name, "cidr": "10.0." + string(rune('0'+i)) + ".0/24"})
	}
	var got []string
	marker := ""
	for range 5 {
		path := "/v2.0/subnets?limit=2&sort_key=name&sort_dir=desc"
		if marker != "" {
			path += "&marker=" + marker
		}
		res := e.call("GET", path, e.member, nil).Must(t, http.StatusOK)
		oracle(t, "GET", "/v2.0/subnets", res.Status, res.Raw)
		list := res.List("subnets")
		for _, s := range list {
			got = append(got, s["name"].(string))
			marker = s["id"].(string)
		}
		if len(list) < 2 {
			break
		}
	}
	if strings.Join(got, "") != "edcba" {
		t.Errorf("pages gave %v", got)
	}
}

func TestNetworkIPAvailability(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "n"})["id"].(string)
	sub := e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24"})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "fd00::/64"})
	for range 3 {
		e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net}}).Must(t, http.StatusCreated)
	}
	e.call("GET", "/v2.0/network-ip-availabilities/"+net, e.member, nil).Must(t, http.StatusForbidden)
	res := e.call("GET", "/v2.0/network-ip-availabilities/"+net, e.admin, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/network-ip-availabilities/"+net, res.Status, res.Raw)
	if !strings.Contains(res.Raw, `"total_ips":18446744073709551614`) {
		t.Errorf("v6 total should be 2^64-2 (the pool minus the gateway) as an integer: %s", res.Raw)
	}
	for _, s := range res.Obj("network_ip_availability")["subnet_ip_availability"].([]any) {
		m := s.(map[string]any)
		if m["subnet_id"] == sub && (m["total_ips"] != 253.0 || m["used_ips"] != 3.0) {
			t.Errorf("v4 subnet availability: %v", m)
		}
	}
	list := e.call("GET", "/v2.0/network-ip-availabilities?ip_version=4", e.admin, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/network-ip-availabilities", list.Status, list.Raw)
	if got := list.List("network_ip_availabilities"); len(got) != 1 || got[0]["used_ips"] != 3.0 || got[0]["total_ips"] != 253.0 {
		t.Errorf("v4 availability list: %v", got)
	}
	e.call("GET", "/v2.0/network-ip-availabilities/nosuch", e.admin, nil).Must(t, http.StatusNotFound)
}
