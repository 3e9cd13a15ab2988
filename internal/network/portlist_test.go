package network

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// oddPorts are ports with what a hand-written encoder or decoder could get wrong: characters
// encoding/json escapes, non-ASCII and invalid UTF-8, filled binding maps with numbers and
// nesting, address pairs, DHCP options, IPv6 addresses, nil and empty lists and maps.
func oddPorts() []Port {
	at := time.Date(2024, 2, 29, 23, 59, 58, 999_999_000, time.FixedZone("X", 3600))
	base := Port{Standard: Standard{ID: "id", ProjectID: "p", CreatedAt: at, UpdatedAt: at.Add(time.Hour), Revision: 7},
		NetworkID: "net", MAC: "fa:16:3e:00:00:01", Status: "DOWN", AdminStateUp: true, PortSecurity: true,
		VNICType: "normal", VIFType: vifUnbound, IPAllocation: "immediate"}
	var out []Port
	add := func(change func(p *Port)) {
		p := base
		change(&p)
		out = append(out, p)
	}
	add(func(p *Port) {})
	add(func(p *Port) {
		p.Name, p.Description = `<a href="x">&'\`+"\t\n\x01\x7f", "héllo \u2028 \u2029 ✓ \xff\xfe end"
		p.Tags, p.SecurityGroups = []string{"b&c", "<t>", "plain"}, []string{}
		p.DeviceID, p.DeviceOwner, p.HostID = "vm\"1", "compute:nova", "host\\1"
	})
	add(func(p *Port) {
		p.VIFType, p.VNICType = "ovs", "direct"
		p.VIFDetails = map[string]any{"port_filter": true, "ovs_hybrid_plug": false, "bridge_name": "br-int", "mtu": 1450.0,
			"big": 1e21, "small": 1e-7, "nested": map[string]any{"z": []any{"a", nil, 2.5, map[string]any{}}, "a": []any{}},
			"null": nil, "<k>": "v&"}
		p.Profile = map[string]any{"capabilities": []any{"switchdev"}, "pci_slot": "0000:05:00.1", "n": -3.0}
		p.AddressPairs = []AddressPair{{IPAddress: "10.0.0.9", MACAddress: "fa:16:3e:00:00:02"}, {IPAddress: "fd00::/64", MACAddress: "x"}}
		p.DHCPOptions = []DHCPOption{{Name: "mtu", Value: "1400", IPVersion: 4}, {Name: "dns<", Value: "a&b", IPVersion: 6}}
		p.FixedIPs = []FixedIP{{SubnetID: "s", IP: netip.MustParseAddr("10.0.0.5")}, {SubnetID: "s6", IP: netip.MustParseAddr("fd00::5")},
			{SubnetID: "s6", IP: netip.MustParseAddr("fe80::1%eth0")}, {SubnetID: "m", IP: netip.MustParseAddr("::ffff:10.1.2.3")}}
		p.PropagateUplinkStatus, p.PortSecurity, p.AdminStateUp = true, false, false
	})
	add(func(p *Port) {
		p.VIFDetails, p.Profile = map[string]any{}, map[string]any{}
		p.AddressPairs, p.DHCPOptions = []AddressPair{}, []DHCPOption{}
		p.CreatedAt, p.UpdatedAt = time.Time{}, time.Unix(0, 0)
		p.IPAllocation, p.Revision = "none", -1
	})
	return out
}

// TestAppendPortJSONMatchesMarshal holds the hand-written list encoding to json.Marshal of
// portDoc, byte for byte, for every subset of hidden binding attributes.
func TestAppendPortJSONMatchesMarshal(t *testing.T) {
	for i, p := range oddPorts() {
		for mask := range 1 << len(bindingAttrs) {
			var hidden []string
			for j, a := range bindingAttrs {
				if mask&(1<<j) != 0 {
					hidden = append(hidden, a)
				}
			}
			want, err := json.Marshal(portDocOf(p, hidden))
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendPortJSON([]byte("prefix"), &p, hidden)
			if err != nil || string(got) != "prefix"+string(want) {
				t.Errorf("port %d hidden %v (%v):\ngot  %s\nwant prefix%s", i, hidden, err, got, want)
			}
		}
	}
	bad := oddPorts()[0]
	bad.VIFDetails = map[string]any{"f": func() {}}
	if _, err := appendPortJSON(nil, &bad, nil); err == nil {
		t.Error("an unencodable vif_details encoded")
	}
}

// TestDecodePortDocMatchesUnmarshal holds the hand-written document reader to json.Unmarshal:
// the same port, or an error for both.
func TestDecodePortDocMatchesUnmarshal(t *testing.T) {
	var docs []string
	for _, p := range oddPorts() {
		doc, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(doc))
	}
	docs = append(docs, `{}`, `{"security_groups":null,"binding:profile":null,"binding:vif_type":null,"port_security_enabled":null}`,
		`{"security_groups":[],"allowed_address_pairs":[],"extra_dhcp_opts":[],"binding:vif_details":{}}`,
		`{"security_groups":["a","b"],"security_groups":["c"]}`, `{ "ip_allocation" : "none" }`, `{"IP_Allocation":"none"}`,
		`{"ip_allocation":"n\u00f6ne"}`, `{"other":1,"ip_allocation":"none"}`, `{"binding:profile":{"a":{"b":[true,false,null,"x"]},"a":"c"}}`,
		`{"allowed_address_pairs":[{"mac_address":"m","ip_address":"i"}]}`, `{"allowed_address_pairs":[{"ip_address":"i","mac_address":"m"},]}`,
		`{"allowed_address_pairs":[{"ip_address":"i","mac_address":null}]}`, `{"binding:profile":{"a":1}}`,
		`{"binding:vnic_type":"x`, `{"binding:vnic_type":"`+"\x01"+`"}`, `{"binding:vnic_type":"`+"\xff"+`"}`, `{"port_security_enabled":false}x`,
		`{"port_security_enabled":fals}`, `[]`, ``, `null`, `{"security_groups":["a",]}`, `{"security_groups":{}}`, `{"binding:vif_details":[]}`)
	for _, doc := range docs {
		want := Port{PortSecurity: true, VNICType: "normal", VIFType: vifUnbound, IPAllocation: "immediate"}
		got := want
		wantErr := json.Unmarshal([]byte(doc), &want)
		gotErr := decodePortDoc(doc, &got)
		if (gotErr == nil) != (wantErr == nil) || (wantErr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\ngot  %#v (%v)\nwant %#v (%v)", doc, got, gotErr, want, wantErr)
		}
	}
}

// listAnswer is GET /v2.0/ports?query for a token, checked byte for byte against json.Marshal
// of portDoc, and for its ports and their order against the same list with fields= naming every
// attribute (rendered from the ports' maps, as before lists were kept rendered).
func (e *testEnv) listAnswer(t *testing.T, query, token string, hidden []string) []map[string]any {
	t.Helper()
	res := e.call("GET", "/v2.0/ports?"+query, token, nil).Must(t, http.StatusOK)
	var answer struct {
		Ports []map[string]any `json:"ports"`
		Links json.RawMessage  `json:"ports_links"`
	}
	if err := json.Unmarshal([]byte(res.Raw), &answer); err != nil {
		t.Fatal(err)
	}
	fields := "fields=" + strings.Join(slices.Collect(maps.Keys(portView(Port{}, nil))), "&fields=")
	if query != "" {
		fields = query + "&" + fields
	}
	var byFields struct {
		Ports []map[string]any `json:"ports"`
	}
	_ = json.Unmarshal([]byte(e.call("GET", "/v2.0/ports?"+fields, token, nil).Must(t, http.StatusOK).Raw), &byFields)
	if !reflect.DeepEqual(answer.Ports, byFields.Ports) {
		t.Errorf("%q: %d ports differ from the %d of fields=", query, len(answer.Ports), len(byFields.Ports))
	}
	docs := make([]portDoc, len(answer.Ports))
	for i, m := range answer.Ports {
		p, err := getPort(context.Background(), e.svc.db, m["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = portDocOf(p, hidden)
	}
	want := map[string]any{"ports": docs}
	if answer.Links != nil {
		want["ports_links"] = answer.Links
	}
	if wantJSON, _ := json.Marshal(want); res.Raw != string(wantJSON) {
		t.Errorf("%q: answer differs from json.Marshal of portDocs:\ngot  %.600s\nwant %.600s", query, res.Raw, wantJSON)
	}
	return answer.Ports
}

// TestPortListAnswers checks list answers, byte for byte, with filters, sorts, pages and every
// caller, on every database.
func TestPortListAnswers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newTestEnvOn(t, d)
		net := e.seedPorts(30)
		mine := e.port(e.member, map[string]any{"network_id": net, "name": "<odd> & \"quoted\" ✓", "tags": []any{"z", "a"},
			"allowed_address_pairs": []any{map[string]any{"ip_address": "10.0.9.9"}}, "extra_dhcp_opts": []any{map[string]any{"opt_name": "mtu", "opt_value": "1400"}}})
		e.port(e.other, map[string]any{"network_id": e.network(e.other, map[string]any{"name": "o"})["id"]})
		// renderings made stale, as by a change elsewhere that bumps the revision
		if _, err := d.Exec(context.Background(), "UPDATE net_port SET revision_number = revision_number + 1 WHERE name LIKE ?", "port-%3"); err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{"", "sort_key=name&sort_dir=desc", "sort_key=mac_address&sort_dir=asc&sort_key=status&sort_dir=desc",
			"network_id=" + net, "tags-any=blue", "not-tags=blue", "tags=a,z", "name=model", "limit=7", "limit=5&marker=" + mine["id"].(string),
			"fixed_ips=ip_address%3D10.0.1.50", "security_groups=" + mine["security_groups"].([]any)[0].(string) + "&limit=3"} {
			e.listAnswer(t, query, e.admin, nil)
			e.listAnswer(t, query, e.member, bindingAttrs)
			e.listAnswer(t, query, e.other, bindingAttrs)
		}
		if got := e.listAnswer(t, "", e.other, bindingAttrs); len(got) != 1 {
			t.Errorf("the other project sees %d ports, want its 1", len(got))
		}
		e.call("GET", "/v2.0/ports?marker=nope", e.admin, nil).Must(t, http.StatusNotFound)
	})
}

// listStamp is a port's revision and the revision its list rendering has (-1: none).
func (e *testEnv) listStamp(id string) (rev, listed int64) {
	e.t.Helper()
	var l sql.NullInt64
	err := e.svc.db.QueryRow(context.Background(), "SELECT revision_number, list_revision FROM net_port WHERE id = ?", id).Scan(&rev, &l)
	if err != nil {
		e.t.Fatal(err)
	}
	if !l.Valid {
		return rev, -1
	}
	return rev, l.Int64
}

// TestPortListRenderingKeptFresh checks that the port API keeps each port's list rendering
// (create, update, binding, tags), that a change elsewhere that bumps the revision (a subnet
// delete) makes it stale rather than wrong, and that lists answer right either way.
func TestPortListRenderingKeptFresh(t *testing.T) {
	e := newTestEnv(t)
	e.svc.dataplane = &recordingDriver{}
	net, sub := e.netWithSubnet(e.admin, "10.0.0.0/24")
	sub2 := e.subnet(e.admin, map[string]any{"network_id": net, "ip_version": 4, "cidr": "10.0.1.0/24"})["id"].(string)
	slaac := e.subnet(e.admin, map[string]any{"network_id": net, "ip_version": 6, "cidr": "fd00::/64",
		"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"})["id"].(string)
	p := e.port(e.admin, map[string]any{"network_id": net, "tags": []any{"t"}, "fixed_ips": []any{map[string]any{"subnet_id": sub},
		map[string]any{"subnet_id": sub2}, map[string]any{"subnet_id": slaac}}})
	id := p["id"].(string)
	fresh := func(step string) {
		t.Helper()
		if rev, listed := e.listStamp(id); rev != listed {
			t.Errorf("%s: revision %d, list rendering of %d", step, rev, listed)
		}
		e.listAnswer(t, "", e.admin, nil)
		e.listAnswer(t, "", e.member, bindingAttrs)
	}
	fresh("create")
	e.call("PUT", "/v2.0/ports/"+id, e.admin, map[string]any{"port": map[string]any{"name": "renamed",
		"fixed_ips": []any{map[string]any{"subnet_id": sub2}}}}).Must(t, http.StatusOK)
	fresh("update")
	e.call("PUT", "/v2.0/ports/"+id, e.admin, map[string]any{"port": map[string]any{"binding:host_id": "compute-1"}}).Must(t, http.StatusOK)
	fresh("bind")
	e.call("PUT", "/v2.0/ports/"+id+"/tags/new", e.admin, nil).Must(t, http.StatusCreated)
	fresh("tag")
	e.call("DELETE", "/v2.0/subnets/"+slaac, e.admin, nil).Must(t, http.StatusNoContent)
	if rev, listed := e.listStamp(id); rev == listed {
		t.Errorf("subnet delete: revision %d, list rendering still of it", rev)
	}
	got := e.listAnswer(t, "", e.admin, nil)
	if len(got) != 1 || len(got[0]["fixed_ips"].([]any)) != 1 {
		t.Errorf("after the subnet delete: %v", got)
	}
	e.listAnswer(t, "limit=1", e.member, bindingAttrs)
}

// TestPortListPartlyHidden checks a policy that shows members some binding attributes and not
// others: such lists render the ports on the fly.
func TestPortListPartlyHidden(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.PolicyFile = filepath.Join(t.TempDir(), "policy.yaml")
		if err := os.WriteFile(o.PolicyFile, []byte(`"get_port:binding:host_id": "@"`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	net := e.seedPorts(3)
	e.port(e.member, map[string]any{"network_id": net, "binding:vnic_type": "direct"})
	e.listAnswer(t, "", e.member, bindingAttrs[1:])
	e.listAnswer(t, "", e.admin, nil)
}
