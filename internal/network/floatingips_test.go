package network

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// l3Setup is the guides' tenant network behind a router with a gateway to public, and a
// VM-like port on it.
type l3Setup struct {
	public, pubsub, net, sub, router, vmPort string
}

func (e *testEnv) l3Setup(cidr string) l3Setup {
	e.t.Helper()
	var s l3Setup
	s.public, s.pubsub = e.publicNet()
	s.net, s.sub = e.netWithSubnet(e.member, cidr)
	s.router = e.router(e.member, map[string]any{"name": "r", "external_gateway_info": map[string]any{"network_id": s.public}})["id"].(string)
	e.routerPut(e.member, s.router, "add_router_interface", map[string]any{"subnet_id": s.sub})
	s.vmPort = e.port(e.member, map[string]any{"network_id": s.net, "device_id": "vm-1", "device_owner": "compute:nova"})["id"].(string)
	return s
}

// fip creates a floating IP and returns it.
func (e *testEnv) fip(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2.0/floatingips", token, map[string]any{"floatingip": attrs}).Must(e.t, http.StatusCreated).Obj("floatingip")
}

func TestFloatingIPLifecycle(t *testing.T) {
	e := newTestEnv(t)
	s := e.l3Setup("10.0.0.0/24")

	// floating ip create public
	res := e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": map[string]any{"floating_network_id": s.public}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/floatingips", res.Status, res.Raw)
	f := res.Obj("floatingip")
	id := f["id"].(string)
	addr := f["floating_ip_address"].(string)
	for k, want := range map[string]any{"status": "DOWN", "port_id": nil, "router_id": nil, "fixed_ip_address": nil, "port_details": nil,
		"project_id": e.demo, "floating_network_id": s.public, "revision_number": 0.0} {
		if f[k] != want {
			t.Errorf("%s = %v, want %v", k, f[k], want)
		}
	}
	if !strings.HasPrefix(addr, "192.168.100.") || addr == "192.168.100.1" {
		t.Errorf("floating_ip_address %s", addr)
	}
	holder := e.call("GET", "/v2.0/ports?device_id="+id, e.admin, nil).Must(t, http.StatusOK).List("ports")
	if len(holder) != 1 || holder[0]["device_owner"] != "network:floatingip" || fixedIPs(holder[0])[0] != addr {
		t.Fatalf("the floating IP's port: %v", holder)
	}
	if r := e.call("DELETE", "/v2.0/ports/"+holder[0]["id"].(string), e.admin, nil).Must(t, http.StatusConflict); neutronType(r) != "ServicePortInUse" {
		t.Errorf("delete the floating IP's port: %s", r.Raw)
	}

	// floating ip set --port
	upd := e.call("PUT", "/v2.0/floatingips/"+id, e.member, map[string]any{"floatingip": map[string]any{"port_id": s.vmPort}}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/v2.0/floatingips/"+id, upd.Status, upd.Raw)
	f = upd.Obj("floatingip")
	vm := e.call("GET", "/v2.0/ports/"+s.vmPort, e.member, nil).Must(t, http.StatusOK).Obj("port")
	details, _ := f["port_details"].(map[string]any)
	if f["port_id"] != s.vmPort || f["router_id"] != s.router || f["fixed_ip_address"] != fixedIPs(vm)[0] || f["status"] != "DOWN" ||
		details["device_id"] != "vm-1" || details["network_id"] != s.net || details["mac_address"] != vm["mac_address"] {
		t.Errorf("associated: %v", f)
	}
	show := e.call("GET", "/v2.0/floatingips/"+id, e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/floatingips/"+id, show.Status, show.Raw)
	e.call("GET", "/v2.0/floatingips/"+id, e.other, nil).Must(t, http.StatusNotFound)
	for _, filter := range []string{"port_id=" + s.vmPort, "router_id=" + s.router, "floating_ip_address=" + addr, "fixed_ip_address=" + fixedIPs(vm)[0],
		"floating_network_id=" + s.public, "status=DOWN"} {
		list := e.call("GET", "/v2.0/floatingips?"+filter, e.member, nil).Must(t, http.StatusOK)
		oracle(t, "GET", "/v2.0/floatingips", list.Status, list.Raw)
		if got := list.List("floatingips"); len(got) != 1 || got[0]["id"] != id {
			t.Errorf("filter %s: %v", filter, got)
		}
	}
	if got := e.call("GET", "/v2.0/floatingips", e.other, nil).Must(t, http.StatusOK).List("floatingips"); len(got) != 0 {
		t.Errorf("another project sees %v", got)
	}

	// what the floating IP holds in place
	if r := e.call("PUT", "/v2.0/routers/"+s.router+"/remove_router_interface", e.member, map[string]any{"subnet_id": s.sub}).Must(t, http.StatusConflict); neutronType(r) != "RouterInterfaceInUseByFloatingIP" {
		t.Errorf("remove interface: %s", r.Raw)
	}
	if r := e.call("PUT", "/v2.0/routers/"+s.router, e.member, map[string]any{"router": map[string]any{"external_gateway_info": nil}}).Must(t, http.StatusConflict); neutronType(r) != "RouterExternalGatewayInUseByFloatingIp" {
		t.Errorf("clear gateway: %s", r.Raw)
	}
	// a second floating IP for the same fixed address
	if r := e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": map[string]any{"floating_network_id": s.public, "port_id": s.vmPort}}).Must(t, http.StatusConflict); neutronType(r) != "FloatingIPPortAlreadyAssociated" {
		t.Errorf("second floating IP: %s", r.Raw)
	}

	if r := e.call("PUT", "/v2.0/networks/"+s.public, e.admin, map[string]any{"network": map[string]any{"router:external": false}}).Must(t, http.StatusConflict); neutronType(r) != "ExternalNetworkInUse" {
		t.Errorf("make public internal: %s", r.Raw)
	}

	// floating ip unset --port
	f = e.call("PUT", "/v2.0/floatingips/"+id, e.member, map[string]any{"floatingip": map[string]any{"port_id": nil}}).Must(t, http.StatusOK).Obj("floatingip")
	if f["port_id"] != nil || f["router_id"] != nil || f["fixed_ip_address"] != nil || f["port_details"] != nil {
		t.Errorf("disassociated: %v", f)
	}
	// associate at create, then the port goes: the floating IP stays, unassociated
	g := e.fip(e.member, map[string]any{"floating_network_id": s.public, "port_id": s.vmPort, "description": "web"})
	if g["router_id"] != s.router || g["description"] != "web" {
		t.Errorf("created associated: %v", g)
	}
	e.call("DELETE", "/v2.0/ports/"+s.vmPort, e.member, nil).Must(t, http.StatusNoContent)
	if g = e.call("GET", "/v2.0/floatingips/"+g["id"].(string), e.member, nil).Must(t, http.StatusOK).Obj("floatingip"); g["port_id"] != nil || g["router_id"] != nil {
		t.Errorf("after its port was deleted: %v", g)
	}
	// deleting releases the address
	e.call("DELETE", "/v2.0/floatingips/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("DELETE", "/v2.0/floatingips/"+id, e.member, nil).Must(t, http.StatusNotFound)
	if got := e.call("GET", "/v2.0/ports?fixed_ips=ip_address%3D"+addr, e.admin, nil).Must(t, http.StatusOK).List("ports"); len(got) != 0 {
		t.Errorf("address still held: %v", got)
	}
	e.fip(e.admin, map[string]any{"floating_network_id": s.public, "floating_ip_address": addr})
}

func TestFloatingIPBadInput(t *testing.T) {
	e := newTestEnv(t)
	s := e.l3Setup("10.0.0.0/24")
	// a network without a router to public, and a port there
	lonelyNet, lonelySub := e.netWithSubnet(e.member, "10.7.0.0/24")
	lonely := e.port(e.member, map[string]any{"network_id": lonelyNet})["id"].(string)
	twoIPs := e.port(e.member, map[string]any{"network_id": s.net, "fixed_ips": []any{map[string]any{"subnet_id": s.sub}, map[string]any{"subnet_id": s.sub}}})["id"].(string)
	noIP := e.port(e.member, map[string]any{"network_id": s.net, "fixed_ips": []any{}})["id"].(string)
	theirs := e.port(e.admin, map[string]any{"network_id": s.net, "project_id": e.otherP})["id"].(string)
	for _, c := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{}, http.StatusBadRequest, "floating_network_id"},
		{map[string]any{"floating_network_id": s.net}, http.StatusBadRequest, "not a valid external network"},
		{map[string]any{"floating_network_id": "missing"}, http.StatusNotFound, "NetworkNotFound"},
		{map[string]any{"floating_network_id": s.public, "floating_ip_address": "192.168.100.77"}, http.StatusForbidden, "create_floatingip:floating_ip_address"},
		{map[string]any{"floating_network_id": s.public, "subnet_id": s.sub}, http.StatusBadRequest, "is not on network"},
		{map[string]any{"floating_network_id": s.public, "port_id": lonely}, http.StatusNotFound, "is not reachable from subnet " + lonelySub},
		{map[string]any{"floating_network_id": s.public, "port_id": twoIPs}, http.StatusBadRequest, "multiple fixed IPv4 addresses"},
		{map[string]any{"floating_network_id": s.public, "port_id": noIP}, http.StatusBadRequest, "no fixed IPv4 addresses"},
		{map[string]any{"floating_network_id": s.public, "port_id": s.vmPort, "fixed_ip_address": "10.0.0.250"}, http.StatusBadRequest, "does not have fixed ip"},
		{map[string]any{"floating_network_id": s.public, "fixed_ip_address": "10.0.0.250"}, http.StatusBadRequest, "without a port_id"},
		{map[string]any{"floating_network_id": s.public, "port_id": "missing"}, http.StatusNotFound, "PortNotFound"},
		{map[string]any{"floating_network_id": s.public, "status": "ACTIVE"}, http.StatusBadRequest, "not allowed in POST"},
		{map[string]any{"floating_network_id": s.public, "dns_name": "x"}, http.StatusBadRequest, "Unrecognized attribute"},
		{map[string]any{"floating_network_id": s.public, "floating_ip_address": "nope"}, http.StatusBadRequest, "not a valid IP address"},
	} {
		r := e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": c.body}).Must(t, c.status)
		if !strings.Contains(r.Raw, c.want) {
			t.Errorf("create %v: %s, want %q", c.body, r.Raw, c.want)
		}
	}
	// an admin may give the address, one of the network's
	if r := e.call("POST", "/v2.0/floatingips", e.admin, map[string]any{"floatingip": map[string]any{"floating_network_id": s.public,
		"floating_ip_address": "10.0.0.5"}}).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, "InvalidIpForNetwork") {
		t.Errorf("address off the network: %s", r.Raw)
	}
	f := e.fip(e.member, map[string]any{"floating_network_id": s.public})
	// the network's owner sees another project's port on it, but may not map it
	if r := e.call("PUT", "/v2.0/floatingips/"+f["id"].(string), e.member, map[string]any{"floatingip": map[string]any{"port_id": theirs}}).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, "different tenant") {
		t.Errorf("another project's port: %s", r.Raw)
	}
	for _, body := range []map[string]any{
		{"floating_network_id": s.public},
		{"fixed_ip_address": "10.0.0.9"},
		{"port_id": 7},
	} {
		e.call("PUT", "/v2.0/floatingips/"+f["id"].(string), e.member, map[string]any{"floatingip": body}).Must(t, http.StatusBadRequest)
	}
	// a full external network
	small := e.network(e.admin, map[string]any{"name": "small", "router:external": true})["id"].(string)
	e.subnet(e.admin, map[string]any{"network_id": small, "ip_version": 4, "cidr": "192.168.200.0/30"})
	e.fip(e.member, map[string]any{"floating_network_id": small})
	if r := e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": map[string]any{"floating_network_id": small}}).Must(t, http.StatusConflict); neutronType(r) != "IpAddressGenerationFailure" {
		t.Errorf("full network: %s", r.Raw)
	}
}

// TestFloatingIPAssociateRace maps many floating IPs to one fixed address at once: exactly
// one wins, on every database.
func TestFloatingIPAssociateRace(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		s := e.l3Setup("10.0.0.0/24")
		var ids []string
		for range 6 {
			ids = append(ids, e.fip(e.member, map[string]any{"floating_network_id": s.public})["id"].(string))
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(ids))
		for i, id := range ids {
			wg.Go(func() {
				statuses[i] = e.call("PUT", "/v2.0/floatingips/"+id, e.member, map[string]any{"floatingip": map[string]any{"port_id": s.vmPort}}).Status
			})
		}
		wg.Wait()
		ok := 0
		for _, st := range statuses {
			switch st {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
			default:
				t.Errorf("status %d", st)
			}
		}
		if got := e.call("GET", "/v2.0/floatingips?port_id="+s.vmPort, e.member, nil).Must(t, http.StatusOK).List("floatingips"); ok != 1 || len(got) != 1 {
			t.Errorf("%d associations succeeded, %d floating IPs on the port; want 1 and 1", ok, len(got))
		}
	})
}
