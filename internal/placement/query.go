package placement

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// checkQuery refuses query parameters the operation does not know, and repeated parameters
// among once (Placement validates query strings with a schema that allows no others).
func checkQuery(q url.Values, allowed []string, once []string) error {
	var unknown []string
	for k := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return newError(http.StatusBadRequest, codeQueryBadValue,
			"Invalid query string parameters: unknown parameter(s) %s; this operation accepts %s.",
			strings.Join(unknown, ", "), strings.Join(allowed, ", "))
	}
	for _, k := range once {
		if len(q[k]) > 1 {
			return newError(http.StatusBadRequest, codeQueryDuplicateKey, "Query parameter %q may be given only once.", k)
		}
	}
	return nil
}

// isUUID reports whether s is a UUID in any of the forms Placement accepts.
func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && (len(s) == 36 || len(s) == 32)
}

// normUUID returns the canonical dashed lower-case form of a UUID.
func normUUID(s string) string {
	u, err := uuid.Parse(s)
	if err != nil {
		return s
	}
	return u.String()
}

// parseResources parses "VCPU:2,MEMORY_MB:512" into amounts by class.
func parseResources(param, raw string) (map[string]int64, error) {
	out := map[string]int64{}
	if strings.TrimSpace(raw) == "" {
		return nil, newError(http.StatusBadRequest, codeQueryMissingValue, "Badly formed resources parameter %q: it is empty; expected \"CLASS:AMOUNT,...\".", param)
	}
	for item := range strings.SplitSeq(raw, ",") {
		name, amount, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || name == "" {
			return nil, newError(http.StatusBadRequest, codeQueryBadValue,
				"Badly formed resources parameter %s=%q: expected comma-separated CLASS:AMOUNT pairs.", param, raw)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(amount), 10, 64)
		if err != nil || n < 1 {
			return nil, newError(http.StatusBadRequest, codeQueryBadValue,
				"Requested resource %s expected positive integer amount, got %q.", name, amount)
		}
		if _, dup := out[name]; dup {
			return nil, newError(http.StatusBadRequest, codeQueryBadValue,
				"Resource class %s is given more than once in %s.", name, param)
		}
		out[name] = n
	}
	return out, nil
}

// traitFilter is what required traits ask of a provider: all of required, none of forbidden,
// and at least one of each anyOf set.
type traitFilter struct {
	required, forbidden []string
	anyOf               [][]string
}

// empty reports whether the filter asks nothing.
func (f traitFilter) empty() bool {
	return len(f.required) == 0 && len(f.forbidden) == 0 && len(f.anyOf) == 0
}

// names returns every trait the filter mentions.
func (f traitFilter) names() []string {
	out := append(slices.Clone(f.required), f.forbidden...)
	for _, set := range f.anyOf {
		out = append(out, set...)
	}
	return out
}

// matches reports whether a provider with the given traits passes the filter.
func (f traitFilter) matches(has func(string) bool) bool {
	for _, t := range f.required {
		if !has(t) {
			return false
		}
	}
	for _, t := range f.forbidden {
		if has(t) {
			return false
		}
	}
	for _, set := range f.anyOf {
		if !slices.ContainsFunc(set, has) {
			return false
		}
	}
	return true
}

// parseRequired parses required (or requiredN) values: "T1,!T2" and, from 1.39, "in:T3,T4";
// forbidden traits ("!T") need 1.22; several values need 1.39.
func parseRequired(param string, values []string, r *http.Request) (traitFilter, error) {
	var f traitFilter
	if len(values) > 1 && !atLeast(r, 39) {
		return f, newError(http.StatusBadRequest, codeQueryDuplicateKey, "Query parameter %q may be given only once before microversion 1.39.", param)
	}
	for _, raw := range values {
		if strings.HasPrefix(raw, "in:") && atLeast(r, 39) {
			set, err := splitNames(param, strings.TrimPrefix(raw, "in:"), false)
			if err != nil {
				return f, err
			}
			f.anyOf = append(f.anyOf, set)
			continue
		}
		names, err := splitNames(param, raw, atLeast(r, 22))
		if err != nil {
			return f, err
		}
		for _, n := range names {
			if t, ok := strings.CutPrefix(n, "!"); ok {
				f.forbidden = append(f.forbidden, t)
			} else {
				f.required = append(f.required, n)
			}
		}
	}
	for _, t := range f.required {
		if slices.Contains(f.forbidden, t) {
			return f, badRequest("Conflicting required and forbidden traits found in the %s parameter: %s.", param, t)
		}
	}
	return f, nil
}

// traitName is what a trait in a query may look like, optionally forbidden.
var traitName = regexp.MustCompile(`^!?[A-Z0-9_]{1,255}$`)

// splitNames splits a comma-separated list of trait names.
func splitNames(param, raw string, allowForbidden bool) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, newError(http.StatusBadRequest, codeQueryMissingValue, "Invalid query string parameters: %s is empty; expected a comma-separated list of traits.", param)
	}
	var out []string
	for n := range strings.SplitSeq(raw, ",") {
		n = strings.TrimSpace(n)
		if !traitName.MatchString(n) || (!allowForbidden && strings.HasPrefix(n, "!")) {
			return nil, newError(http.StatusBadRequest, codeQueryBadValue,
				"Invalid query string parameters: %s has an invalid trait name %q (traits are upper-case letters, digits and _; ! forbids one from 1.22).", param, n)
		}
		out = append(out, n)
	}
	return out, nil
}

// aggFilter is what member_of asks of a provider: membership of at least one aggregate of
// each anyOf set, and of none of forbidden.
type aggFilter struct {
	anyOf     [][]string
	forbidden []string
}

// empty reports whether the filter asks nothing.
func (f aggFilter) empty() bool { return len(f.anyOf) == 0 && len(f.forbidden) == 0 }

// matches reports whether a provider in the given aggregates passes the filter.
func (f aggFilter) matches(in func(string) bool) bool {
	for _, set := range f.anyOf {
		if !slices.ContainsFunc(set, in) {
			return false
		}
	}
	return !slices.ContainsFunc(f.forbidden, in)
}

// parseMemberOf parses member_of (or member_ofN) values: "agg", "in:a,b", and from 1.32
// "!agg" and "!in:a,b"; several values need 1.24.
func parseMemberOf(param string, values []string, r *http.Request) (aggFilter, error) {
	var f aggFilter
	if len(values) > 1 && !atLeast(r, 24) {
		return f, newError(http.StatusBadRequest, codeQueryDuplicateKey, "Query parameter %q may be given only once before microversion 1.24.", param)
	}
	for _, raw := range values {
		forbid := false
		if rest, ok := strings.CutPrefix(raw, "!"); ok && atLeast(r, 32) {
			forbid, raw = true, rest
		}
		list := raw
		if rest, ok := strings.CutPrefix(raw, "in:"); ok {
			list = rest
		}
		var set []string
		for a := range strings.SplitSeq(list, ",") {
			a = strings.TrimSpace(a)
			if !isUUID(a) {
				return f, newError(http.StatusBadRequest, codeQueryBadValue,
					"Invalid query string parameters: Expected '%s' parameter to contain valid UUID(s), got %q.", param, a)
			}
			set = append(set, normUUID(a))
		}
		if forbid {
			f.forbidden = append(f.forbidden, set...)
		} else {
			f.anyOf = append(f.anyOf, set)
		}
	}
	return f, nil
}

// queryUUID returns a query parameter that must be a UUID when given.
func queryUUID(q url.Values, param string) (string, error) {
	v := q.Get(param)
	if v == "" {
		if _, given := q[param]; given {
			return "", newError(http.StatusBadRequest, codeQueryMissingValue, "Invalid query string parameters: %s is empty.", param)
		}
		return "", nil
	}
	if !isUUID(v) {
		return "", newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: %s %q is not a UUID.", param, v)
	}
	return normUUID(v), nil
}
