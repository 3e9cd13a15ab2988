package network

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Port lists write their answer by hand, byte for byte as encoding/json writes the portDocs
// they replace; anything out of the ordinary goes to encoding/json.

// appendPortJSON appends a port as lists render it: json.Marshal(portDocOf(p, hidden)), byte
// for byte, without the reflection. hidden lists the attributes the caller may not see.
func appendPortJSON(b []byte, p *Port, hidden []string) ([]byte, error) {
	b = appendStrField(b, `{"id":`, p.ID)
	b = appendPortNames(b, p)
	b = appendPortOwners(b, p.NetworkID, p.ProjectID)
	return appendPortRest(b, p, hidden)
}

// appendPortNames appends a port's name and description, which follow its id.
func appendPortNames(b []byte, p *Port) []byte {
	b = appendStrField(b, `,"name":`, p.Name)
	return appendStrField(b, `,"description":`, p.Description)
}

// appendPortOwners appends a port's network and project, which follow its description.
func appendPortOwners(b []byte, networkID, projectID string) []byte {
	b = appendStrField(b, `,"network_id":`, networkID)
	b = appendStrField(b, `,"tenant_id":`, projectID)
	return appendStrField(b, `,"project_id":`, projectID)
}

// portOwnersLen is the length of what appendPortOwners appends.
func portOwnersLen(networkID, projectID string) int {
	return len(`,"network_id":,"tenant_id":,"project_id":`) + jsonStringLen(networkID) + 2*jsonStringLen(projectID)
}

// appendPortRest appends a port's attributes from mac_address on, and closes it.
func appendPortRest(b []byte, p *Port, hidden []string) ([]byte, error) {
	var err error
	b = appendStrField(b, `,"mac_address":`, p.MAC)
	b = strconv.AppendBool(append(b, `,"admin_state_up":`...), p.AdminStateUp)
	b = appendStrField(b, `,"status":`, p.Status)
	b = appendStrField(b, `,"device_id":`, p.DeviceID)
	b = appendStrField(b, `,"device_owner":`, p.DeviceOwner)
	b = appendFixedIPs(append(b, `,"fixed_ips":`...), p.FixedIPs)
	b = append(b, `,"allowed_address_pairs":`...)
	if b, err = appendListOf(b, p.AddressPairs); err != nil {
		return b, err
	}
	b = append(b, `,"extra_dhcp_opts":`...)
	if b, err = appendListOf(b, p.DHCPOptions); err != nil {
		return b, err
	}
	b = appendStrings(append(b, `,"security_groups":`...), p.SecurityGroups)
	b = strconv.AppendBool(append(b, `,"port_security_enabled":`...), p.PortSecurity)
	b = appendStrField(b, `,"binding:vnic_type":`, p.VNICType)
	if b, err = appendBinding(b, p, hidden); err != nil {
		return b, err
	}
	b = appendStrField(b, `,"ip_allocation":`, p.IPAllocation)
	b = strconv.AppendBool(append(b, `,"propagate_uplink_status":`...), p.PropagateUplinkStatus)
	b = append(b, `,"qos_policy_id":null,"qos_network_policy_id":null,"tags":`...)
	b = appendStrings(b, p.Tags)
	b = strconv.AppendInt(append(b, `,"revision_number":`...), p.Revision, 10)
	b = appendTime(append(b, `,"created_at":`...), p.CreatedAt)
	b = appendTime(append(b, `,"updated_at":`...), p.UpdatedAt)
	return append(b, '}'), nil
}

// appendBinding appends the binding attributes the caller may see, in portDoc's order.
func appendBinding(b []byte, p *Port, hidden []string) ([]byte, error) {
	visible := func(attr string) bool { return !slices.Contains(hidden, attr) }
	var err error
	if visible("binding:host_id") {
		b = appendStrField(b, `,"binding:host_id":`, p.HostID)
	}
	if visible("binding:profile") {
		if b, err = appendJSONValue(append(b, `,"binding:profile":`...), orEmptyMap(p.Profile)); err != nil {
			return b, err
		}
	}
	if visible("binding:vif_type") {
		b = appendStrField(b, `,"binding:vif_type":`, p.VIFType)
	}
	if visible("binding:vif_details") {
		if b, err = appendJSONValue(append(b, `,"binding:vif_details":`...), orEmptyMap(p.VIFDetails)); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendStrField appends a key (with its punctuation) and a string value.
func appendStrField(b []byte, key, v string) []byte {
	return appendJSONString(append(b, key...), v)
}

// appendFixedIPs appends fixed_ips.
func appendFixedIPs(b []byte, ips []FixedIP) []byte {
	b = append(b, '[')
	for i, ip := range ips {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStrField(b, `{"subnet_id":`, ip.SubnetID)
		b = appendStrField(b, `,"ip_address":`, ip.IP.String())
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendStrings appends a list of strings; nil is [].
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendListOf appends a list of structs as encoding/json does; nil is [].
func appendListOf[T any](b []byte, list []T) ([]byte, error) {
	if len(list) == 0 {
		return append(b, "[]"...), nil
	}
	return appendMarshaled(b, list)
}

// appendTime appends a time as neutronTime writes it.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	return append(b, '"')
}

// appendJSONString appends s as encoding/json writes it: strings of printable ASCII with
// nothing to escape (HTML's <, > and & included) are copied, others go to json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			out, _ := appendMarshaled(b, s) // a string always encodes
			return out
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// jsonStringLen is the length of what appendJSONString appends.
func jsonStringLen(s string) int {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			return len(appendJSONString(nil, s))
		}
	}
	return len(s) + 2
}

// plainJSON are the bytes encoding/json copies into a string as they are.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// appendJSONValue appends a decoded JSON value (binding:profile, binding:vif_details) as
// encoding/json writes it: maps with their keys sorted, and encoding/json for numbers and
// anything else.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case map[string]any:
		return appendJSONMap(b, x)
	case []any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSONValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return appendMarshaled(b, v)
}

// appendJSONMap appends a map with its keys sorted; nil is null.
func appendJSONMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		var err error
		if b, err = appendJSONValue(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendMarshaled appends json.Marshal(v).
func appendMarshaled(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, out...), nil
}
