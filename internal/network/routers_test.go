package network

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

func init() {
	specDeviations = append(specDeviations,
		struct{ suffix, reason, why string }{"/external_gateway_info", "got null",
			"external_gateway_info is null for a router without a gateway (neutron/db/l3_db.py, _make_router_dict)"},
		struct{ suffix, reason, why string }{"/flavor_id", "got null",
			"flavor_id is null for a router without a flavor (neutron_lib/api/definitions/l3_flavors.py)"},
		struct{ suffix, reason, why string }{"/fixed_ip_address", "got null",
			"fixed_ip_address is null while a floating IP is not associated (neutron/db/l3_db.py, _make_floatingip_dict)"},
		struct{ suffix, reason, why string }{"/port_details", "got ",
			"port_details is an object, or null without a port (neutron_lib/api/definitions/fip_port_details.py)"},
	)
}

// router creates a router and returns it.
func (e *testEnv) router(token string, attrs map[string]any) map[string]any {
	e.t.Helper()
	return e.call("POST", "/v2.0/routers", token, map[string]any{"router": attrs}).Must(e.t, http.StatusCreated).Obj("router")
}

// publicNet makes the guides' external flat network with the subnet 192.168.100.0/24.
func (e *testEnv) publicNet() (network, subnet string) {
	e.t.Helper()
	network = e.network(e.admin, map[string]any{"name": "public", "router:external": true,
		"provider:network_type": "flat", "provider:physical_network": "public"})["id"].(string)
	subnet = e.subnet(e.admin, map[string]any{"network_id": network, "ip_version": 4, "cidr": "192.168.100.0/24",
		"gateway_ip": "192.168.100.1", "name": "pubsub"})["id"].(string)
	return network, subnet
}

// routerPut calls one of a router's member actions (add_router_interface …).
func (e *testEnv) routerPut(token, id, action string, body any) map[string]any {
	e.t.Helper()
	return e.call("PUT", "/v2.0/routers/"+id+"/"+action, token, body).Must(e.t, http.StatusOK).Obj()
}

func TestRouterLifecycle(t *testing.T) {
	e := newTestEnv(t)
	public, pubsub := e.publicNet()
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")

	res := e.call("POST", "/v2.0/routers", e.member, map[string]any{"router": map[string]any{"name": "r1", "admin_state_up": true}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2.0/routers", res.Status, res.Raw)
	rt := res.Obj("router")
	id := rt["id"].(string)
	for k, want := range map[string]any{"name": "r1", "status": "ACTIVE", "admin_state_up": true, "external_gateway_info": nil,
		"project_id": e.demo, "tenant_id": e.demo, "revision_number": 0.0, "flavor_id": nil} {
		if rt[k] != want {
			t.Errorf("%s = %v, want %v", k, rt[k], want)
		}
	}
	for _, hidden := range []string{"distributed", "ha"} {
		if _, ok := rt[hidden]; ok {
			t.Errorf("a member sees %s", hidden)
		}
	}
	if adm := e.call("GET", "/v2.0/routers/"+id, e.admin, nil).Must(t, http.StatusOK).Obj("router"); adm["distributed"] != false || adm["ha"] != false {
		t.Errorf("admin view: %v", adm)
	}
	e.call("GET", "/v2.0/routers/"+id, e.other, nil).Must(t, http.StatusNotFound)

	// the guide: router set --external-gateway public --enable-snat, as a member
	upd := e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{
		"external_gateway_info": map[string]any{"network_id": public, "enable_snat": true}}}).Must(t, http.StatusOK)
	oracle(t, "PUT", "/v2.0/routers/"+id, upd.Status, upd.Raw)
	gw := upd.Obj("router", "external_gateway_info")
	ips := gw["external_fixed_ips"].([]any)
	if gw["network_id"] != public || gw["enable_snat"] != true || len(ips) != 1 || ips[0].(map[string]any)["subnet_id"] != pubsub ||
		!strings.HasPrefix(ips[0].(map[string]any)["ip_address"].(string), "192.168.100.") {
		t.Fatalf("external_gateway_info %v", gw)
	}
	// SNAT off is the admin's call
	r := e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{
		"external_gateway_info": map[string]any{"network_id": public, "enable_snat": false}}}).Must(t, http.StatusForbidden)
	if !strings.Contains(r.Raw, "update_router:external_gateway_info:enable_snat") {
		t.Errorf("refusal %s", r.Raw)
	}
	adm := e.call("PUT", "/v2.0/routers/"+id, e.admin, map[string]any{"router": map[string]any{
		"external_gateway_info": map[string]any{"network_id": public, "enable_snat": false}}}).Must(t, http.StatusOK).Obj("router", "external_gateway_info")
	if adm["enable_snat"] != false || adm["external_fixed_ips"].([]any)[0].(map[string]any)["ip_address"] != ips[0].(map[string]any)["ip_address"] {
		t.Errorf("SNAT change moved the gateway: %v", adm)
	}
	// a gateway on a network that is not external
	r = e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{
		"external_gateway_info": map[string]any{"network_id": net}}}).Must(t, http.StatusBadRequest)
	if !strings.Contains(r.Raw, "is not an external network") {
		t.Errorf("gateway on a tenant network: %s", r.Raw)
	}
	e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{
		"external_gateway_info": map[string]any{"enable_snat": true}}}).Must(t, http.StatusBadRequest)

	// router add subnet
	info := e.routerPut(e.member, id, "add_router_interface", map[string]any{"subnet_id": sub})
	portID, _ := info["port_id"].(string)
	if info["id"] != id || info["subnet_id"] != sub || info["network_id"] != net || portID == "" || info["project_id"] != e.demo {
		t.Fatalf("interface info %v", info)
	}
	p := e.call("GET", "/v2.0/ports/"+portID, e.member, nil).Must(t, http.StatusOK).Obj("port")
	if p["device_owner"] != "network:router_interface" || p["device_id"] != id || fixedIPs(p)[0] != "10.0.0.1" {
		t.Errorf("interface port %v", p)
	}
	if list := e.call("GET", "/v2.0/ports?device_id="+id, e.admin, nil).Must(t, http.StatusOK).List("ports"); len(list) != 2 {
		t.Errorf("router ports: %d, want the gateway and the interface", len(list))
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"subnet_id": sub}, http.StatusBadRequest, "already has a port on subnet"},
		{map[string]any{}, http.StatusBadRequest, "Either subnet_id or port_id"},
		{map[string]any{"subnet_id": sub, "port_id": portID}, http.StatusBadRequest, "Cannot specify both"},
		{map[string]any{"subnet_id": "nope"}, http.StatusNotFound, "SubnetNotFound"},
		{map[string]any{"port_id": portID}, http.StatusConflict, "PortInUse"},
		{map[string]any{"subnet_id": sub, "color": "red"}, http.StatusBadRequest, "Unrecognized attribute"},
	} {
		r := e.call("PUT", "/v2.0/routers/"+id+"/add_router_interface", e.member, c.body).Must(t, c.status)
		if !strings.Contains(r.Raw, c.want) {
			t.Errorf("add %v: %s, want %q", c.body, r.Raw, c.want)
		}
	}
	// overlapping and gateway-less subnets
	_, overlap := e.netWithSubnet(e.member, "10.0.0.0/25")
	if r := e.call("PUT", "/v2.0/routers/"+id+"/add_router_interface", e.member, map[string]any{"subnet_id": overlap}).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, "overlaps with cidr 10.0.0.0/24") {
		t.Errorf("overlap: %s", r.Raw)
	}
	noGW := e.network(e.member, map[string]any{"name": "nogw"})["id"].(string)
	noGWSub := e.subnet(e.member, map[string]any{"network_id": noGW, "ip_version": 4, "cidr": "10.9.0.0/24", "gateway_ip": nil})["id"].(string)
	if r := e.call("PUT", "/v2.0/routers/"+id+"/add_router_interface", e.member, map[string]any{"subnet_id": noGWSub}).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, "does not have a gateway IP") {
		t.Errorf("no gateway: %s", r.Raw)
	}
	// the router's ports are not the port API's to delete; the router and subnet are in use
	if r := e.call("DELETE", "/v2.0/ports/"+portID, e.member, nil).Must(t, http.StatusConflict); neutronType(r) != "ServicePortInUse" {
		t.Errorf("delete interface port: %s", r.Raw)
	}
	if r := e.call("DELETE", "/v2.0/routers/"+id, e.member, nil).Must(t, http.StatusConflict); neutronType(r) != "RouterInUse" {
		t.Errorf("delete router with interfaces: %s", r.Raw)
	}
	if r := e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusConflict); neutronType(r) != "SubnetInUse" {
		t.Errorf("delete subnet behind a router: %s", r.Raw)
	}
	if r := e.call("DELETE", "/v2.0/networks/"+public, e.admin, nil).Must(t, http.StatusConflict); neutronType(r) != "NetworkInUse" {
		t.Errorf("delete external network with a gateway: %s", r.Raw)
	}

	// router add port
	net2, sub2 := e.netWithSubnet(e.member, "10.1.0.0/24")
	own := e.port(e.member, map[string]any{"network_id": net2, "fixed_ips": []any{map[string]any{"subnet_id": sub2, "ip_address": "10.1.0.254"}}})
	info = e.routerPut(e.member, id, "add_router_interface", map[string]any{"port_id": own["id"]})
	if info["port_id"] != own["id"] || info["subnet_id"] != sub2 {
		t.Errorf("add by port: %v", info)
	}
	if p := e.call("GET", "/v2.0/ports/"+own["id"].(string), e.member, nil).Must(t, http.StatusOK).Obj("port"); p["device_owner"] != "network:router_interface" || p["device_id"] != id {
		t.Errorf("port after add: %v", p)
	}

	// remove both; the port is gone either way
	e.routerPut(e.member, id, "remove_router_interface", map[string]any{"subnet_id": sub})
	e.routerPut(e.member, id, "remove_router_interface", map[string]any{"port_id": own["id"]})
	e.call("GET", "/v2.0/ports/"+portID, e.member, nil).Must(t, http.StatusNotFound)
	if r := e.call("PUT", "/v2.0/routers/"+id+"/remove_router_interface", e.member, map[string]any{"subnet_id": sub}).Must(t, http.StatusNotFound); neutronType(r) != "RouterInterfaceNotFoundForSubnet" {
		t.Errorf("remove twice: %s", r.Raw)
	}
	if r := e.call("PUT", "/v2.0/routers/"+id+"/remove_router_interface", e.member, map[string]any{"port_id": portID}).Must(t, http.StatusNotFound); neutronType(r) != "RouterInterfaceNotFound" {
		t.Errorf("remove a port that is not an interface: %s", r.Raw)
	}
	e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusNoContent)

	// router unset --external-gateway, then delete
	cleared := e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{"external_gateway_info": map[string]any{}}}).Must(t, http.StatusOK).Obj("router")
	if cleared["external_gateway_info"] != nil {
		t.Errorf("gateway after unset: %v", cleared["external_gateway_info"])
	}
	if list := e.call("GET", "/v2.0/ports?device_id="+id, e.admin, nil).Must(t, http.StatusOK).List("ports"); len(list) != 0 {
		t.Errorf("ports left after unset: %v", list)
	}
	e.call("DELETE", "/v2.0/routers/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("GET", "/v2.0/routers/"+id, e.member, nil).Must(t, http.StatusNotFound)
	e.call("DELETE", "/v2.0/networks/"+public, e.admin, nil).Must(t, http.StatusNoContent)
}

func TestRouterCreateWithGatewayAndList(t *testing.T) {
	e := newTestEnv(t)
	public, pubsub := e.publicNet()
	rt := e.router(e.admin, map[string]any{"name": "edge", "distributed": true, "ha": true, "external_gateway_info": map[string]any{
		"network_id": public, "external_fixed_ips": []any{map[string]any{"subnet_id": pubsub, "ip_address": "192.168.100.50"}}}})
	gw := rt["external_gateway_info"].(map[string]any)
	if gw["enable_snat"] != true || gw["external_fixed_ips"].([]any)[0].(map[string]any)["ip_address"] != "192.168.100.50" ||
		rt["distributed"] != true || rt["ha"] != true {
		t.Errorf("router %v", rt)
	}
	for _, c := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"distributed": true}, http.StatusForbidden},
		{map[string]any{"external_gateway_info": map[string]any{"network_id": public,
			"external_fixed_ips": []any{map[string]any{"ip_address": "192.168.100.60"}}}}, http.StatusForbidden},
		{map[string]any{"routes": []any{}}, http.StatusBadRequest},
		{map[string]any{"name": strings.Repeat("x", 256)}, http.StatusBadRequest},
		{map[string]any{"external_gateway_info": "public"}, http.StatusBadRequest},
		{map[string]any{"external_gateway_info": map[string]any{"network_id": public, "color": 1}}, http.StatusBadRequest},
		{map[string]any{"external_gateway_info": map[string]any{"network_id": "missing"}}, http.StatusNotFound},
		{map[string]any{"tenant_id": e.otherP}, http.StatusBadRequest},
	} {
		e.call("POST", "/v2.0/routers", e.member, map[string]any{"router": c.body}).Must(t, c.want)
	}
	// the address is taken now
	if r := e.call("POST", "/v2.0/routers", e.admin, map[string]any{"router": map[string]any{"external_gateway_info": map[string]any{"network_id": public,
		"external_fixed_ips": []any{map[string]any{"ip_address": "192.168.100.50"}}}}}).Must(t, http.StatusConflict); !strings.Contains(r.Raw, "192.168.100.50") {
		t.Errorf("taken gateway address: %s", r.Raw)
	}
	mine := e.router(e.member, map[string]any{"name": "mine"})
	list := e.call("GET", "/v2.0/routers", e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2.0/routers", list.Status, list.Raw)
	if got := list.List("routers"); len(got) != 1 || got[0]["id"] != mine["id"] {
		t.Errorf("member's routers %v", got)
	}
	all := e.call("GET", "/v2.0/routers?sort_key=name&sort_dir=asc", e.admin, nil).Must(t, http.StatusOK).List("routers")
	if len(all) != 2 || all[0]["name"] != "edge" {
		t.Errorf("admin's routers %v", all)
	}
	if got := e.call("GET", "/v2.0/routers?name=mine&fields=id", e.admin, nil).Must(t, http.StatusOK).List("routers"); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("filtered %v", got)
	}
	e.call("GET", "/v2.0/routers?colour=red", e.admin, nil).Must(t, http.StatusBadRequest)
	// distributed and ha change only while the router is down
	id := rt["id"].(string)
	if r := e.call("PUT", "/v2.0/routers/"+id, e.admin, map[string]any{"router": map[string]any{"distributed": false}}).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, "admin_state_up") {
		t.Errorf("distributed change while up: %s", r.Raw)
	}
	e.call("PUT", "/v2.0/routers/"+id, e.admin, map[string]any{"router": map[string]any{"admin_state_up": false}}).Must(t, http.StatusOK)
	if got := e.call("PUT", "/v2.0/routers/"+id, e.admin, map[string]any{"router": map[string]any{"distributed": false}}).Must(t, http.StatusOK).Obj("router"); got["distributed"] != false {
		t.Errorf("after change: %v", got)
	}
	// tags
	e.call("PUT", "/v2.0/routers/"+id+"/tags/blue", e.admin, nil).Must(t, http.StatusCreated)
	if got := e.call("GET", "/v2.0/routers?tags=blue", e.admin, nil).Must(t, http.StatusOK).List("routers"); len(got) != 1 || got[0]["id"] != id {
		t.Errorf("tagged %v", got)
	}
}

func TestRouterRoutes(t *testing.T) {
	e := newTestEnv(t)
	_, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	id := e.router(e.member, map[string]any{"name": "r"})["id"].(string)
	e.routerPut(e.member, id, "add_router_interface", map[string]any{"subnet_id": sub})
	set := func(routes []any) apitest.Response {
		return e.call("PUT", "/v2.0/routers/"+id, e.member, map[string]any{"router": map[string]any{"routes": routes}})
	}
	route := func(dst, hop string) map[string]any { return map[string]any{"destination": dst, "nexthop": hop} }
	got := set([]any{route("172.16.0.0/16", "10.0.0.9")}).Must(t, http.StatusOK).Obj("router")["routes"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["nexthop"] != "10.0.0.9" {
		t.Errorf("routes %v", got)
	}
	for _, c := range []struct {
		routes []any
		want   string
	}{
		{[]any{route("172.16.0.0/16", "10.5.0.9")}, "not connected with router"},
		{[]any{route("172.16.0.0/16", "10.0.0.1")}, "used by router"},
		{[]any{route("172.16.0.1/16", "10.0.0.9")}, "recommended"},
		{[]any{route("fd00::/64", "10.0.0.9")}, "different IP versions"},
		{[]any{map[string]any{"destination": "172.16.0.0/16"}}, "Expected keys"},
	} {
		if r := set(c.routes).Must(t, http.StatusBadRequest); !strings.Contains(r.Raw, c.want) {
			t.Errorf("routes %v: %s, want %q", c.routes, r.Raw, c.want)
		}
	}
	many := make([]any, 31)
	for i := range many {
		many[i] = route(netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16, byte(i), 0}), 24).String(), "10.0.0.9")
	}
	if r := set(many).Must(t, http.StatusBadRequest); neutronType(r) != "RoutesExhausted" {
		t.Errorf("31 routes: %s", r.Raw)
	}
	body := map[string]any{"router": map[string]any{"routes": []any{route("192.168.5.0/24", "10.0.0.7"), route("172.16.0.0/16", "10.0.0.9")}}}
	after := e.call("PUT", "/v2.0/routers/"+id+"/add_extraroutes", e.member, body).Must(t, http.StatusOK).Obj("router")["routes"].([]any)
	if len(after) != 2 {
		t.Errorf("after add_extraroutes: %v", after)
	}
	if r := e.call("PUT", "/v2.0/routers/"+id+"/remove_router_interface", e.member, map[string]any{"subnet_id": sub}).Must(t, http.StatusConflict); neutronType(r) != "RouterInterfaceInUseByRoute" {
		t.Errorf("remove interface behind routes: %s", r.Raw)
	}
	after = e.call("PUT", "/v2.0/routers/"+id+"/remove_extraroutes", e.member, body).Must(t, http.StatusOK).Obj("router")["routes"].([]any)
	if len(after) != 0 {
		t.Errorf("after remove_extraroutes: %v", after)
	}
	e.routerPut(e.member, id, "remove_router_interface", map[string]any{"subnet_id": sub})
}

func TestRouterQuota(t *testing.T) {
	e := newTestEnv(t)
	e.call("PUT", "/v2.0/quotas/"+e.demo, e.admin, map[string]any{"quota": map[string]any{"router": 1, "floatingip": 1}}).Must(t, http.StatusOK)
	e.router(e.member, map[string]any{"name": "one"})
	if r := e.call("POST", "/v2.0/routers", e.member, map[string]any{"router": map[string]any{"name": "two"}}).Must(t, http.StatusConflict); neutronType(r) != "OverQuota" {
		t.Errorf("second router: %s", r.Raw)
	}
	public, _ := e.publicNet()
	e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": map[string]any{"floating_network_id": public}}).Must(t, http.StatusCreated)
	e.call("POST", "/v2.0/floatingips", e.member, map[string]any{"floatingip": map[string]any{"floating_network_id": public}}).Must(t, http.StatusConflict)
	q := e.call("GET", "/v2.0/quotas/"+e.demo+"/details", e.member, nil).Must(t, http.StatusOK).Obj("quota")
	if q["router"].(map[string]any)["used"] != 1.0 || q["floatingip"].(map[string]any)["used"] != 1.0 {
		t.Errorf("usage %v", q)
	}
}

// TestRouterInterfacesRace adds overlapping subnets to one router at once: the router lock
// lets exactly one in, on every database.
func TestRouterInterfacesRace(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		id := e.router(e.member, map[string]any{"name": "r"})["id"].(string)
		var subs []string
		for i := range 6 {
			_, sub := e.netWithSubnet(e.member, "10.0.0.0/"+[]string{"24", "25", "26", "24", "27", "28"}[i])
			subs = append(subs, sub)
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(subs))
		for i, sub := range subs {
			wg.Go(func() {
				statuses[i] = e.call("PUT", "/v2.0/routers/"+id+"/add_router_interface", e.member, map[string]any{"subnet_id": sub}).Status
			})
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
			default:
				t.Errorf("status %d", s)
			}
		}
		if ports := e.call("GET", "/v2.0/ports?device_id="+id, e.admin, nil).Must(t, http.StatusOK).List("ports"); ok != 1 || len(ports) != 1 {
			t.Errorf("%d adds succeeded, router has %d ports; want 1 and 1", ok, len(ports))
		}
	})
}
