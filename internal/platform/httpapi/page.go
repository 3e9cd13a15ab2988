package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Link as used in version documents and collections ("servers_links", "images" next …).
type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// Page is the limit/marker pagination of a collection request. Limit 0 means no limit.
type Page struct {
	Limit  int
	Marker string
}

// ParsePage reads the limit and marker query parameters. An absent limit gives defaultLimit;
// a limit of 0 or above maxLimit gives maxLimit (maxLimit <= 0 means no maximum). A limit that
// is not an integer, or is negative, is a 400.
func ParsePage(r *http.Request, defaultLimit, maxLimit int) (Page, error) {
	q := r.URL.Query()
	p := Page{Marker: q.Get("marker"), Limit: defaultLimit}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return Page{}, BadRequest("Invalid limit '%s': limit param must be an integer", raw)
		}
		if n < 0 {
			return Page{}, BadRequest("Invalid limit '%s': limit param must be positive", raw)
		}
		p.Limit = n
		if n == 0 {
			p.Limit = maxLimit
		}
	}
	if maxLimit > 0 && (p.Limit <= 0 || p.Limit > maxLimit) {
		p.Limit = maxLimit
	}
	if p.Limit < 0 {
		p.Limit = 0
	}
	return p, nil
}

// NextLink returns the href of the next page of the collection r asked for: base (the
// service's public URL root, e.g. "https://cloud:8774"; "" means BaseURL(r)) joined with the
// request path, the other query parameters kept, marker and limit replaced. When base already
// ends with the start of the request path (e.g. base ".../v2.1" for path "/v2.1/servers") that
// part is not repeated. A limit <= 0 leaves limit out.
func NextLink(r *http.Request, base string, marker string, limit int) string {
	if base == "" {
		base = BaseURL(r)
	}
	base = strings.TrimRight(base, "/")
	path := r.URL.EscapedPath()
	if u, err := url.Parse(base); err == nil && u.Path != "" && u.Path != "/" {
		prefix := strings.TrimRight(u.EscapedPath(), "/")
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			path = strings.TrimPrefix(path, prefix)
		}
	}
	q := r.URL.Query()
	q.Set("marker", marker)
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	} else {
		q.Del("limit")
	}
	return base + path + "?" + q.Encode()
}

// SortKey is one key of a sort order.
type SortKey struct {
	Key  string
	Desc bool
}

// ParseSort reads the sort order of a collection request, in either OpenStack syntax:
// repeated sort_key/sort_dir parameters paired by position (keys without a direction sort
// ascending), or sort=k1:asc,k2:desc (Glance). Keys outside allowed, directions other than
// asc/desc, more directions than keys, or both syntaxes at once are a 400. No sort parameters
// give a nil slice.
func ParseSort(r *http.Request, allowed []string) ([]SortKey, error) {
	q := r.URL.Query()
	keys, dirs := nonEmpty(q["sort_key"]), nonEmpty(q["sort_dir"])
	sorts := nonEmpty(q["sort"])
	if len(sorts) > 0 && (len(keys) > 0 || len(dirs) > 0) {
		return nil, BadRequest("The 'sort' parameter cannot be combined with 'sort_key' or 'sort_dir'")
	}
	if len(sorts) > 0 {
		return parseSortParam(sorts, allowed)
	}
	if len(dirs) > len(keys) {
		return nil, BadRequest("The number of sort_dir values (%d) exceeds the number of sort_key values (%d)",
			len(dirs), len(keys))
	}
	var out []SortKey
	for i, k := range keys {
		dir := ""
		if i < len(dirs) {
			dir = dirs[i]
		}
		sk, err := sortKey(k, dir, allowed)
		if err != nil {
			return nil, err
		}
		out = append(out, sk)
	}
	return out, nil
}

// parseSortParam parses the values of sort=k1:asc,k2:desc.
func parseSortParam(values []string, allowed []string) ([]SortKey, error) {
	var out []SortKey
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			key, dir, _ := strings.Cut(strings.TrimSpace(item), ":")
			sk, err := sortKey(key, dir, allowed)
			if err != nil {
				return nil, err
			}
			out = append(out, sk)
		}
	}
	return out, nil
}

// sortKey validates one key and its direction ("" means ascending).
func sortKey(key, dir string, allowed []string) (SortKey, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return SortKey{}, BadRequest("Invalid sort parameter: empty sort key")
	}
	if !slices.Contains(allowed, key) {
		return SortKey{}, BadRequest("Invalid sort key '%s'; allowed keys are: %s", key, strings.Join(allowed, ", "))
	}
	switch strings.ToLower(strings.TrimSpace(dir)) {
	case "", "asc":
		return SortKey{Key: key}, nil
	case "desc":
		return SortKey{Key: key, Desc: true}, nil
	default:
		return SortKey{}, BadRequest("Invalid sort direction '%s' for key '%s'; it must be 'asc' or 'desc'", dir, key)
	}
}

// nonEmpty drops empty values.
func nonEmpty(vs []string) []string {
	var out []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}

// BaseURL returns scheme://host of the request as the client addressed it, honouring
// X-Forwarded-Proto and X-Forwarded-Host set by a proxy in front of the service.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" && validHost(h) {
		host = h
	}
	return scheme + "://" + host
}

// firstValue returns the first entry of a comma-separated header value (the client-side one).
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost reports whether h can be a host[:port] without changing a URL's meaning.
func validHost(h string) bool {
	return !strings.ContainsAny(h, "/\\?#@ \t")
}
