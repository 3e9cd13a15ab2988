package placement

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// object is a JSON request body object, kept raw until each field is read with a type.
type object map[string]json.RawMessage

// readObject decodes the request body as a JSON object whose keys must be among allowed (any
// key when allowed is nil) and must include required (Placement's schemas forbid additional
// properties).
func readObject(r *http.Request, allowed, required []string) (object, error) {
	var m object
	if err := httpapi.DecodeJSON(r, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, badRequest("JSON does not validate: the body must be an object.")
	}
	return m, m.check("", allowed, required)
}

// check refuses keys outside allowed and missing required ones; where prefixes the message.
func (m object) check(where string, allowed, required []string) error {
	var extra []string
	for k := range m {
		if allowed != nil && !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return badRequest("JSON does not validate: %sadditional properties are not allowed (%s unexpected); allowed: %s.",
			where, quoteAll(extra), strings.Join(allowed, ", "))
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			return badRequest("JSON does not validate: %s'%s' is a required property.", where, k)
		}
	}
	return nil
}

// has reports whether the body gives key (possibly as null).
func (m object) has(key string) bool { _, ok := m[key]; return ok }

// isNull reports whether the body gives key as null.
func (m object) isNull(key string) bool { return string(m[key]) == "null" }

// get decodes key into dst, which must be a pointer; null is refused unless nullable.
func (m object) get(key string, dst any, what string, nullable bool) error {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	if string(raw) == "null" {
		if nullable {
			return nil
		}
		return badRequest("JSON does not validate: '%s' must be %s, got null.", key, what)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return badRequest("JSON does not validate: '%s' must be %s, got %s.", key, what, clip(string(raw)))
	}
	return nil
}

// quoteAll renders names as 'a', 'b'.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// clip shortens a raw JSON value for a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// intValue decodes a JSON integer within [lo, hi].
func intValue(raw json.RawMessage, field string, lo, hi int64) (int64, error) {
	var n json.Number
	if t := strings.TrimSpace(string(raw)); t == "" || (t[0] != '-' && (t[0] < '0' || t[0] > '9')) {
		return 0, badRequest("JSON does not validate: '%s' must be an integer, got %s.", field, clip(string(raw)))
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&n); err != nil {
		return 0, badRequest("JSON does not validate: '%s' must be an integer, got %s.", field, clip(string(raw)))
	}
	v, err := n.Int64()
	if err != nil {
		return 0, badRequest("JSON does not validate: '%s' must be an integer, got %s.", field, clip(string(raw)))
	}
	if v < lo || v > hi {
		return 0, badRequest("JSON does not validate: '%s' is %d; it must be between %d and %d.", field, v, lo, hi)
	}
	return v, nil
}

// uuidField reads a UUID-valued key (nullable when allowed); "" means absent or null.
func (m object) uuidField(key string, nullable bool) (string, error) {
	var s string
	if err := m.get(key, &s, "a UUID string", nullable); err != nil {
		return "", err
	}
	if s == "" {
		return "", nil
	}
	if !isUUID(s) {
		return "", badRequest("JSON does not validate: '%s' %q is not a UUID.", key, s)
	}
	return normUUID(s), nil
}

// generationField reads a required non-negative generation.
func (m object) generationField(key string) (int64, error) {
	raw, ok := m[key]
	if !ok {
		return 0, badRequest("JSON does not validate: '%s' is a required property.", key)
	}
	return intValue(raw, key, 0, 1<<62)
}

// errf wraps fmt.Sprintf for messages built in pieces.
func errf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
