package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
)

// TestNetworkCLI runs the guides' network commands that the control plane serves so far
// (networks, subnets, ports, security groups, agents, quotas) with the real openstack CLI.
// The stores run on every database in the network package's own tests; this runs on SQLite.
func TestNetworkCLI(t *testing.T) {
	t.Parallel()
	c := startCloud(t, db.SQLite)

	var pub map[string]any
	openstackJSON(t, c.env, &pub, "network", "create", "--provider-network-type", "flat",
		"--provider-physical-network", "public", "--external", "public")
	hasKeys(t, "network create", pub, "id", "mtu", "provider:network_type", "provider:physical_network", "router:external", "status", "subnets")
	if pub["provider:network_type"] != "flat" || pub["router:external"] != true || pub["status"] != "ACTIVE" {
		t.Errorf("network create public: %v", pub)
	}
	var sub map[string]any
	openstackJSON(t, c.env, &sub, "subnet", "create", "--subnet-range", "192.168.100.0/24", "--gateway", "192.168.100.1",
		"--dhcp", "--network", "public", "pubsub")
	if sub["cidr"] != "192.168.100.0/24" || sub["gateway_ip"] != "192.168.100.1" || sub["enable_dhcp"] != true {
		t.Errorf("subnet create pubsub: %v", sub)
	}

	var tenant map[string]any
	openstackJSON(t, c.env, &tenant, "network", "create", "testNetwork2")
	if tenant["provider:network_type"] != "vxlan" || tenant["mtu"] != 1450.0 {
		t.Errorf("tenant network: %v", tenant)
	}
	c.openstack(t, "subnet", "create", "--network", "testNetwork2", "--subnet-range", "192.168.20.0/24", "testSubnet2")

	var port map[string]any
	openstackJSON(t, c.env, &port, "port", "create", "--network", "testNetwork2",
		"--fixed-ip", "subnet=testSubnet2,ip-address=192.168.20.50", "--mac-address", "fa:16:3e:11:22:33", "p1")
	if port["mac_address"] != "fa:16:3e:11:22:33" || !strings.Contains(toJSON(port["fixed_ips"]), "192.168.20.50") {
		t.Errorf("port create: %v", port)
	}
	// The guides' debug lab uses 11:22:33:44:55:66, a multicast address: refused, saying so.
	if out := openstackFails(t, c.env, "port", "create", "--network", "testNetwork2", "--mac-address", "11:22:33:44:55:66", "p2"); !strings.Contains(out, "multicast") {
		t.Errorf("multicast MAC: %s", out)
	}
	if out := openstackFails(t, c.env, "port", "create", "--network", "testNetwork2",
		"--fixed-ip", "subnet=testSubnet2,ip-address=192.168.20.50", "p3"); !strings.Contains(out, "409") {
		t.Errorf("address in use: %s", out)
	}
	if out := openstackFails(t, c.env, "subnet", "create", "--network", "testNetwork2", "--subnet-range", "10.0.0.0/33", "bad"); !strings.Contains(strings.ToLower(out), "invalid") {
		t.Errorf("bad CIDR: %s", out)
	}
	if out := openstackFails(t, c.env, "network", "delete", "testNetwork2"); !strings.Contains(out, "in use") {
		t.Errorf("network delete with a port: %s", out)
	}

	for _, rule := range [][]string{{"--protocol", "icmp"}, {"--protocol", "tcp", "--dst-port", "22"}} {
		var r map[string]any
		openstackJSON(t, c.env, &r, append(append([]string{"security", "group", "rule", "create"}, rule...), "default")...)
		if r["direction"] != "ingress" || r["protocol"] != rule[1] {
			t.Errorf("security group rule create %v: %v", rule, r)
		}
	}
	rules := c.openstack(t, "security", "group", "rule", "list", "default")
	if strings.Count(rules, "| ") < 6*4 {
		t.Errorf("default group rules:\n%s", rules)
	}

	agents := c.openstack(t, "network", "agent", "list")
	if !strings.Contains(agents, "No-op agent") || !strings.Contains(agents, ":-)") {
		t.Errorf("network agent list:\n%s", agents)
	}
	// `openstack quota show/set` (python-openstackclient 6.0) also asks compute and block
	// storage, which this cloud does not run yet; the quota API is tested in the package.

	for _, list := range [][]string{{"network", "list"}, {"subnet", "list"}, {"port", "list"}, {"security", "group", "list"}} {
		if out := c.openstack(t, list...); !strings.Contains(out, "ID") {
			t.Errorf("%v:\n%s", list, out)
		}
	}
	routerCLI(t, c)

	c.openstack(t, "port", "delete", "p1")
	c.openstack(t, "subnet", "delete", "testSubnet2")
	c.openstack(t, "network", "delete", "testNetwork2")
	if out := c.openstack(t, "network", "list"); strings.Contains(out, "testNetwork2") {
		t.Errorf("network list after delete:\n%s", out)
	}
}

// routerCLI runs the guides' router and floating IP commands: a router with a gateway to
// public and an interface on testSubnet2, a floating IP mapped to port p1 and back, and the
// clear refusals on the way.
func routerCLI(t *testing.T, c *cloud) {
	var rt map[string]any
	openstackJSON(t, c.env, &rt, "router", "create", "testRouter2")
	if rt["status"] != "ACTIVE" || rt["admin_state_up"] != true || rt["external_gateway_info"] != nil {
		t.Errorf("router create: %v", rt)
	}
	c.openstack(t, "router", "set", "--external-gateway", "public", "--enable-snat", "testRouter2")
	c.openstack(t, "router", "add", "subnet", "testRouter2", "testSubnet2")
	openstackJSON(t, c.env, &rt, "router", "show", "testRouter2")
	gw := toJSON(rt["external_gateway_info"])
	if !strings.Contains(gw, `"enable_snat":true`) || !strings.Contains(gw, "192.168.100.") || !strings.Contains(toJSON(rt["interfaces_info"]), "192.168.20.1") {
		t.Errorf("router show: %v", rt)
	}
	if out := openstackFails(t, c.env, "router", "add", "subnet", "testRouter2", "testSubnet2"); !strings.Contains(out, "already has a port") {
		t.Errorf("router add subnet twice: %s", out)
	}

	var fip map[string]any
	openstackJSON(t, c.env, &fip, "floating", "ip", "create", "public")
	addr, _ := fip["floating_ip_address"].(string)
	if !strings.HasPrefix(addr, "192.168.100.") || fip["status"] != "DOWN" || fip["port_id"] != nil {
		t.Fatalf("floating ip create public: %v", fip)
	}
	c.openstack(t, "floating", "ip", "set", "--port", "p1", addr)
	openstackJSON(t, c.env, &fip, "floating", "ip", "show", addr)
	if fip["fixed_ip_address"] != "192.168.20.50" || fip["router_id"] != rt["id"] {
		t.Errorf("floating ip after set --port: %v", fip)
	}
	if out := c.openstack(t, "floating", "ip", "list"); !strings.Contains(out, addr) || !strings.Contains(out, "192.168.20.50") {
		t.Errorf("floating ip list:\n%s", out)
	}
	if out := openstackFails(t, c.env, "router", "remove", "subnet", "testRouter2", "testSubnet2"); !strings.Contains(out, "required by one or more floating IPs") {
		t.Errorf("router remove subnet under a floating IP: %s", out)
	}
	if out := openstackFails(t, c.env, "router", "unset", "--external-gateway", "testRouter2"); !strings.Contains(out, "required by one or more floating IPs") {
		t.Errorf("router unset --external-gateway under a floating IP: %s", out)
	}
	c.openstack(t, "floating", "ip", "unset", "--port", addr)
	openstackJSON(t, c.env, &fip, "floating", "ip", "show", addr)
	if fip["port_id"] != nil || fip["fixed_ip_address"] != nil {
		t.Errorf("floating ip after unset --port: %v", fip)
	}
	// a tenant network without a router has no path to public
	c.openstack(t, "network", "create", "isolated")
	c.openstack(t, "subnet", "create", "--network", "isolated", "--subnet-range", "192.168.30.0/24", "isolatedSubnet")
	c.openstack(t, "port", "create", "--network", "isolated", "p4")
	if out := openstackFails(t, c.env, "floating", "ip", "set", "--port", "p4", addr); !strings.Contains(out, "is not reachable") {
		t.Errorf("floating ip set --port without a router path: %s", out)
	}
	c.openstack(t, "floating", "ip", "delete", addr)
	c.openstack(t, "port", "delete", "p4")
	c.openstack(t, "subnet", "delete", "isolatedSubnet")
	c.openstack(t, "network", "delete", "isolated")

	if out := c.openstack(t, "router", "list"); !strings.Contains(out, "testRouter2") {
		t.Errorf("router list:\n%s", out)
	}
	c.openstack(t, "router", "remove", "subnet", "testRouter2", "testSubnet2")
	c.openstack(t, "router", "unset", "--external-gateway", "testRouter2")
	openstackJSON(t, c.env, &rt, "router", "show", "testRouter2")
	if rt["external_gateway_info"] != nil {
		t.Errorf("router after unset --external-gateway: %v", rt)
	}
	c.openstack(t, "router", "delete", "testRouter2")
}

// toJSON renders a decoded value back as JSON text, for substring checks.
func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
