package placement

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// acGroup is one request group of GET /allocation_candidates: the unsuffixed one ("") or a
// granular one (resources1, resources_NET …).
type acGroup struct {
	suffix    string
	resources map[string]int64
	classes   []string // sorted keys of resources
	traits    traitFilter
	aggs      aggFilter
	inTree    string
}

// acRequest is a parsed GET /allocation_candidates.
type acRequest struct {
	groups       []*acGroup // the unsuffixed group first, then by suffix
	isolate      bool       // group_policy=isolate
	limit        int        // 0 = no limit
	rootRequired traitFilter
	sameSubtree  [][]string // suffixes, resolved to sameGroups
	sameGroups   [][]int    // group indices whose providers must share a subtree (1.36)
}

// suffixPattern is what a request group suffix may look like: digits before 1.33, any of
// 1-64 letters, digits, _ and - from 1.33.
var (
	numericSuffix = regexp.MustCompile(`^[1-9][0-9]*$`)
	stringSuffix  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
)

// acPrefixes are the group parameters, longest first so that member_of is not read as a
// suffixed "member".
var acPrefixes = []string{"resources", "required", "member_of", "in_tree"}

// splitGroupParam splits "resources_NET" into ("resources", "_NET"); ok is false for other
// parameters.
func splitGroupParam(key string) (prefix, suffix string, ok bool) {
	for _, p := range acPrefixes {
		if rest, found := strings.CutPrefix(key, p); found {
			return p, rest, true
		}
	}
	return "", "", false
}

// parseCandidatesQuery reads and checks the query of GET /allocation_candidates against the
// request's microversion.
func parseCandidatesQuery(r *http.Request) (*acRequest, error) {
	q := r.URL.Query()
	req := &acRequest{}
	groups := map[string]*acGroup{}
	group := func(s string) *acGroup {
		if groups[s] == nil {
			groups[s] = &acGroup{suffix: s}
		}
		return groups[s]
	}
	for key, values := range q {
		if err := parseCandidatesParam(r, req, group, key, values); err != nil {
			return nil, err
		}
	}
	return finishCandidatesQuery(r, req, groups)
}

// minorOf is the microversion each parameter appeared in.
var minorOf = map[string]int{"resources": 10, "required": 17, "limit": 16, "member_of": 21, "group_policy": 25,
	"in_tree": 31, "root_required": 35, "same_subtree": 36}

// parseCandidatesParam reads one query parameter.
func parseCandidatesParam(r *http.Request, req *acRequest, group func(string) *acGroup, key string, values []string) error {
	prefix, suffix, grouped := splitGroupParam(key)
	name := key
	if grouped {
		name = prefix
	}
	minor, known := minorOf[name]
	if !known || !atLeast(r, minor) || (suffix != "" && !validSuffix(r, suffix)) {
		return newError(http.StatusBadRequest, codeQueryBadValue,
			"Invalid query string parameters: %q is not a parameter of GET /allocation_candidates at microversion %s.", key, version(r))
	}
	if name != "required" && name != "member_of" && name != "same_subtree" && len(values) > 1 {
		return newError(http.StatusBadRequest, codeQueryDuplicateKey, "Query parameter %q may be given only once.", key)
	}
	var err error
	switch name {
	case "resources":
		g := group(suffix)
		if g.resources, err = parseResources(key, values[0]); err == nil {
			g.classes = mapKeys(g.resources)
		}
	case "required":
		group(suffix).traits, err = parseRequired(key, values, r)
	case "member_of":
		group(suffix).aggs, err = parseMemberOf(key, values, r)
	case "in_tree":
		group(suffix).inTree, err = queryUUID(url.Values{key: values}, key)
	case "root_required":
		req.rootRequired, err = parseRequired(key, values, r)
	case "same_subtree":
		for _, v := range values {
			set := strings.Split(v, ",")
			if slices.Contains(set, "") {
				return newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: same_subtree %q has an empty suffix.", v)
			}
			req.sameSubtree = append(req.sameSubtree, set)
		}
	case "limit":
		n, perr := strconv.Atoi(values[0])
		if perr != nil || n < 1 {
			return newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: limit must be a positive integer, got %q.", values[0])
		}
		req.limit = n
	case "group_policy":
		if values[0] != "none" && values[0] != "isolate" {
			return newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: group_policy must be none or isolate, got %q.", values[0])
		}
		req.isolate = values[0] == "isolate"
	}
	return err
}

// validSuffix reports whether a group suffix is allowed at the request's microversion.
func validSuffix(r *http.Request, suffix string) bool {
	if !atLeast(r, 25) {
		return false
	}
	if atLeast(r, 33) {
		return stringSuffix.MatchString(suffix)
	}
	return numericSuffix.MatchString(suffix)
}

// finishCandidatesQuery checks the groups as a whole and orders them.
func finishCandidatesQuery(r *http.Request, req *acRequest, groups map[string]*acGroup) (*acRequest, error) {
	suffixes := mapKeys(groups)
	numbered := 0
	for _, s := range suffixes {
		g := groups[s]
		if s != "" {
			numbered++
			if len(g.resources) == 0 {
				return nil, badRequest("All traits parameters must be associated with resources. Found the following orphaned traits keys: required%s, member_of%s, in_tree%s.", s, s, s)
			}
		}
		if s == "" && len(g.resources) == 0 && len(suffixes) == 1 {
			return nil, badRequest("At least one resources parameter must be specified; found only required, member_of or in_tree.")
		}
		req.groups = append(req.groups, g)
	}
	if len(req.groups) == 0 {
		return nil, badRequest("At least one resources parameter must be specified.")
	}
	if numbered > 1 && !r.URL.Query().Has("group_policy") {
		return nil, badRequest("The \"group_policy\" parameter is required when specifying more than one \"resources{N}\" parameter.")
	}
	slices.SortStableFunc(req.groups, func(a, b *acGroup) int { return compareStrings(a.suffix, b.suffix) })
	for _, set := range req.sameSubtree {
		var idx []int
		for _, suffix := range set {
			i := slices.IndexFunc(req.groups, func(g *acGroup) bool { return g.suffix == suffix })
			if i < 0 || suffix == "" {
				return nil, badRequest("Real suffixes should be specified in same_subtree: %s not found in the request groups.", suffix)
			}
			idx = append(idx, i)
		}
		req.sameGroups = append(req.sameGroups, idx)
	}
	return req, nil
}
