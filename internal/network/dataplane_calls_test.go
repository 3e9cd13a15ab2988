package network

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gostack/gostack/internal/network/dataplane"
)

// syncDriver records the DHCP, router and floating IP calls and reports floating IPs ACTIVE.
type syncDriver struct {
	dataplane.Noop
	mu    sync.Mutex
	calls []string
}

func (d *syncDriver) record(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf(format, args...))
}

func (d *syncDriver) SyncDHCP(_ context.Context, network string, subnets []dataplane.Subnet, ports []dataplane.Port) error {
	d.record("dhcp %d subnets %d ports", len(subnets), len(ports))
	return nil
}

func (d *syncDriver) UpdateDHCPPort(_ context.Context, p dataplane.Port, removed bool) error {
	d.record("dhcp port %s removed=%v", p.FixedIPs[0].IPAddress, removed)
	return nil
}

func (d *syncDriver) SyncRouter(_ context.Context, id string, r *dataplane.Router) error {
	if r == nil {
		d.record("router gone")
		return nil
	}
	gw := "none"
	if r.Gateway != nil {
		gw = r.Gateway.NetworkID
	}
	d.record("router gw=%s snat=%v interfaces=%d", gw[:min(len(gw), 4)], r.EnableSNAT, len(r.Interfaces))
	return nil
}

func (d *syncDriver) SyncFloatingIPs(_ context.Context, _ string, fips []dataplane.FloatingIP) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range fips {
		out[f.ID] = dataplane.FloatingIPActive
	}
	d.record("fips %d", len(fips))
	return out, nil
}

func (d *syncDriver) take() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := strings.Join(d.calls, "; ")
	d.calls = nil
	return out
}

func TestDataplaneSyncs(t *testing.T) {
	e := newTestEnv(t)
	d := &syncDriver{}
	e.svc.dataplane = d
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
	if got := d.take(); got != "dhcp 1 subnets 0 ports" {
		t.Errorf("subnet create: %s", got)
	}
	vm := e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{map[string]any{"ip_address": "10.0.0.5"}}})["id"].(string)
	if got := d.take(); got != "dhcp port 10.0.0.5 removed=false" {
		t.Errorf("port create: %s", got)
	}
	public, _ := e.publicNet()
	d.take()
	rt := e.router(e.member, map[string]any{"name": "r", "external_gateway_info": map[string]any{"network_id": public}})["id"].(string)
	want := fmt.Sprintf("router gw=%s snat=true interfaces=0; fips 0", public[:4])
	if got := d.take(); got != want {
		t.Errorf("router create: %s, want %s", got, want)
	}
	e.routerPut(e.member, rt, "add_router_interface", map[string]any{"subnet_id": sub})
	if got := d.take(); !strings.Contains(got, "interfaces=1") {
		t.Errorf("add interface: %s", got)
	}
	f := e.fip(e.member, map[string]any{"floating_network_id": public, "port_id": vm})
	if f["status"] != "ACTIVE" {
		t.Errorf("floating IP the data plane reports active: %v", f["status"])
	}
	if got := d.take(); got != "fips 1" {
		t.Errorf("floating IP create: %s", got)
	}
	e.call("DELETE", "/v2.0/ports/"+vm, e.member, nil).Must(t, http.StatusNoContent)
	if got := d.take(); got != "dhcp port 10.0.0.5 removed=true; fips 0" {
		t.Errorf("port delete: %s", got)
	}
	if g := e.call("GET", "/v2.0/floatingips/"+f["id"].(string), e.member, nil).Must(t, http.StatusOK).Obj("floatingip"); g["status"] != "DOWN" {
		t.Errorf("floating IP after its port went: %v", g["status"])
	}
	e.routerPut(e.member, rt, "remove_router_interface", map[string]any{"subnet_id": sub})
	e.call("PUT", "/v2.0/routers/"+rt, e.member, map[string]any{"router": map[string]any{"external_gateway_info": nil}}).Must(t, http.StatusOK)
	e.call("DELETE", "/v2.0/routers/"+rt, e.member, nil).Must(t, http.StatusNoContent)
	if got := d.take(); !strings.HasSuffix(got, "router gone") {
		t.Errorf("router delete: %s", got)
	}
	e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusNoContent)
	e.call("DELETE", "/v2.0/networks/"+net, e.member, nil).Must(t, http.StatusNoContent)
	if got := d.take(); got != "dhcp 0 subnets 0 ports; dhcp 0 subnets 0 ports" {
		t.Errorf("subnet and network delete: %s", got)
	}
}
