package network

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// fuzzNoServerError sends one fuzzed request and fails on a 5xx.
func fuzzNoServerError(t *testing.T, e *testEnv, method, path, token string, body any) {
	fe := *e // report through this input's t, never through the fuzz target's
	fe.t = t
	fe.api.T = t
	res := fe.call(method, path, token, body)
	if res.Status >= http.StatusInternalServerError {
		t.Fatalf("%s %s with %q: %d %s", method, path, body, res.Status, res.Raw)
	}
}

// FuzzSecurityGroupCreate sends arbitrary bodies to group create and update and arbitrary
// queries to the group list: nothing may answer 5xx.
func FuzzSecurityGroupCreate(f *testing.F) {
	for _, s := range []string{
		`{"security_group": {"name": "web", "description": "d"}}`,
		`{"security_group": {"name": "web", "stateful": false, "tags": ["a", "b"]}}`,
		`{"security_group": {"name": "default"}}`,
		`{"security_group": {"name": "x", "project_id": "p", "tenant_id": "p"}}`,
		`{"security_group": {"stateful": "False"}}`,
		`{"security_group": {"name": null}}`, `{"security_group": []}`, `{}`, `null`, `[]`, `"x"`,
		`name=web&fields=id&sort_key=name&sort_dir=desc&limit=2`, `shared=true&stateful=0&tags-any=a,b`, `marker=x&limit=-1`,
	} {
		for target := range 3 {
			f.Add(uint8(target), s)
		}
	}
	e := newTestEnv(f)
	sg := e.group(e.member, map[string]any{"name": "target"})["id"].(string)
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		switch target % 3 {
		case 0:
			fuzzNoServerError(t, e, "POST", "/v2.0/security-groups", e.member, body)
		case 1:
			fuzzNoServerError(t, e, "PUT", "/v2.0/security-groups/"+sg, e.member, body)
		default:
			fuzzNoServerError(t, e, "GET", "/v2.0/security-groups?"+queryOf(body), e.member, nil)
		}
	})
}

// FuzzSecurityGroupRuleCreate sends arbitrary bodies to rule create (%SG% is an existing
// group, so inputs reach the rule validation) and arbitrary queries to the rule list:
// nothing may answer 5xx.
func FuzzSecurityGroupRuleCreate(f *testing.F) {
	for _, s := range []string{
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "protocol": "icmp", "remote_ip_prefix": "0.0.0.0/0"}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "egress", "protocol": "6", "port_range_min": "80", "port_range_max": "81"}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "ethertype": "ipv6", "protocol": "icmpv6", "port_range_min": 128, "port_range_max": 0}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "protocol": 1, "port_range_max": 3}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "remote_group_id": "%SG%", "ethertype": "IPv6"}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "remote_ip_prefix": "10.0.0.5/24", "remote_group_id": "%SG%"}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "remote_ip_prefix": "fe80::1%eth0"}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "protocol": "gre", "port_range_min": 1, "port_range_max": 65535}}`,
		`{"security_group_rules": [{"security_group_id": "%SG%", "direction": "egress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53}, {"security_group_id": "%SG%", "direction": "egress", "protocol": "17", "port_range_min": 53, "port_range_max": 53}]}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "protocol": 1e300, "port_range_min": -1e300}}`,
		`{"security_group_rule": {"security_group_id": "%SG%", "direction": "ingress", "remote_address_group_id": null, "description": null}}`,
		`{"security_group_rule": null}`, `{"security_group_rules": [null]}`, `{}`, `null`,
		`security_group_id=%SG%&protocol=tcp&port_range_min=22&sort_key=protocol&sort_dir=asc&limit=1`,
		`belongs_to_default_sg=true&remote_ip_prefix=0.0.0.0/0&fields=id`, `port_range_max=x&marker=y`,
	} {
		for target := range 2 {
			f.Add(uint8(target), s)
		}
	}
	e := newTestEnv(f)
	sg := e.group(e.member, map[string]any{"name": "target"})["id"].(string)
	f.Fuzz(func(t *testing.T, target uint8, body string) {
		body = strings.ReplaceAll(body, "%SG%", sg)
		if target%2 == 0 {
			fuzzNoServerError(t, e, "POST", "/v2.0/security-group-rules", e.member, body)
			return
		}
		fuzzNoServerError(t, e, "GET", "/v2.0/security-group-rules?"+queryOf(body), e.member, nil)
	})
}

// queryOf makes a fuzzed string a query that still reaches the handler: parsed and encoded
// again when it parses, escaped whole when not.
func queryOf(s string) string {
	if v, err := url.ParseQuery(s); err == nil {
		return v.Encode()
	}
	return url.QueryEscape(s)
}
