package ring

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DeviceQuery selects devices; nil fields match anything. Parse one from
// swift-ring-builder search syntax with ParseSearch.
type DeviceQuery struct {
	ID              *int
	Region          *int
	Zone            *int
	IP              *string
	Port            *int
	ReplicationIP   *string
	ReplicationPort *int
	Name            *string
	// Meta matches devices whose meta contains it.
	Meta *string
}

// ParseSearch parses swift-ring-builder's search value
// "d<id>r<region>z<zone>-<ip>:<port>R<replication ip>:<replication port>/<device>_<meta>",
// where every part is optional but at least one is given, e.g. "d3",
// "r1z2", "z1-10.0.0.1:6200/sdb1", "-[::1]:6200" or "10.0.0.1".
func ParseSearch(s string) (DeviceQuery, error) {
	var q DeviceQuery
	rest := s
	var err error
	if strings.HasPrefix(rest, "d") {
		q.ID, rest, err = parseInt(rest[1:], "id")
		if err != nil {
			return q, fmt.Errorf("search %q: %w", s, err)
		}
	}
	if strings.HasPrefix(rest, "r") {
		q.Region, rest, err = parseInt(rest[1:], "region")
		if err != nil {
			return q, fmt.Errorf("search %q: %w", s, err)
		}
	}
	if strings.HasPrefix(rest, "z") {
		q.Zone, rest, err = parseInt(rest[1:], "zone")
		if err != nil {
			return q, fmt.Errorf("search %q: %w", s, err)
		}
	}
	rest = strings.TrimPrefix(rest, "-")
	if q.IP, q.Port, rest, err = parseAddr(rest); err != nil {
		return q, fmt.Errorf("search %q: %w", s, err)
	}
	if strings.HasPrefix(rest, "R") {
		if q.ReplicationIP, q.ReplicationPort, rest, err = parseAddr(rest[1:]); err != nil {
			return q, fmt.Errorf("search %q: replication %w", s, err)
		}
	}
	if strings.HasPrefix(rest, "/") {
		name, tail, _ := strings.Cut(rest[1:], "_")
		q.Name = &name
		if tail != "" || strings.Contains(rest, "_") {
			q.Meta = &tail
		}
		rest = ""
	} else if strings.HasPrefix(rest, "_") {
		meta := rest[1:]
		q.Meta, rest = &meta, ""
	}
	if rest != "" {
		return q, fmt.Errorf("search %q: unexpected %q", s, rest)
	}
	if q == (DeviceQuery{}) {
		return q, fmt.Errorf("search %q: nothing to match", s)
	}
	return q, nil
}

// parseInt reads leading decimal digits.
func parseInt(s, what string) (*int, string, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return nil, s, fmt.Errorf("%s needs a number", what)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return nil, s, fmt.Errorf("%s: %w", what, err)
	}
	return &n, s[i:], nil
}

// parseAddr reads an optional ip (IPv6 in brackets) and ":port".
func parseAddr(s string) (ip *string, port *int, rest string, err error) {
	rest = s
	switch {
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, nil, s, errors.New("unclosed '[' in ip")
		}
		v := rest[1:end]
		ip, rest = &v, rest[end+1:]
	default:
		end := strings.IndexAny(rest, ":R/_")
		if end < 0 {
			end = len(rest)
		}
		if end > 0 {
			v := rest[:end]
			if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQSTUVWXYZ0123456789.-") != "" {
				return nil, nil, s, fmt.Errorf("invalid ip or host %q", v)
			}
			ip, rest = &v, rest[end:]
		}
	}
	if strings.HasPrefix(rest, ":") {
		if port, rest, err = parseInt(rest[1:], "port"); err != nil {
			return nil, nil, s, err
		}
	}
	return ip, port, rest, nil
}

// Match reports whether the device satisfies the query.
func (q DeviceQuery) Match(d Device) bool {
	return eqPtr(q.ID, d.ID) && eqPtr(q.Region, d.Region) && eqPtr(q.Zone, d.Zone) &&
		(q.IP == nil || normIP(*q.IP) == normIP(d.IP)) && eqPtr(q.Port, d.Port) &&
		(q.ReplicationIP == nil || normIP(*q.ReplicationIP) == normIP(d.ReplicationIP)) &&
		eqPtr(q.ReplicationPort, d.ReplicationPort) && eqPtr(q.Name, d.Name) &&
		(q.Meta == nil || strings.Contains(d.Meta, *q.Meta))
}

func eqPtr[T comparable](want *T, got T) bool { return want == nil || *want == got }

// SearchDevices returns the devices matching a swift-ring-builder search
// value (see ParseSearch), ordered by id.
func (b *Builder) SearchDevices(search string) ([]Device, error) {
	q, err := ParseSearch(search)
	if err != nil {
		return nil, err
	}
	var out []Device
	for _, d := range b.Devices() {
		if q.Match(d) {
			out = append(out, d)
		}
	}
	return out, nil
}
