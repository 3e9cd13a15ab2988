package main

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/bench/internal/harness"
)

// TestSmoke runs the whole benchmark at tiny sizes: build, serve, creates across networks,
// checks, list timings at three sizes, security groups, report, clean-up.
func TestSmoke(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	c := config{creates: 30, ports: 90, scalePorts: 150, perNetwork: 40, groups: 10, lists: 3, fullLists: 2,
		concurrency: 4, dir: dir, progress: &progress}
	if err := run(ctx, c, &out); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, &progress)
	}
	for _, want := range []string{"create 30 ports on one /22, 4 in parallel", "grow by 60 ports to 90 (2 more networks",
		"fixed IPs and MACs of all 90 ports", "GET /v2.0/ports (all 90, no limit)", "GET /v2.0/ports?limit=100&marker=… at 150 ports",
		"GET /v2.0/ports?device_id=… at 30 ports", "GET /v2.0/ports?fixed_ips=ip_address=… at 90 ports",
		"GET /v2.0/security-groups (11 groups)", "server RSS peak"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, &out)
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "fixed IPs") || strings.HasPrefix(line, "every page") {
			if !strings.HasSuffix(line, harness.Met) {
				t.Errorf("a correctness check failed: %s", line)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the temporary directory was left behind: %v", entries)
	}
}

func TestConfigValidate(t *testing.T) {
	good := config{creates: 1000, ports: 10000, perNetwork: 1000, groups: 1000, lists: 100, fullLists: 20, concurrency: 8}
	if err := good.validate(); err != nil {
		t.Errorf("validate(good) = %v", err)
	}
	for _, bad := range []func(*config){
		func(c *config) { c.perNetwork = 1022 }, func(c *config) { c.creates = 1001 }, func(c *config) { c.ports = 999 },
		func(c *config) { c.scalePorts = 10000 }, func(c *config) { c.perNetwork, c.creates, c.scalePorts = 50, 50, 100000 },
		func(c *config) { c.groups = 0 }, func(c *config) { c.lists = 0 }, func(c *config) { c.concurrency = 0 },
	} {
		c := good
		bad(&c)
		if err := c.validate(); err == nil {
			t.Errorf("validate(%+v) accepted it", c)
		}
	}
}

func TestCIDRsDoNotOverlap(t *testing.T) {
	seen := map[netip.Prefix]bool{}
	for b := range 1000 {
		p := netip.MustParsePrefix(cidr(b))
		if p.Bits() != 22 || p.Masked() != p || !netip.MustParsePrefix("10.0.0.0/8").Contains(p.Addr()) {
			t.Fatalf("cidr(%d) = %s", b, p)
		}
		for q := range seen {
			if q.Overlaps(p) {
				t.Fatalf("cidr(%d) = %s overlaps %s", b, p, q)
			}
		}
		seen[p] = true
	}
}

func TestCheckAddresses(t *testing.T) {
	sub := subnet{ID: "s", NetworkID: "n", CIDR: "10.0.0.0/22", GatewayIP: "10.0.0.1", Pools: []pool{{"10.0.0.2", "10.0.3.254"}}}
	subs := map[string]subnet{"s": sub}
	p := func(id, mac string, ips ...string) port {
		pt := port{ID: id, NetworkID: "n", MAC: mac}
		for _, ip := range ips {
			pt.FixedIPs = append(pt.FixedIPs, fixedIP{SubnetID: "s", IPAddress: ip})
		}
		return pt
	}
	good := []port{p("a", "fa:16:3e:00:00:01", "10.0.0.2"), p("b", "fa:16:3e:00:00:02", "10.0.3.254")}
	if a := checkAddresses(good, 2, subs); !a.ok() || a.addrs != 2 || a.macs != 2 {
		t.Errorf("good ports: %+v", a)
	}
	cases := map[string][]port{
		"same address":  {p("a", "m1", "10.0.0.5"), p("b", "m2", "10.0.0.5")},
		"same MAC":      {p("a", "m1", "10.0.0.5"), p("b", "m1", "10.0.0.6")},
		"gateway":       {p("a", "m1", "10.0.0.1"), p("b", "m2", "10.0.0.6")},
		"broadcast":     {p("a", "m1", "10.0.3.255"), p("b", "m2", "10.0.0.6")},
		"outside":       {p("a", "m1", "10.0.4.1"), p("b", "m2", "10.0.0.6")},
		"no address":    {p("a", "m1"), p("b", "m2", "10.0.0.6")},
		"two addresses": {p("a", "m1", "10.0.0.7", "10.0.0.8"), p("b", "m2", "10.0.0.6")},
		"missing port":  {p("a", "m1", "10.0.0.7")},
		"listed twice":  {p("a", "m1", "10.0.0.7"), p("a", "m1", "10.0.0.7")},
	}
	for name, ports := range cases {
		if a := checkAddresses(ports, 2, subs); a.ok() {
			t.Errorf("%s: the check passed: %+v", name, a)
		}
	}
}
