package network

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

func TestSubnetPlan(t *testing.T) {
	for _, c := range []struct {
		cidr, gw string
		pools    string
	}{
		{"10.0.0.0/24", "10.0.0.1", "[10.0.0.2-10.0.0.254]"},
		{"10.0.0.0/24", "10.0.0.100", "[10.0.0.1-10.0.0.99 10.0.0.101-10.0.0.254]"},
		{"10.0.0.0/24", "10.0.0.254", "[10.0.0.1-10.0.0.253]"},
		{"10.0.0.0/24", "", "[10.0.0.1-10.0.0.254]"},
		{"10.0.0.0/30", "10.0.0.1", "[10.0.0.2-10.0.0.2]"},
		{"10.0.0.0/31", "", "[10.0.0.0-10.0.0.1]"},
		{"10.0.0.0/16", "10.0.0.1", "[10.0.0.2-10.0.255.254]"},
		{"fd00::/64", "fd00::1", "[fd00::2-fd00::ffff:ffff:ffff:ffff]"},
		{"fd00::/120", "", "[fd00::1-fd00::ff]"},
	} {
		p := netip.MustParsePrefix(c.cidr)
		var gw netip.Addr
		if c.gw != "" {
			gw = netip.MustParseAddr(c.gw)
		}
		if got := fmt.Sprint(defaultPools(p, gw)); got != c.pools {
			t.Errorf("%s gw %s: pools %s, want %s", c.cidr, c.gw, got, c.pools)
		}
		if err := validatePools(defaultPools(p, gw), p, gw); err != nil {
			t.Errorf("%s: default pools refused: %v", c.cidr, err)
		}
	}
	if gw, ok := defaultGateway(netip.MustParsePrefix("10.0.0.0/24")); !ok || gw.String() != "10.0.0.1" {
		t.Errorf("default gateway %v %v", gw, ok)
	}
	if _, ok := defaultGateway(netip.MustParsePrefix("10.0.0.0/31")); ok {
		t.Error("a /31 has a default gateway")
	}
	if got := lastAddr(netip.MustParsePrefix("fd00::/8")).String(); got != "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" {
		t.Errorf("last address of fd00::/8: %s", got)
	}
	if got := lastAddr(netip.MustParsePrefix("10.1.0.0/16")).String(); got != "10.1.255.255" {
		t.Errorf("last address of 10.1.0.0/16: %s", got)
	}
	mac, _ := parseMAC("fa:16:3e:12:34:56")
	if got := eui64(netip.MustParsePrefix("2001:db8::/64"), mac).String(); got != "2001:db8::f816:3eff:fe12:3456" {
		t.Errorf("EUI-64: %s", got)
	}
	for _, s := range []string{"10.0.0.01", "10.0.0", "1.2.3.4.5", "fe80::1%eth0", "", " 10.0.0.1", "10.0.0.1/24"} {
		if _, err := parseIP(s); err == nil {
			t.Errorf("parseIP(%q) accepted", s)
		}
	}
	if p, err := parseCIDR("10.0.0.77/24"); err != nil || p.String() != "10.0.0.0/24" {
		t.Errorf("parseCIDR normalises host bits: %v %v", p, err)
	}
	if p, err := parseCIDR("FD00:0:0:0::/64"); err != nil || p.String() != "fd00::/64" {
		t.Errorf("parseCIDR normalises IPv6: %v %v", p, err)
	}
}

func TestMAC(t *testing.T) {
	for in, want := range map[string]string{"FA:16:3E:00:00:01": "fa:16:3e:00:00:01", "fa-16-3e-aa-bb-cc": "fa:16:3e:aa:bb:cc"} {
		if m, err := parseMAC(in); err != nil || m.String() != want {
			t.Errorf("parseMAC(%q) = %v, %v", in, m, err)
		}
	}
	for _, in := range []string{"11:22:33:44:55:66", "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "fa:16:3e:00:00",
		"fa:16:3e:00:00:001", "fa:16:3e:00:00:0g", "fa16.3e00.0001", ""} {
		if _, err := parseMAC(in); err == nil {
			t.Errorf("parseMAC(%q) accepted", in)
		}
	}
	// 1,000 draws from 2^24 collide about 3% of the time (the birthday bound), so a repeat
	// or two is chance; many would mean the tail is not random.
	seen := map[macAddr]bool{}
	for range 1000 {
		m := randomMAC([3]byte{0xfa, 0x16, 0x3e})
		if m[0] != 0xfa || m[1] != 0x16 || m[2] != 0x3e {
			t.Fatalf("random MAC %s lost the base_mac prefix", m)
		}
		seen[m] = true
	}
	if len(seen) < 995 {
		t.Errorf("1000 random MACs gave only %d distinct ones", len(seen))
	}
}

func TestProbeUniform(t *testing.T) {
	pools := []ipRange{{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")},
		{netip.MustParseAddr("10.0.0.10"), netip.MustParseAddr("10.0.0.11")}}
	total := u128{lo: 4}
	counts := map[string]int{}
	for range 4000 {
		for _, a := range probe(pools, total, 1) {
			counts[a.String()]++
		}
	}
	if len(counts) != 4 {
		t.Fatalf("probes hit %v", counts)
	}
	for a, n := range counts {
		if n < 800 || n > 1200 {
			t.Errorf("%s probed %d times of 4000", a, n)
		}
	}
	big := []ipRange{{netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fd00::ffff:ffff:ffff:ffff")}}
	for _, a := range probe(big, big[0].size(), 8) {
		if !big[0].contains(a) {
			t.Errorf("probe %s outside %s", a, big[0])
		}
	}
}

// TestIPAMConcurrency creates 200 ports at once on a /24, then fills it: every address is
// handed out once, exactly the 253 of the pool, and the next create is Neutron's 409
// IpAddressGenerationFailure — on SQLite, MariaDB and PostgreSQL.
func TestIPAMConcurrency(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		// A bounded pool, as a deployment has (oslo.db's max_pool_size and max_overflow): the
		// platform's server pools are unbounded, and 200 requests at once would otherwise open
		// more connections than MariaDB's max_connections allows.
		if d.Dialect() != db.SQLite {
			d.SQL().SetMaxOpenConns(40)
		}
		e := newTestEnvOn(t, d)
		e.svc.api.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		// the project's default security group is made by its first port
		warm, _ := e.netWithSubnet(e.member, "10.99.0.0/24")
		e.port(e.member, map[string]any{"network_id": warm})
		net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
		create := func(n int) (ok []string, full int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net}})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case res.Status == http.StatusCreated:
						ok = append(ok, fixedIPs(res.Obj("port"))...)
					case res.Status == http.StatusConflict && neutronType(res) == "IpAddressGenerationFailure":
						full++
					default:
						t.Errorf("port create: %d %s", res.Status, res.Raw)
					}
				}()
			}
			wg.Wait()
			return ok, full
		}
		start := time.Now()
		first, full := create(200)
		t.Logf("%s: 200 parallel port creates in %v", d.Dialect(), time.Since(start))
		if len(first) != 200 || full != 0 {
			t.Fatalf("%d of 200 ports made, %d full", len(first), full)
		}
		rest, full := create(60)
		if len(rest) != 53 || full != 7 {
			t.Errorf("filling the subnet: %d more ports, %d refused; want 53 and 7", len(rest), full)
		}
		seen := map[string]bool{}
		for _, ip := range append(first, rest...) {
			a := netip.MustParseAddr(ip)
			if seen[ip] || !netip.MustParsePrefix("10.0.0.0/24").Contains(a) || ip == "10.0.0.0" || ip == "10.0.0.1" || ip == "10.0.0.255" {
				t.Errorf("address %s handed out wrongly (seen before: %v)", ip, seen[ip])
			}
			seen[ip] = true
		}
		res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net}}).Must(t, http.StatusConflict)
		if neutronType(res) != "IpAddressGenerationFailure" || !strings.Contains(res.Raw, "No more IP addresses available on network "+net+".") {
			t.Errorf("full subnet: %s", res.Raw)
		}
		var rows int
		if err := d.QueryRow(context.Background(), "SELECT COUNT(*) FROM net_ip_allocation WHERE subnet_id = ?", sub).Scan(&rows); err != nil || rows != 253 {
			t.Errorf("%d allocation rows (%v), want 253", rows, err)
		}
		// a released address is handed out again
		victim := e.call("GET", "/v2.0/ports?fixed_ips=ip_address%3D10.0.0.77", e.member, nil).List("ports")
		if len(victim) != 1 {
			t.Fatalf("port with 10.0.0.77: %v", victim)
		}
		e.call("DELETE", "/v2.0/ports/"+victim[0]["id"].(string), e.member, nil).Must(t, http.StatusNoContent)
		if got := fixedIPs(e.port(e.member, map[string]any{"network_id": net})); len(got) != 1 || got[0] != "10.0.0.77" {
			t.Errorf("after a release: %v", got)
		}
	})
}

// TestIPAMLargeSubnet allocates on a /16 and a /64: probing finds free addresses without
// reading the subnet's allocations, however large it is.
func TestIPAMLargeSubnet(t *testing.T) {
	e := newTestEnv(t)
	net, _ := e.netWithSubnet(e.member, "10.0.0.0/16")
	e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "fd00::/64"})
	start := time.Now()
	seen := map[string]bool{}
	for range 100 {
		for _, ip := range fixedIPs(e.port(e.member, map[string]any{"network_id": net})) {
			if seen[ip] {
				t.Errorf("%s handed out twice", ip)
			}
			seen[ip] = true
		}
	}
	t.Logf("100 dual-stack ports on a /16 and a /64 in %v", time.Since(start))
	if len(seen) != 200 {
		t.Errorf("%d addresses for 100 dual-stack ports", len(seen))
	}
}

// TestIPAMDensePool fills a small pool inside a large subnet, where probing misses and the
// allocations are read instead.
func TestIPAMDensePool(t *testing.T) {
	e := newTestEnv(t)
	net := e.network(e.member, map[string]any{"name": "dense"})["id"].(string)
	e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/16",
		"allocation_pools": []any{map[string]any{"start": "10.0.3.1", "end": "10.0.3.5"}, map[string]any{"start": "10.0.9.9", "end": "10.0.9.9"}}})
	got := map[string]bool{}
	for range 6 {
		for _, ip := range fixedIPs(e.port(e.member, map[string]any{"network_id": net})) {
			got[ip] = true
		}
	}
	if len(got) != 6 || !got["10.0.9.9"] || !got["10.0.3.1"] || !got["10.0.3.5"] {
		t.Errorf("pool addresses handed out: %v", got)
	}
	res := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net}}).Must(t, http.StatusConflict)
	if neutronType(res) != "IpAddressGenerationFailure" {
		t.Errorf("full pool: %s", res.Raw)
	}
	// addresses outside the pools may still be asked for
	e.port(e.member, map[string]any{"network_id": net, "fixed_ips": []any{map[string]any{"ip_address": "10.0.200.1"}}})
}

// TestUnlessDuplicate shows, on every engine, that a transaction goes on after a statement
// that hit a unique key (PostgreSQL would abort it without the savepoint).
func TestUnlessDuplicate(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
		ctx := context.Background()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			x := ipamTx{ctx: ctx, tx: tx, networkID: net, portID: "p1"}
			for i, want := range []bool{true, false, true} {
				ok, err := x.insert(sub, netip.MustParseAddr([]string{"10.0.0.5", "10.0.0.5", "10.0.0.6"}[i]))
				if err != nil || ok != want {
					t.Errorf("insert %d: %v %v, want %v", i, ok, err, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM net_ip_allocation WHERE port_id = 'p1'").Scan(&n); err != nil || n != 2 {
			t.Errorf("%d rows (%v), want 2", n, err)
		}
	})
}

// TestPortsOnEngines runs the port API's SQL on MariaDB and PostgreSQL too: filters (LIKE with
// an escape character, subqueries), pagination, in-use checks, availability counts.
func TestPortsOnEngines(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		net, sub := e.netWithSubnet(e.member, "10.0.0.0/24")
		e.subnet(e.member, map[string]any{"network_id": net, "ip_version": 6, "cidr": "fd00::/64", "ipv6_address_mode": "slaac", "ipv6_ra_mode": "slaac"})
		var ids []string
		for i := range 5 {
			p := e.port(e.member, map[string]any{"network_id": net, "name": fmt.Sprint("p", i),
				"fixed_ips": []any{map[string]any{"subnet_id": sub, "ip_address": fmt.Sprint("10.0.0.", 10+i)}}})
			ids = append(ids, p["id"].(string))
		}
		dup := e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net,
			"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.12"}}}}).Must(t, http.StatusConflict)
		if neutronType(dup) != "IpAddressAlreadyAllocated" {
			t.Errorf("address in use: %s", dup.Raw)
		}
		first := e.call("GET", "/v2.0/ports/"+ids[0], e.member, nil).Obj("port")
		e.call("POST", "/v2.0/ports", e.member, map[string]any{"port": map[string]any{"network_id": net, "mac_address": first["mac_address"]}}).Must(t, http.StatusConflict)
		e.call("PUT", "/v2.0/ports/"+ids[1], e.admin, map[string]any{"port": map[string]any{"mac_address": first["mac_address"]}}).Must(t, http.StatusConflict)
		e.call("PUT", "/v2.0/ports/"+ids[1], e.member, map[string]any{"port": map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.10"}}}}).Must(t, http.StatusConflict)
		moved := e.call("PUT", "/v2.0/ports/"+ids[1], e.member, map[string]any{"port": map[string]any{"fixed_ips": []any{map[string]any{"ip_address": "10.0.0.50"}}}}).Must(t, http.StatusOK).Obj("port")
		if got := strings.Join(fixedIPs(moved), ","); !strings.HasPrefix(got, "10.0.0.50,fd00::") {
			t.Errorf("moved port: %s", got)
		}
		for filter, want := range map[string]int{
			"fixed_ips=ip_address%3D10.0.0.50": 1, "fixed_ips=ip_address_substr%3D10.0.0.1": 4, "fixed_ips=ip_address_substr%3D0_0": 0,
			"fixed_ips=subnet_id%3D" + sub: 5, "security_groups=" + first["security_groups"].([]any)[0].(string): 5, "name=p3": 1,
		} {
			if got := e.call("GET", "/v2.0/ports?"+filter, e.member, nil).Must(t, http.StatusOK).List("ports"); len(got) != want {
				t.Errorf("%s: %d ports, want %d", filter, len(got), want)
			}
		}
		var names []string
		marker := ""
		for range 4 {
			path := "/v2.0/ports?limit=2&sort_key=name&sort_dir=desc"
			if marker != "" {
				path += "&marker=" + marker
			}
			page := e.call("GET", path, e.member, nil).Must(t, http.StatusOK).List("ports")
			for _, p := range page {
				names = append(names, p["name"].(string))
				marker = p["id"].(string)
			}
		}
		if strings.Join(names, "") != "p4p3p2p1p0" {
			t.Errorf("pages: %v", names)
		}
		e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusConflict)
		avail := e.call("GET", "/v2.0/network-ip-availabilities/"+net, e.admin, nil).Must(t, http.StatusOK).Obj("network_ip_availability")
		if avail["used_ips"] != 10.0 {
			t.Errorf("availability: %v", avail)
		}
		for _, id := range ids {
			e.call("DELETE", "/v2.0/ports/"+id, e.member, nil).Must(t, http.StatusNoContent)
		}
		e.call("DELETE", "/v2.0/subnets/"+sub, e.member, nil).Must(t, http.StatusNoContent)
		e.call("DELETE", "/v2.0/networks/"+net, e.member, nil).Must(t, http.StatusNoContent)
	})
}
