package network

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// decodeResource reads a {"<singular>": {…}} body.
func decodeResource(r *http.Request, singular string) (map[string]any, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	inner, ok := body[singular].(map[string]any)
	if !ok {
		return nil, &BadRequestError{Type: "HTTPBadRequest", Message: fmt.Sprintf("Resource body required: the body must be {\"%s\": {…}}", singular)}
	}
	return inner, nil
}

// attrs reads and validates the attributes of a request body, collecting the first error.
type attrs struct {
	body map[string]any
	what string
	err  error
}

func (a *attrs) fail(format string, args ...any) {
	if a.err == nil {
		a.err = invalid(format, args...)
	}
}

// str reads a string of at most max characters.
func (a *attrs) str(name string, dst *string, max int) {
	raw, ok := a.body[name]
	if !ok {
		return
	}
	v, isStr := raw.(string)
	if !isStr {
		a.fail("'%v' is not a valid string for %s", raw, name)
		return
	}
	if len(v) > max {
		a.fail("'%s' exceeds maximum length of %d for %s", v, max, name)
		return
	}
	*dst = v
}

// boolean reads a boolean; Neutron also accepts "true"/"false" strings.
func (a *attrs) boolean(name string, dst *bool) {
	raw, ok := a.body[name]
	if !ok {
		return
	}
	switch v := raw.(type) {
	case bool:
		*dst = v
	case string:
		switch strings.ToLower(v) {
		case "true", "1":
			*dst = true
		case "false", "0":
			*dst = false
		default:
			a.fail("'%s' cannot be converted to boolean for %s", v, name)
		}
	default:
		a.fail("'%v' cannot be converted to boolean for %s", raw, name)
	}
}

// integer reads an integer within [lo, hi].
func (a *attrs) integer(name string, dst *int, lo, hi int) {
	raw, ok := a.body[name]
	if !ok || raw == nil {
		return
	}
	f, isNum := raw.(float64)
	if !isNum || f != float64(int(f)) {
		a.fail("'%v' is not an integer for %s", raw, name)
		return
	}
	if int(f) < lo || int(f) > hi {
		a.fail("'%d' is not in the range %d to %d for %s", int(f), lo, hi, name)
		return
	}
	*dst = int(f)
}

// strList reads a list of unique strings.
func (a *attrs) strList(name string, dst *[]string) {
	raw, ok := a.body[name]
	if !ok {
		return
	}
	items, isList := raw.([]any)
	if !isList {
		a.fail("'%v' is not a list for %s", raw, name)
		return
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, isStr := it.(string)
		if !isStr || len(s) > 255 {
			a.fail("'%v' is not a valid string in %s", it, name)
			return
		}
		if slices.Contains(out, s) {
			a.fail("duplicate '%s' in %s", s, name)
			return
		}
		out = append(out, s)
	}
	*dst = out
}

// project returns the project the resource is created in: the caller's, or project_id /
// tenant_id when given (another project's needs an admin, checked by policy).
func (a *attrs) project(c *auth.Context) string {
	p := c.ProjectID
	a.str("tenant_id", &p, 255)
	a.str("project_id", &p, 255)
	if t, ok := a.body["tenant_id"].(string); ok {
		if pid, ok := a.body["project_id"].(string); ok && pid != t {
			a.fail("project_id and tenant_id do not match")
		}
	}
	return p
}

// finish returns the first error, or a 400 naming an attribute the resource does not have.
func (a *attrs) finish(known ...string) error {
	if a.err != nil {
		return a.err
	}
	for _, k := range slices.Sorted(maps.Keys(a.body)) {
		if !slices.Contains(known, k) {
			return &BadRequestError{Type: "HTTPBadRequest", Message: fmt.Sprintf("Unrecognized attribute(s) '%s'", k)}
		}
	}
	return nil
}

// splitComma splits a comma-separated list, dropping empty items.
func splitComma(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
