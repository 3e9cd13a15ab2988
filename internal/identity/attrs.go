package identity

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// attrs is one entity object of a request body ({"user": {...}}), read field by field so that
// PATCH knows which fields were sent and unknown fields become the entity's extra attributes,
// as in Keystone. The first problem found is kept in err; the getters then return zero values.
type attrs struct {
	entity string
	m      map[string]any
	err    error
}

// decodeEntity reads a body of the form {"<entity>": {...}}.
func decodeEntity(r *http.Request, entity string) (*attrs, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	obj, ok := body[entity].(map[string]any)
	if !ok {
		return nil, invalidf("Invalid input for field '%s': the request body needs a '%s' object.", entity, entity)
	}
	return &attrs{entity: entity, m: obj}, nil
}

func (a *attrs) fail(field, format string, args ...any) {
	if a.err == nil {
		a.err = invalidf("Invalid input for field '%s.%s': %s", a.entity, field, fmt.Sprintf(format, args...))
	}
}

// has reports whether the field was sent.
func (a *attrs) has(field string) bool {
	_, ok := a.m[field]
	return ok
}

// str returns a string field; null reads as "" when nullable.
func (a *attrs) str(field string, nullable bool) string {
	v, ok := a.m[field]
	if !ok || (v == nil && nullable) {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.fail(field, "expected a string, got %s.", jsonType(v))
	}
	return s
}

// name returns a required, non-blank name of at most max characters.
func (a *attrs) name(field string, required bool, max int) string {
	if !a.has(field) {
		if required {
			a.fail(field, "this field is required.")
		}
		return ""
	}
	s := a.str(field, false)
	switch {
	case a.err != nil:
	case strings.TrimSpace(s) == "":
		a.fail(field, "must not be empty or only whitespace.")
	case len([]rune(s)) > max:
		a.fail(field, "must be at most %d characters.", max)
	}
	return s
}

// boolean returns a boolean field, or def when absent.
func (a *attrs) boolean(field string, def bool) bool {
	v, ok := a.m[field]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		a.fail(field, "expected a boolean, got %s.", jsonType(v))
	}
	return b
}

// strings returns a list-of-strings field.
func (a *attrs) strings(field string) []string {
	v, ok := a.m[field]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		a.fail(field, "expected a list of strings, got %s.", jsonType(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			a.fail(field, "expected a list of strings, got an item of type %s.", jsonType(item))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// object returns an object field.
func (a *attrs) object(field string) map[string]any {
	v, ok := a.m[field]
	if !ok || v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		a.fail(field, "expected an object, got %s.", jsonType(v))
	}
	return obj
}

// readOnly rejects fields a client may not set.
func (a *attrs) readOnly(fields ...string) {
	for _, f := range fields {
		if a.has(f) {
			a.fail(f, "this attribute is read-only.")
		}
	}
}

// extra returns the fields that are not known attributes (Keystone keeps them as "extra").
func (a *attrs) extra(known ...string) map[string]any {
	out := map[string]any{}
	for k, v := range a.m {
		if k == "links" || slices.Contains(known, k) {
			continue
		}
		out[k] = v
	}
	return out
}

// mergeExtra applies a PATCH's unknown fields to stored extras; null removes a field.
func mergeExtra(stored, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// withExtra adds an entity's extra attributes to its view without overriding known fields.
func withExtra(view, extra map[string]any) map[string]any {
	for k, v := range extra {
		if _, known := view[k]; !known {
			view[k] = v
		}
	}
	return view
}
