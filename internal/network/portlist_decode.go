package network

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Loading thousands of ports (a list with fields=, the ports rendered on the fly) spends much of
// its time reading their JSON documents; the documents json.Marshal writes are read here by
// hand, anything out of the ordinary by encoding/json.

// decodePortDoc reads a port's JSON document (as insertPortRow writes it) into p, as
// json.Unmarshal does: the documents json.Marshal writes are read by hand, any other (escaped
// strings, numbers, DHCP options, unknown keys …) by json.Unmarshal.
func decodePortDoc(doc string, p *Port) error {
	before := *p
	if readPortDoc(doc, p) {
		return nil
	}
	*p = before
	return json.Unmarshal([]byte(doc), p)
}

// readPortDoc reads a document of the plain shape into p; false when it has anything else.
func readPortDoc(doc string, p *Port) bool {
	r := docReader{s: doc}
	if !r.eat('{') {
		return false
	}
	if r.eat('}') {
		return r.end()
	}
	for {
		key, ok := r.str()
		if !ok || !r.eat(':') || !r.portField(key, p) {
			return false
		}
		if r.eat('}') {
			return r.end()
		}
		if !r.eat(',') {
			return false
		}
	}
}

// docReader reads the plain JSON of port documents: no white space, no escapes.
type docReader struct {
	s string
	i int
}

// portField reads the value of one key of a port document into p.
func (r *docReader) portField(key string, p *Port) bool {
	switch key {
	case "security_groups":
		return r.strList(&p.SecurityGroups)
	case "port_security_enabled":
		return r.boolean(&p.PortSecurity)
	case "propagate_uplink_status":
		return r.boolean(&p.PropagateUplinkStatus)
	case "binding:vnic_type":
		return r.strOrNull(&p.VNICType)
	case "binding:vif_type":
		return r.strOrNull(&p.VIFType)
	case "ip_allocation":
		return r.strOrNull(&p.IPAllocation)
	case "binding:vif_details":
		return r.object(&p.VIFDetails)
	case "binding:profile":
		return r.object(&p.Profile)
	case "allowed_address_pairs":
		return r.addressPairs(&p.AddressPairs)
	case "extra_dhcp_opts":
		return r.emptyList(func() { p.DHCPOptions = []DHCPOption{} }, func() { p.DHCPOptions = nil })
	}
	return false
}

// eat consumes c if it is next.
func (r *docReader) eat(c byte) bool {
	if r.i < len(r.s) && r.s[r.i] == c {
		r.i++
		return true
	}
	return false
}

// lit consumes a literal (null, true, false) if it is next.
func (r *docReader) lit(word string) bool {
	if strings.HasPrefix(r.s[r.i:], word) {
		r.i += len(word)
		return true
	}
	return false
}

// end reports whether the document ends here.
func (r *docReader) end() bool { return r.i == len(r.s) }

// str reads a string without escapes, of valid UTF-8.
func (r *docReader) str() (string, bool) {
	if !r.eat('"') {
		return "", false
	}
	start := r.i
	for r.i < len(r.s) {
		switch c := r.s[r.i]; {
		case c == '"':
			v := r.s[start:r.i]
			r.i++
			return v, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
		r.i++
	}
	return "", false
}

// strOrNull reads a string; null leaves the value as it was, as json.Unmarshal does.
func (r *docReader) strOrNull(v *string) bool {
	if r.lit("null") {
		return true
	}
	s, ok := r.str()
	*v = s
	return ok
}

// boolean reads true or false; null leaves the value as it was.
func (r *docReader) boolean(v *bool) bool {
	switch {
	case r.lit("true"):
		*v = true
	case r.lit("false"):
		*v = false
	default:
		return r.lit("null")
	}
	return true
}

// strList reads a list of strings; null is a nil list.
func (r *docReader) strList(v *[]string) bool {
	if r.lit("null") {
		*v = nil
		return true
	}
	if !r.eat('[') {
		return false
	}
	out := []string{}
	if r.eat(']') {
		*v = out
		return true
	}
	for {
		s, ok := r.str()
		if !ok {
			return false
		}
		out = append(out, s)
		if r.eat(']') {
			*v = out
			return true
		}
		if !r.eat(',') {
			return false
		}
	}
}

// object reads an object (binding:vif_details, binding:profile) or null (nil).
func (r *docReader) object(v *map[string]any) bool {
	if r.lit("null") {
		*v = nil
		return true
	}
	m, ok := r.objectValue()
	*v = m
	return ok
}

// objectValue reads an object whose values are strings, booleans, nulls, objects and lists:
// numbers are left to json.Unmarshal.
func (r *docReader) objectValue() (map[string]any, bool) {
	if !r.eat('{') {
		return nil, false
	}
	m := map[string]any{}
	if r.eat('}') {
		return m, true
	}
	for {
		k, ok := r.str()
		if !ok || !r.eat(':') {
			return nil, false
		}
		if m[k], ok = r.value(); !ok {
			return nil, false
		}
		if r.eat('}') {
			return m, true
		}
		if !r.eat(',') {
			return nil, false
		}
	}
}

// value reads a string, boolean, null, object or list, as json.Unmarshal reads it into an any.
func (r *docReader) value() (any, bool) {
	if r.i >= len(r.s) {
		return nil, false
	}
	switch r.s[r.i] {
	case '"':
		return r.str()
	case '{':
		return r.objectValue()
	case '[':
		return r.listValue()
	}
	switch {
	case r.lit("null"):
		return nil, true
	case r.lit("true"):
		return true, true
	case r.lit("false"):
		return false, true
	}
	return nil, false
}

// listValue reads a list of values.
func (r *docReader) listValue() ([]any, bool) {
	if !r.eat('[') {
		return nil, false
	}
	out := []any{}
	if r.eat(']') {
		return out, true
	}
	for {
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if r.eat(']') {
			return out, true
		}
		if !r.eat(',') {
			return nil, false
		}
	}
}

// addressPairs reads allowed_address_pairs: null (nil) or a list of objects with
// ip_address and mac_address, as json.Marshal writes them.
func (r *docReader) addressPairs(v *[]AddressPair) bool {
	if r.lit("null") {
		*v = nil
		return true
	}
	if !r.eat('[') {
		return false
	}
	out := []AddressPair{}
	for first := true; !r.eat(']'); first = false {
		if !first && !r.eat(',') {
			return false
		}
		var pair AddressPair
		var ok1, ok2 bool
		if !r.lit(`{"ip_address":`) {
			return false
		}
		pair.IPAddress, ok1 = r.str()
		if !r.lit(`,"mac_address":`) {
			return false
		}
		pair.MACAddress, ok2 = r.str()
		if !ok1 || !ok2 || !r.eat('}') {
			return false
		}
		out = append(out, pair)
	}
	*v = out
	return true
}

// emptyList reads [] or null, calling empty or null; anything else is not plain.
func (r *docReader) emptyList(empty, null func()) bool {
	switch {
	case r.lit("null"):
		null()
	case r.lit("[]"):
		empty()
	default:
		return false
	}
	return true
}
