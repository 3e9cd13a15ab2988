package network

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/apitest"
)

// Fuzz targets of the router and floating IP handlers: whatever the body, the answer is never
// a 5xx, and a refused request writes nothing. Seeds use PUBLIC, PUBSUB, NET, SUBNET, ROUTER,
// PORT and FIP for the fixture's ids.

// l3Fixture is l3Setup plus a second tenant subnet not on the router and a floating IP.
type l3Fixture struct {
	e       *testEnv
	ids     l3Setup
	spare   string
	fip     string
	replace *strings.Replacer
}

func newL3Fixture(f *testing.F) *l3Fixture {
	e := newTestEnv(f)
	x := &l3Fixture{e: e, ids: e.l3Setup("10.0.0.0/24")}
	_, x.spare = e.netWithSubnet(e.member, "10.2.0.0/24")
	x.fip = e.fip(e.member, map[string]any{"floating_network_id": x.ids.public})["id"].(string)
	x.replace = strings.NewReplacer("PUBLIC", x.ids.public, "PUBSUB", x.ids.pubsub, "SPARE", x.spare, "SUBNET", x.ids.sub,
		"NET", x.ids.net, "ROUTER", x.ids.router, "PORT", x.ids.vmPort, "FIP", x.fip)
	return x
}

// state is what a refused request must leave unchanged.
func (x *l3Fixture) state(t *testing.T) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"net_router", "net_floatingip", "net_port", "net_network"} {
		var n, rev int64
		q := "SELECT COUNT(*), COALESCE(SUM(revision_number), 0) FROM " + table
		if err := x.e.svc.db.QueryRow(context.Background(), q).Scan(&n, &rev); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprint(n, ":", rev))
	}
	for _, q := range []string{"SELECT COUNT(*) FROM net_router_port", "SELECT COUNT(*) FROM net_ip_allocation", "SELECT COUNT(*) FROM net_tag"} {
		var n int64
		if err := x.e.svc.db.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "/")
}

// check sends one request as the member and holds the invariants; it returns the response
// body on success.
func (x *l3Fixture) check(t *testing.T, method, path, body string) map[string]any {
	return checkRequest(t, x.e, x.state, method, x.replace.Replace(path), x.replace.Replace(body))
}

// undo calls a request that restores the fixture, which must succeed.
func (x *l3Fixture) undo(t *testing.T, method, path string, body any) {
	apitest.Client{T: t, BaseURL: x.e.api.BaseURL}.Call(method, x.replace.Replace(path), x.e.admin, body).Must(t, http.StatusOK)
}

var routerUpdateSeeds = []string{
	`{"router": {"name": "x", "description": "y", "admin_state_up": false}}`,
	`{"router": {"external_gateway_info": {"network_id": "PUBLIC", "enable_snat": true}}}`,
	`{"router": {"external_gateway_info": {"network_id": "PUBLIC", "enable_snat": false}}}`,
	`{"router": {"external_gateway_info": {"network_id": "PUBLIC", "external_fixed_ips": [{"subnet_id": "PUBSUB"}]}}}`,
	`{"router": {"external_gateway_info": {"network_id": "NET"}}}`,
	`{"router": {"external_gateway_info": {}}}`,
	`{"router": {"external_gateway_info": null}}`,
	`{"router": {"routes": [{"destination": "172.16.0.0/16", "nexthop": "10.0.0.9"}]}}`,
	`{"router": {"routes": [{"destination": "172.16.0.0/16", "nexthop": "10.9.0.9"}]}}`,
	`{"router": {"routes": null}}`,
	`{"router": {"distributed": true, "ha": "true"}}`,
	`{"router": {"external_gateway_info": "PUBLIC"}}`,
	`{"router": {"external_gateway_info": {"network_id": 7, "enable_snat": "maybe"}}}`,
	`{"router": []}`, `{}`, `null`,
}

// FuzzRouterUpdate fuzzes PUT /v2.0/routers/{id}; a change that succeeds is put back.
func FuzzRouterUpdate(f *testing.F) {
	x := newL3Fixture(f)
	for _, s := range routerUpdateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if x.check(t, "PUT", "/v2.0/routers/ROUTER", body) != nil {
			x.undo(t, "PUT", "/v2.0/routers/ROUTER", map[string]any{"router": map[string]any{"admin_state_up": true, "routes": []any{},
				"external_gateway_info": map[string]any{"network_id": x.ids.public}}})
		}
	})
}

var routerInterfaceSeeds = []string{
	`{"subnet_id": "SPARE"}`, `{"subnet_id": "SUBNET"}`, `{"subnet_id": "PUBSUB"}`, `{"port_id": "PORT"}`,
	`{"subnet_id": "SPARE", "port_id": "PORT"}`, `{}`, `{"subnet_id": 5}`, `{"subnet_id": "nope"}`, `[]`, `null`,
}

// FuzzRouterInterface fuzzes add_router_interface; an interface that is added is removed.
func FuzzRouterInterface(f *testing.F) {
	x := newL3Fixture(f)
	for _, s := range routerInterfaceSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out := x.check(t, "PUT", "/v2.0/routers/ROUTER/add_router_interface", body)
		if out == nil {
			return
		}
		port, _ := out["port_id"].(string)
		x.undo(t, "PUT", "/v2.0/routers/ROUTER/remove_router_interface", map[string]any{"port_id": port})
	})
}

var floatingIPSeeds = []string{
	`{"floatingip": {"floating_network_id": "PUBLIC"}}`,
	`{"floatingip": {"floating_network_id": "PUBLIC", "port_id": "PORT"}}`,
	`{"floatingip": {"floating_network_id": "PUBLIC", "subnet_id": "PUBSUB", "description": "d", "tags": ["a"]}}`,
	`{"floatingip": {"floating_network_id": "PUBLIC", "port_id": "PORT", "fixed_ip_address": "10.0.0.77"}}`,
	`{"floatingip": {"floating_network_id": "NET"}}`,
	`{"floatingip": {"floating_network_id": "PUBLIC", "floating_ip_address": "192.168.100.9"}}`,
	`{"floatingip": {"floating_network_id": "PUBLIC", "subnet_id": "SUBNET"}}`,
	`{"floatingip": {"floating_network_id": ["PUBLIC"], "port_id": {}}}`,
	`{"floatingip": {}}`, `{"floatingip": null}`, `[]`,
}

// FuzzFloatingIPCreate fuzzes POST /v2.0/floatingips; what is created is deleted.
func FuzzFloatingIPCreate(f *testing.F) {
	x := newL3Fixture(f)
	for _, s := range floatingIPSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		out := x.check(t, "POST", "/v2.0/floatingips", body)
		if out == nil {
			return
		}
		fip, _ := out["floatingip"].(map[string]any)
		id, _ := fip["id"].(string)
		if id == "" {
			t.Fatalf("created without an id: %v", out)
		}
		apitest.Client{T: t, BaseURL: x.e.api.BaseURL}.Call("DELETE", "/v2.0/floatingips/"+id, x.e.member, nil).Must(t, http.StatusNoContent)
	})
}

var floatingIPUpdateSeeds = []string{
	`{"floatingip": {"port_id": "PORT"}}`,
	`{"floatingip": {"port_id": null}}`,
	`{"floatingip": {"port_id": "PORT", "fixed_ip_address": "10.0.0.200"}}`,
	`{"floatingip": {"description": "x"}}`,
	`{"floatingip": {"fixed_ip_address": "10.0.0.5"}}`,
	`{"floatingip": {"floating_network_id": "NET"}}`,
	`{"floatingip": {"port_id": 5}}`, `{"floatingip": []}`,
}

// FuzzFloatingIPUpdate fuzzes PUT /v2.0/floatingips/{id}; an association is undone.
func FuzzFloatingIPUpdate(f *testing.F) {
	x := newL3Fixture(f)
	for _, s := range floatingIPUpdateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if x.check(t, "PUT", "/v2.0/floatingips/FIP", body) != nil {
			x.undo(t, "PUT", "/v2.0/floatingips/FIP", map[string]any{"floatingip": map[string]any{"port_id": nil}})
		}
	})
}
