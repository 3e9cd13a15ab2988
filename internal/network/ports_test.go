package network

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/network/dataplane"
)

// port creates a port and returns it.
func (e *testEnv) port(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2.0/ports", token, map[string]any{"port": attrs}).Must(e.t, http.StatusCreated).Obj("port")
}

// netWithSubnet makes a network of the token's project with one IPv4 subnet.
func (e *testEnv) netWithSubnet(token, cidr string) (network, subnet string) {
	e.t.Helper()
	network = e.network(token, map[string]any{"name": "net-" + cidr})["id"].(string)
	subnet = e.subnet(token, map[string]any{"network_id": network, "ip_version": 4, "cidr": cidr})["id"].(string)
	return network, subnet
}

// fixedIPs returns a port's addresses.
func fixedIPs(p map[string]any) []string {
	var out []string
	for _, f := range p["fixed_ips"].([]any) {
		out = append(out, f.(map[string]any)["ip_address"].(string))
	}
	return out
}

func TestPortLifecycle(t *testing.T) {
	e := newTestEnv(t)
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net, "name": "p1",
		"admin_state_up": true, "device_id": "vm-1", "device_owner": "compute:nova"}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/ports", res.Status, res.Raw)
	p := res.Obj("port")
	id := p["id"].(string)
	if mac := p["mac_address"].(string); !strings.HasPrefix(mac, "fa:16:3e:") || len(mac) != 17 {
		t.Errorf("mac_address %q", mac)
	}
	ips := fixedIPs(p)
	if len(ips) != 1 || !strings.HasPrefix(ips[0], "10.0.0.") || ips[0] == "10.0.0.1" || ips[0] == "10.0.0.0" || ips[0] == "10.0.0.255" {
		t.Errorf("fixed_ips %v", p["fixed_ips"])
	}
	for k, want := range map[string]any{"status": "DOWN", "project_id": e.demo, "binding:vnic_type": "normal", "ip_allocation": "immediate",
		"port_security_enabled": true, "propagate_uplink_status": false, "qos_policy_id": nil, "revision_number": 0.0, "device_owner": "compute:nova"} {
		if p[k] != want {
			t.Errorf("%s = %v, want %v", k, p[k], want)
		}
	}
	for _, hidden := range bindingAttrs {
		if _, ok := p[hidden]; ok {
			t.Errorf("a member sees %s", hidden)
		}
	}
	if sgs := p["security_groups"].([]any); len(sgs) != 1 {
		t.Errorf("security_groups %v, want the project's default group", sgs)
	}
	adm := e.call("GET", "/v2.0/ports/"+id, e.admin, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/ports/"+id, adm.Status, adm.Raw)
	if a := adm.Obj("port"); a["binding:vif_type"] != "unbound" || a["binding:host_id"] != "" {
		t.Errorf("admin view: %v", a)
	}
	e.call("GET", "/v2.0/ports/"+id, e.other, nil).Must(t, http.StatusNotFound)
	for _, filter := range []string{"fixed_ips=ip_address%3D" + ips[0], "fixed_ips=subnet_id%3D" + sub, "fixed_ips=ip_address_substr%3D10.0.0",
		"device_id=vm-1", "device_owner=compute:nova", "mac_address=" + url.QueryEscape(p["mac_address"].(string)), "network_id=" + net,
		"status=DOWN", "name=p1", "security_groups=" + p["security_groups"].([]any)[0].(string),
		"fixed_ips=ip_address%3D" + ips[0] + "&fixed_ips=subnet_id%3D" + sub} {
		list := e.call("GET", "/v2.0/ports?"+filter, e.member, nil).Must(t, http.StatusOK)
		oracle(t, "GET", "/v2.0/ports", list.Status, list.Raw)
		if got := list.List("ports"); len(got) != 1 || got[0]["id"] != id {
			t.Errorf("filter %s: %v", filter, got)
		}
	}
	for _, filter := range []string{"fixed_ips=ip_address%3D10.0.0.254", "device_id=vm-2", "fixed_ips=ip_address_substr%3D10.9"} {
		if got := e.call("GET", "/v2.0/ports?"+filter, e.member, nil).Must(t, http.StatusOK).List("ports"); len(got) != 0 {
			t.Errorf("filter %s: %v", filter, got)
		}
	}
	e.call("GET", "/v2.0/ports?fixed_ips=colour%3Dred", e.member, nil).Must(t, http.StatusBadRequest)
	e.call("GET", "/v2.0/ports?binding:host_id=", e.member, nil).Must(t, http.StatusOK)
	if got := e.call("GET", "/v2.0/ports", e.other, nil).List("ports"); len(got) != 0 {
		t.Errorf("another project lists %v", got)
	}
	// update: name, and a new address on the same subnet (not the one it was given at random)
	moved := "10.0.0.77"
	if ips[0] == moved {
		moved = "10.0.0.78"
	}
	upd := e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"name": "renamed",
		"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": moved}}}}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/v2.0/ports/"+id, upd.Status, upd.Raw)
	if u := upd.Obj("port"); u["name"] != "renamed" || strings.Join(fixedIPs(u), ",") != moved || u["revision_number"] != 1.0 {
		t.Errorf("update: %v", u)
	}
	// the old address is free again, the new one taken
	e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{map[string]any{"ip_address": ips[0]}}})
	taken := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net,
		"fixed_ips": []any{map[string]any{"ip_address": moved}}}}).Must(t, http.StatusConflict)
	if neutronType(taken) != "IpAddressAlreadyAllocated" {
		t.Errorf("address in use: %s", taken.Raw)
	}
	// a subnet-only request keeps the port's address there
	same := e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub}}}}).Must(t, http.StatusOK).Obj("port")
	if strings.Join(fixedIPs(same), ",") != moved {
		t.Errorf("subnet-only update changed the address: %v", same["fixed_ips"])
	}
	e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"network_id": net}}).Must(t, http.StatusBadRequest)
	e.call("DELETE", "/v2.0/ports/"+id, e.other, nil).Must(t, http.StatusNotFound)
	e.call("DELETE", "/v2.0/ports/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("GET", "/v2.0/ports/"+id, e.member, nil).Must(t, http.StatusNotFound)
	// released on delete
	e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{map[string]any{"ip_address": moved}}})
}

// TestPortCLIGuide follows the guides: port create --network … --fixed-ip subnet=…,ip-address=…
// --mac-address …, and the debug lab's multicast MAC.
func TestPortCLIGuide(t *testing.T) {
	e := newTestEnv(t)
	net, sub := e.netWithSubnet(e.member, "192.168.1.0/24")
	p := e.port(e.member, map[string]any{"network_id": net, "name": "lab", "admin_state_up": true, "mac_address": "FA:16:3E:11:22:33",
		"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": "192.168.1.20"}}})
	if p["mac_address"] != "fa:16:3e:11:22:33" || strings.Join(fixedIPs(p), ",") != "192.168.1.20" {
		t.Errorf("port: %v", p)
	}
	dup := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net, "mac_address": "fa:16:3e:11:22:33"}}).Must(t, http.StatusConflict)
	if neutronType(dup) != "MacAddressInUse" || !strings.Contains(dup.Raw, "The mac address fa:16:3e:11:22:33 is in use") {
		t.Errorf("duplicate MAC: %s", dup.Raw)
	}
	// the same MAC on another network is fine
	net2, _ := e.netWithSubnet(e.member, "192.168.2.0/24")
	e.port(e.member, map[string]any{"network_id": net2, "mac_address": "fa:16:3e:11:22:33"})
	multi := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net, "mac_address": "11:22:33:44:55:66"}}).Must(t, http.StatusBadRequest)
	if !strings.Contains(multi.Raw, "multicast") || !strings.Contains(multi.Raw, "11:22:33:44:55:66") {
		t.Errorf("multicast MAC: %s", multi.Raw)
	}
	if got := e.call("GET", "/v2.0/ports?network_id="+net, e.member, nil).List("ports"); len(got) != 1 {
		t.Errorf("refused creates left ports behind: %v", got)
	}
}

func TestPortBadInput(t *testing.T) {
	e := newTestEnv(t)
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	v6net := e.network(e.member, map[string]any{"name": "v6"})["id"].(string)
	v6sub := e.subnet(e.member, map[string]any{"network_id": v6net, "ip_version": 6, "cidr": "fd00::/64"})["id"].(string)
	other, otherSub := e.netWithSubnet(e.member, "10.1.0.0/24")
	theirs := e.network(e.other, map[string]any{"name": "theirs"})["id"].(string)
	e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{map[string]any{"ip_address": "10.0.0.5"}}})
	for _, c := range []struct {
		attrs  map[string]any
		status int
		typ    string
		msg    string
	}{
		{map[string]any{"mac_address": "11:22:33:44:55:66"}, 400, "HTTPBadRequest", "multicast"},
		{map[string]any{"mac_address": "ff:ff:ff:ff:ff:ff"}, 400, "HTTPBadRequest", "multicast"},
		{map[string]any{"mac_address": "00:00:00:00:00:00"}, 400, "HTTPBadRequest", "not a valid MAC address"},
		{map[string]any{"mac_address": "fa:16:3e:zz:00:01"}, 400, "HTTPBadRequest", "not a valid MAC address"},
		{map[string]any{"mac_address": 42}, 400, "HTTPBadRequest", "not a valid MAC address"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": "10.0.1.5"}}}, 400, "InvalidIpForSubnet", "not a valid IP for the specified subnet"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.255"}}}, 400, "InvalidIpForSubnet", "10.0.0.255"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.0"}}}, 400, "InvalidIpForSubnet", "10.0.0.0"},
		{map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.9.0.5"}}}, 400, "InvalidIpForNetwork", "any of the subnets"},
		{map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.5"}}}, 409, "IpAddressAlreadyAllocated", "10.0.0.5 already allocated in subnet " + sub},
		{map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.300"}}}, 400, "HTTPBadRequest", "not a valid IP address"},
		{map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.6"}, map[string]any{"ip_address": "10.0.0.6"}}}, 400, "HTTPBadRequest", "Duplicate IP address"},
		{map[string]any{"fixed_ips": []any{map[string]any{}}}, 400, "InvalidInput", "IP allocation requires subnet_id or ip_address"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": otherSub}}}, 400, "InvalidInput", "fixed_ips included invalid subnet"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": "nosuch"}}}, 404, "SubnetNotFound", "nosuch"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub, "colour": "red"}}}, 400, "HTTPBadRequest", "Unrecognized attribute(s) 'colour'"},
		{map[string]any{"fixed_ips": "10.0.0.9"}, 400, "HTTPBadRequest", "Invalid data format"},
		{map[string]any{"fixed_ips": nil}, 400, "HTTPBadRequest", "Invalid data format for fixed IP"},
		{map[string]any{"fixed_ips": []any{map[string]any{"subnet_id": sub}, map[string]any{"subnet_id": sub}, map[string]any{"subnet_id": sub},
			map[string]any{"subnet_id": sub}, map[string]any{"subnet_id": sub}, map[string]any{"subnet_id": sub}}}, 400, "InvalidInput", "Exceeded maximum amount of fixed ips per port"},
		{map[string]any{"binding:host_id": "compute1"}, 403, "PolicyNotAuthorized", "create_port:binding:host_id"},
		{map[string]any{"binding:profile": map[string]any{"a": 1}}, 403, "PolicyNotAuthorized", "create_port:binding:profile"},
		{map[string]any{"binding:vnic_type": "warp"}, 400, "HTTPBadRequest", "binding:vnic_type"},
		{map[string]any{"allowed_address_pairs": []any{map[string]any{"mac_address": "fa:16:3e:00:00:01"}}}, 400, "AllowedAddressPairsMissingIP", "must contain ip_address"},
		{map[string]any{"allowed_address_pairs": []any{map[string]any{"ip_address": "10.0.0.50"}, map[string]any{"ip_address": "10.0.0.50"}}}, 400, "DuplicateAddressPairInRequest", "duplicate address pair"},
		{map[string]any{"allowed_address_pairs": []any{map[string]any{"ip_address": "10.0.0.50"}}, "port_security_enabled": false}, 409, "AddressPairAndPortSecurityRequired", "Port Security must be enabled"},
		{map[string]any{"security_groups": []string{"nosuch"}, "port_security_enabled": false}, 400, "PortSecurityAndIPRequiredForSecurityGroups", "Port security must be enabled"},
		{map[string]any{"security_groups": []string{"nosuch"}}, 404, "SecurityGroupNotFound", "nosuch"},
		{map[string]any{"extra_dhcp_opts": []any{map[string]any{"opt_name": "bootfile-name"}}}, 400, "HTTPBadRequest", "Expected keys"},
		{map[string]any{"qos_policy_id": "q"}, 400, "HTTPBadRequest", "qos_policy_id"},
		{map[string]any{"status": "ACTIVE"}, 400, "HTTPBadRequest", "Attribute 'status' not allowed in POST"},
		{map[string]any{"colour": "red"}, 400, "HTTPBadRequest", "Unrecognized attribute(s) 'colour'"},
		{map[string]any{"name": strings.Repeat("x", 256)}, 400, "InvalidInput", "exceeds maximum length"},
	} {
		body := map[string]any{"network_id": net}
		for k, v := range c.attrs {
			body[k] = v
		}
		res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": body})
		if res.Status != c.status || neutronType(res) != c.typ || !strings.Contains(res.Raw, c.msg) {
			t.Errorf("%v: %d %s, want %d %s %q", c.attrs, res.Status, res.Raw, c.status, c.typ, c.msg)
		}
	}
	v4on6 := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": v6net,
		"fixed_ips": []any{map[string]any{"subnet_id": v6sub, "ip_address": "10.0.0.9"}}}}).Must(t, http.StatusBadRequest)
	if neutronType(v4on6) != "InvalidIpForSubnet" {
		t.Errorf("IPv4 address on an IPv6 subnet: %s", v4on6.Raw)
	}
	nf := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": theirs}}).Must(t, http.StatusNotFound)
	if neutronType(nf) != "NetworkNotFound" {
		t.Errorf("another project's network: %s", nf.Raw)
	}
	e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"name": "x"}}).Must(t, http.StatusBadRequest)
	e.call("POST", "/v2.0/ports", e.member, `{"port": [1]}`).Must(t, http.StatusBadRequest)
	e.call("POST", "/v2.0/ports", e.member, `{"port": {"network_id": `).Must(t, http.StatusBadRequest)
	// nothing of the refused creates was written
	for _, n := range []string{net, other, v6net} {
		want := map[string]int{net: 1}[n]
		if got := e.call("GET", "/v2.0/ports?network_id="+n, e.member, nil).List("ports"); len(got) != want {
			t.Errorf("network %s has %d ports, want %d", n, len(got), want)
		}
	}
	var n int
	if err := e.svc.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM net_ip_allocation").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d addresses allocated (%v), want 1", n, err)
	}
}

func TestPortInUse(t *testing.T) {
	e := newTestEnv(t)
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	p := e.port(e.member, map[string]any{"network_id": net, "device_owner": "compute:nova"})["id"].(string)
	res := e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusConflict)
	if neutronType(res) != "SubnetInUse" || !strings.Contains(res.Raw, "One or more ports have an IP allocation from this subnet") {
		t.Errorf("subnet in use: %s", res.Raw)
	}
	res = e.call("DELETE", "/v2.0/networks/"+net, e.member, nil).Must(t, http.StatusConflict)
	if neutronType(res) != "NetworkInUse" {
		t.Errorf("network in use: %s", res.Raw)
	}
	e.call("DELETE", "/v2.0/ports/"+p, e.member, nil).Must(t, http.StatusNoContent)
	// a DHCP port does not keep the subnet
	e.port(e.admin, map[string]any{"network_id": net, "device_owner": "network:dhcp", "project_id": e.demo})
	e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusNoContent)
	e.call("DELETE", "/v2.0/networks/"+net, e.member, nil).Must(t, http.StatusNoContent)
}

func TestPortPolicy(t *testing.T) {
	e := newTestEnv(t)
	shared := e.network(e.admin, map[string]any{"name": "shared", "shared": true})["id"].(string)
	sub := e.subnet(e.admin, map[string]any{"network_id": shared, "ip_version": 4, "cidr": "10.5.0.0/24"})["id"].(string)
	// any project may put ports on a shared network, from a subnet, but not pick addresses
	p := e.port(e.other, map[string]any{"network_id": shared, "fixed_ips": []any{map[string]any{"subnet_id": sub}}})
	e.call("POST", "/v2.0/ports", e.other, map[string]any{"port": map[string]any{"network_id": shared,
		"fixed_ips": []any{map[string]any{"ip_address": "10.5.0.9"}}}}).Must(t, http.StatusForbidden)
	e.call("POST", "/v2.0/ports", e.other, map[string]any{"port": map[string]any{"network_id": shared, "device_owner": "network:dhcp"}}).Must(t, http.StatusForbidden)
	e.call("POST", "/v2.0/ports", e.other, map[string]any{"port": map[string]any{"network_id": shared, "mac_address": "fa:16:3e:00:00:09"}}).Must(t, http.StatusForbidden)
	// the port's project manages it; others do not see it
	e.call("PUT", "/v2.0/ports/"+p["id"].(string), e.other, map[string]any{"port": map[string]any{"name": "mine"}}).Must(t, http.StatusOK)
	e.call("GET", "/v2.0/ports/"+p["id"].(string), e.member, nil).Must(t, http.StatusNotFound)
	// the network's owner (here the admin's project) sees ports on its network
	if got := e.call("GET", "/v2.0/ports?network_id="+shared, e.admin, nil).List("ports"); len(got) != 1 {
		t.Errorf("admin lists %v", got)
	}
	// a network owner sees the ports others put on it
	mine := e.network(e.member, map[string]any{"name": "mine"})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": mine, "ip_version": 4, "cidr": "10.6.0.0/24"})
	theirs := e.port(e.admin, map[string]any{"network_id": mine, "project_id": e.otherP})
	e.call("GET", "/v2.0/ports/"+theirs["id"].(string), e.member, nil).Must(t, http.StatusOK)
	if got := e.call("GET", "/v2.0/ports", e.member, nil).List("ports"); len(got) != 1 {
		t.Errorf("the network owner lists %d ports, want 1", len(got))
	}
	// admins bind ports; members see no binding details
	bound := e.call("PUT", "/v2.0/ports/"+theirs["id"].(string), e.admin, map[string]any{"port": map[string]any{"binding:host_id": "compute1"}}).Must(t, http.StatusOK).Obj("port")
	if bound["binding:host_id"] != "compute1" || bound["binding:vif_type"] != "unbound" || bound["status"] != "DOWN" {
		t.Errorf("bound with the noop data plane: %v", bound)
	}
	e.call("PUT", "/v2.0/ports/"+theirs["id"].(string), e.member, map[string]any{"port": map[string]any{"binding:host_id": "x"}}).Must(t, http.StatusForbidden)
	e.call("PUT", "/v2.0/ports/"+theirs["id"].(string), e.member, map[string]any{"port": map[string]any{"mac_address": "fa:16:3e:00:00:08"}}).Must(t, http.StatusForbidden)
}

// recordingDriver is a data plane that binds every port as a bridge and records the calls.
type recordingDriver struct {
	dataplane.Noop
	calls []string
}

func (d *recordingDriver) Bind(_ context.Context, p dataplane.Port) (dataplane.Binding, error) {
	d.calls = append(d.calls, "bind "+p.HostID+" "+p.FixedIPs[0].IPAddress)
	return dataplane.Binding{VIFType: "bridge", VIFDetails: map[string]any{"port_filter": true}}, nil
}

func (d *recordingDriver) Unbind(_ context.Context, p dataplane.Port) error {
	d.calls = append(d.calls, "unbind "+p.HostID)
	return nil
}

func TestPortBinding(t *testing.T) {
	e := newTestEnv(t)
	d := &recordingDriver{}
	e.svc.dataplane = d
	net, _ := e.netWithSubnet(e.member, "10.0.0.0/24")
	res := e.call("POST", "/v2.0/ports", e.admin, map[string]any{"port": map[string]any{"network_id": net, "project_id": e.demo,
		"binding:host_id": "compute1", "device_owner": "compute:nova"}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/ports", res.Status, res.Raw)
	p := res.Obj("port")
	if p["binding:vif_type"] != "bridge" || p["status"] != "ACTIVE" || p["binding:vif_details"].(map[string]any)["port_filter"] != true {
		t.Errorf("bound port: %v", p)
	}
	id := p["id"].(string)
	if got := e.call("GET", "/v2.0/ports?binding:host_id=compute1", e.admin, nil).List("ports"); len(got) != 1 || got[0]["status"] != "ACTIVE" {
		t.Errorf("by host: %v", got)
	}
	// a bound port keeps its MAC
	mac := e.call("PUT", "/v2.0/ports/"+id, e.admin, map[string]any{"port": map[string]any{"mac_address": "fa:16:3e:00:00:07"}}).Must(t, http.StatusConflict)
	if neutronType(mac) != "PortBound" {
		t.Errorf("MAC change of a bound port: %s", mac.Raw)
	}
	un := e.call("PUT", "/v2.0/ports/"+id, e.admin, map[string]any{"port": map[string]any{"binding:host_id": ""}}).Must(t, http.StatusOK).Obj("port")
	if un["binding:vif_type"] != "unbound" || un["status"] != "DOWN" {
		t.Errorf("unbound port: %v", un)
	}
	regen := e.call("PUT", "/v2.0/ports/"+id, e.admin, map[string]any{"port": map[string]any{"mac_address": nil}}).Must(t, http.StatusOK).Obj("port")
	if regen["mac_address"] == p["mac_address"] || !strings.HasPrefix(regen["mac_address"].(string), "fa:16:3e:") {
		t.Errorf("regenerated MAC: %v -> %v", p["mac_address"], regen["mac_address"])
	}
	if strings.Join(d.calls, "; ") != "bind compute1 "+fixedIPs(p)[0]+"; unbind compute1" {
		t.Errorf("data plane calls: %v", d.calls)
	}
}

func TestPortSLAAC(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "dual"})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24"})
	v6 := e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "2001:db8::/64",
		"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"})["id"].(string)
	p := e.port(e.member, map[string]any{"network_id": net, "mac_address": "fa:16:3e:12:34:56"})
	if got := strings.Join(fixedIPs(p), ","); !strings.HasPrefix(got, "10.0.0.") || !strings.HasSuffix(got, ",2001:db8::f816:3eff:fe12:3456") {
		t.Errorf("dual-stack port addresses: %s", got)
	}
	bad := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net,
		"fixed_ips": []any{map[string]any{"subnet_id": v6, "ip_address": "2001:db8::5"}}}}).Must(t, http.StatusBadRequest)
	if neutronType(bad) != "AllocationOnAutoAddressSubnet" {
		t.Errorf("address on a SLAAC subnet: %s", bad.Raw)
	}
	// a SLAAC subnet added later gives existing ports their address; the MAC moves it
	v6b := e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "2001:db8:1::/64", "ipv6_address_mode": "dhcpv6-stateless"})
	got := e.call("GET", "/v2.0/ports/"+p["id"].(string), e.member, nil).Obj("port")
	if ips := fixedIPs(got); len(ips) != 3 || !strings.Contains(strings.Join(ips, ","), "2001:db8:1:0:f816:3eff:fe12:3456") {
		t.Errorf("after a second SLAAC subnet: %v", ips)
	}
	moved := e.call("PUT", "/v2.0/ports/"+p["id"].(string), e.admin, map[string]any{"port": map[string]any{"mac_address": "fa:16:3e:65:43:21"}}).Must(t, http.StatusOK).Obj("port")
	if ips := strings.Join(fixedIPs(moved), ","); !strings.Contains(ips, "2001:db8::f816:3eff:fe65:4321") || strings.Contains(ips, "fe12:3456") {
		t.Errorf("after the MAC changed: %s", ips)
	}
	// deleting a SLAAC subnet takes the addresses of ordinary ports with it
	e.call("DELETE", "/v2.0/subnets/"+v6b["id"].(string), e.member, nil).Must(t, http.StatusNoContent)
	if ips := fixedIPs(e.call("GET", "/v2.0/ports/"+p["id"].(string), e.member, nil).Obj("port")); len(ips) != 2 {
		t.Errorf("after the SLAAC subnet went: %v", ips)
	}
}

func TestPortAttributes(t *testing.T) {
	e := newTestEnv(t)
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net,
		"fixed_ips":             []any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.10"}},
		"allowed_address_pairs": []any{map[string]any{"ip_address": "10.0.0.200"}, map[string]any{"ip_address": "10.0.5.0/24", "mac_address": "fa:16:3e:aa:bb:cc"}},
		"extra_dhcp_opts":       []any{map[string]any{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"}},
		"binding:vnic_type":     "direct", "propagate_uplink_status": true, "tags": []string{"t1"}}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/ports", res.Status, res.Raw)
	p := res.Obj("port")
	pairs := p["allowed_address_pairs"].([]any)
	if len(pairs) != 2 || pairs[0].(map[string]any)["mac_address"] != p["mac_address"] || pairs[1].(map[string]any)["mac_address"] != "fa:16:3e:aa:bb:cc" {
		t.Errorf("address pairs: %v", pairs)
	}
	if opts := p["extra_dhcp_opts"].([]any); len(opts) != 1 || opts[0].(map[string]any)["ip_version"] != 4.0 {
		t.Errorf("dhcp options: %v", opts)
	}
	if p["binding:vnic_type"] != "direct" || p["propagate_uplink_status"] != true || p["tags"].([]any)[0] != "t1" {
		t.Errorf("port: %v", p)
	}
	id := p["id"].(string)
	upd := e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{
		"extra_dhcp_opts": []any{map[string]any{"opt_name": "bootfile-name", "opt_value": nil}, map[string]any{"opt_name": "tftp-server", "opt_value": "10.0.0.2"}},
		"admin_state_up":  false}}).Must(t, http.StatusOK).Obj("port")
	if opts := upd["extra_dhcp_opts"].([]any); len(opts) != 1 || opts[0].(map[string]any)["opt_name"] != "tftp-server" || upd["admin_state_up"] != false {
		t.Errorf("update: %v", upd)
	}
	// port security off needs the groups and pairs gone in the same request
	res = e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"port_security_enabled": false}}).Must(t, http.StatusConflict)
	if neutronType(res) != "AddressPairAndPortSecurityRequired" {
		t.Errorf("port security off with pairs: %s", res.Raw)
	}
	res = e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"port_security_enabled": false, "allowed_address_pairs": []any{}}}).Must(t, http.StatusConflict)
	if neutronType(res) != "PortSecurityPortHasSecurityGroup" {
		t.Errorf("port security off with groups: %s", res.Raw)
	}
	off := e.call("PUT", "/v2.0/ports/"+id, e.member, map[string]any{"port": map[string]any{"port_security_enabled": false,
		"allowed_address_pairs": []any{}, "security_groups": []any{}}}).Must(t, http.StatusOK).Obj("port")
	if off["port_security_enabled"] != false || len(off["security_groups"].([]any)) != 0 {
		t.Errorf("port security off: %v", off)
	}
	// a port without addresses
	none := e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{}})
	if none["ip_allocation"] != "none" || len(none["fixed_ips"].([]any)) != 0 || len(none["security_groups"].([]any)) != 0 {
		t.Errorf("port without addresses: %v", none)
	}
	// a network without port security gives ports without it
	open := e.network(e.member, map[string]any{"name": "open", "port_security_enabled": false})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": open, "ip_version": 4, "cidr": "10.7.0.0/24"})
	if q := e.port(e.member, map[string]any{"network_id": open}); q["port_security_enabled"] != false || len(q["security_groups"].([]any)) != 0 {
		t.Errorf("port on a network without port security: %v", q)
	}
}

func TestPortServiceTypes(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.admin, map[string]any{"name": "ext"})["id"].(string)
	e.subnet(e.admin, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24", "service_types": []string{"network:router_gateway"}})
	plain := e.subnet(e.admin, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.1.0/24"})["id"].(string)
	if p := e.port(e.admin, map[string]any{"network_id": net, "device_owner": "network:router_gateway"}); !strings.HasPrefix(fixedIPs(p)[0], "10.0.0.") {
		t.Errorf("gateway port from %v", fixedIPs(p))
	}
	if p := e.port(e.admin, map[string]any{"network_id": net, "device_owner": "compute:nova"}); p["fixed_ips"].([]any)[0].(map[string]any)["subnet_id"] != plain {
		t.Errorf("compute port from %v", p["fixed_ips"])
	}
}

// TestPortDocMatchesView keeps the list rendering (a struct, for speed) and the map rendering
// (show, create, update, fields=) the same document.
func TestPortDocMatchesView(t *testing.T) {
	p := Port{Standard: Standard{ID: "id", ProjectID: "p", Name: "n", Tags: []string{"t"}}, NetworkID: "net", MAC: "fa:16:3e:00:00:01",
		Status: "DOWN", VNICType: "normal", VIFType: "ovs", HostID: "h", VIFDetails: map[string]any{"port_filter": true},
		FixedIPs:     []FixedIP{{SubnetID: "s", IP: netip.MustParseAddr("10.0.0.5")}, {SubnetID: "s6", IP: netip.MustParseAddr("fd00::5")}},
		AddressPairs: []AddressPair{{IPAddress: "10.0.0.9", MACAddress: "fa:16:3e:00:00:01"}}, IPAllocation: "immediate"}
	for _, hidden := range [][]string{nil, bindingAttrs} {
		view, _ := json.Marshal(portView(p, hidden))
		doc, _ := json.Marshal(portDocOf(p, hidden))
		var a, b map[string]any
		_ = json.Unmarshal(view, &a)
		_ = json.Unmarshal(doc, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("hidden %v:\nview %s\ndoc  %s", hidden, view, doc)
		}
	}
}
