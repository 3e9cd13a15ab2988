package network

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
)

// seedPorts gives the environment count ports on one network of the member's project, all
// copies of one created through the API (so they carry what a real create stores) with their
// own ids, MACs and addresses, each stored as createPort stores it; every tenth has two tags.
// It returns the network id.
func (e *testEnv) seedPorts(count int) string {
	e.t.Helper()
	net, sub := e.netWithSubnet(e.member, "10.0.0.0/16")
	model := e.port(e.member, map[string]any{"network_id": net, "name": "model", "device_owner": "compute:nova"})
	ctx := context.Background()
	p, err := getPort(ctx, e.svc.db, model["id"].(string))
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.svc.db.InTx(ctx, func(tx *db.Tx) error {
		for i := range count - 1 {
			q := p
			q.ID, q.Name = newID(), fmt.Sprintf("port-%05d", i)
			q.MAC = fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff)
			q.Tags = nil
			if i%10 == 0 {
				q.Tags = []string{"blue", fmt.Sprintf("t%d", i)}
			}
			ip := netip.AddrFrom4([4]byte{10, 0, byte((i + 300) >> 8), byte(i + 300)})
			t := ipamTx{ctx: ctx, tx: tx, networkID: net, portID: q.ID}
			if _, err := t.insert(sub, ip); err != nil {
				return err
			}
			if _, err := insertPortRow(ctx, tx, q); err != nil {
				return err
			}
			if err := refreshPortList(ctx, tx, q.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return net
}

// BenchmarkListPorts times GET /v2.0/ports over HTTP with 10,000 ports, as an admin (who sees
// the binding attributes) and as the member who owns them.
func BenchmarkListPorts(b *testing.B) {
	e := newTestEnv(b)
	e.seedPorts(10000)
	for _, who := range []struct{ name, token string }{{"admin", e.admin}, {"member", e.member}} {
		b.Run(who.name, func(b *testing.B) {
			var size int64
			for b.Loop() {
				req, _ := http.NewRequest("GET", e.api.BaseURL+"/v2.0/ports", nil)
				req.Header.Set("X-Auth-Token", who.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// BenchmarkPortListParts times the parts of a whole port list with 10,000 ports: reading them
// (for an admin, and for the member, whose list has a condition) and writing the answer.
func BenchmarkPortListParts(b *testing.B) {
	e := newTestEnv(b)
	e.seedPorts(10000)
	ctx := context.Background()
	var member listQuery
	member.where.Add("(net_port.project_id = ? OR net_port.network_id IN (SELECT id FROM net_network WHERE project_id = ?))", e.demo, e.demo)
	for name, lq := range map[string]listQuery{"load-admin": {}, "load-member": member} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := listListedPorts(ctx, e.svc.db, lq); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	listed, err := listListedPorts(ctx, e.svc.db, listQuery{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			body, err := newPortListBody(listed, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := body.writeTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	ports, err := listPorts(ctx, e.svc.db, listQuery{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			for i := range ports {
				if _, err := appendPortJSON(nil, &ports[i], nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
