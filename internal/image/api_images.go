package image

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// createImage is POST /v2/images.
func (s *Service) createImage(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body == nil {
		return httpapi.BadRequest("The request body must be a JSON object of image attributes.")
	}
	now := s.now()
	img := Image{ID: newID(), Status: StatusQueued, Visibility: "shared", Owner: c.ProjectID,
		CreatedAt: now, UpdatedAt: now, Properties: map[string]string{}, Tags: []string{}}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		if err := s.setAttr(&img, k, body[k], true); err != nil {
			return err
		}
	}
	if err := s.enforce(c, "add_image", map[string]string{"project_id": img.Owner, "owner": img.Owner}); err != nil {
		return err
	}
	if err := s.checkVisibility(c, img, ""); err != nil {
		return err
	}
	if err := s.checkCreate(r.Context(), img.Owner); err != nil {
		return err
	}
	if err := s.store.Create(r.Context(), img); err != nil {
		return err
	}
	w.Header().Set("Location", "/v2/images/"+img.ID)
	s.discoveryHeaders(w)
	s.api.WriteJSON(w, http.StatusCreated, s.view(img))
	return nil
}

// discoveryHeaders tell clients, as Glance does on image create, which import methods and
// stores they may use (openstacksdk's `image create --import` looks for them).
func (s *Service) discoveryHeaders(w http.ResponseWriter) {
	if len(s.opts.ImportMethods) > 0 {
		w.Header().Set("OpenStack-image-import-methods", strings.Join(s.opts.ImportMethods, ","))
	}
	var ids []string
	for _, b := range s.stores.Backends() {
		if !b.ReadOnly() {
			ids = append(ids, b.Name)
		}
	}
	w.Header().Set("OpenStack-image-store-ids", strings.Join(ids, ","))
}

// checkVisibility applies publicize_image and communitize_image when the visibility becomes
// public or community.
func (s *Service) checkVisibility(c *auth.Context, img Image, was string) error {
	target := access{img: img}.target()
	switch {
	case img.Visibility == was:
		return nil
	case img.Visibility == "public":
		return s.enforce(c, "publicize_image", target)
	case img.Visibility == "community":
		return s.enforce(c, "communitize_image", target)
	}
	return nil
}

// showImage is GET /v2/images/{id}.
func (s *Service) showImage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "get_image")
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, s.view(a.img))
	return nil
}

// deleteImage is DELETE /v2/images/{id}: the record goes in one transaction, then the data.
func (s *Service) deleteImage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "delete_image")
	if err != nil {
		return err
	}
	if a.img.Protected {
		return errProtected(a.img.ID)
	}
	img, err := s.store.Delete(r.Context(), a.img.ID)
	if err != nil {
		return err
	}
	s.deleteData(context.WithoutCancel(r.Context()), img)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listImages is GET /v2/images.
func (s *Service) listImages(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	if err := s.enforce(c, "get_images", map[string]string{"project_id": c.ProjectID}); err != nil {
		return err
	}
	q, err := s.listQuery(r)
	if err != nil {
		return err
	}
	q.Project, q.Admin = c.ProjectID, s.isAdmin(c)
	imgs, err := s.store.List(r.Context(), q)
	if err != nil {
		return err
	}
	first := r.URL.Path
	if rest := stripPaging(r); rest != "" {
		first += "?" + rest
	}
	b := make([]byte, 0, 64+len(imgs)*1024)
	b = append(b, `{"images":[`...)
	for i, img := range imgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.view(img).appendJSON(b)
	}
	b = append(b, "],"...)
	o := jsonObject{b: b}
	o.str("schema", "/v2/schemas/images")
	o.str("first", first)
	if len(imgs) > 0 && len(imgs) == q.Limit {
		next := r.URL.Query()
		next.Set("marker", imgs[len(imgs)-1].ID)
		o.str("next", r.URL.Path+"?"+next.Encode())
	}
	s.api.WriteRawJSON(w, http.StatusOK, append(o.b, '}'))
	return nil
}

// stripPaging returns the query without marker.
func stripPaging(r *http.Request) string {
	q := r.URL.Query()
	q.Del("marker")
	return q.Encode()
}

// listParams are the query parameters that are not property filters.
var listParams = []string{"limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "member_status", "id", "name",
	"status", "owner", "tag", "size_min", "size_max", "created_at", "updated_at", "protected", "os_hidden",
	"disk_format", "container_format", "checksum", "os_hash_value"}

// listQuery parses the filters, sort order and page of GET /v2/images.
func (s *Service) listQuery(r *http.Request) (ListQuery, error) {
	params := r.URL.Query()
	page, err := httpapi.ParsePage(r, s.opts.ListDefault, s.opts.ListMax)
	if err != nil {
		return ListQuery{}, err
	}
	keys := slices.Sorted(maps.Keys(sortColumns))
	sortReq, err := glanceSortDefaults(r)
	if err != nil {
		return ListQuery{}, err
	}
	sort, err := httpapi.ParseSort(sortReq, keys)
	if err != nil {
		return ListQuery{}, err
	}
	if len(sort) == 0 {
		sort = []httpapi.SortKey{{Key: "created_at", Desc: true}}
	}
	q := ListQuery{Limit: page.Limit, Marker: page.Marker, Sort: sort, Status: params.Get("status"),
		Owner: params.Get("owner"), Tags: params["tag"], Equal: map[string]string{}, Properties: map[string]string{}}
	if q.Visibility = params.Get("visibility"); q.Visibility != "" && q.Visibility != "all" && !slices.Contains(visibilities, q.Visibility) {
		return q, httpapi.BadRequest("Invalid visibility value: %s", q.Visibility)
	}
	if q.MemberStatus = firstOr(params.Get("member_status"), MemberAccepted); q.MemberStatus != "all" && !slices.Contains(memberStatuses, q.MemberStatus) {
		return q, httpapi.BadRequest("Invalid status value: %s", q.MemberStatus)
	}
	q.IDs, q.Names = inList(params.Get("id")), inList(params.Get("name"))
	for _, c := range equalColumns {
		q.Equal[c] = params.Get(c)
	}
	if q.SizeMin, err = sizeParam(params.Get("size_min"), "size_min"); err != nil {
		return q, err
	}
	if q.SizeMax, err = sizeParam(params.Get("size_max"), "size_max"); err != nil {
		return q, err
	}
	if q.Created, err = timeParam(params["created_at"], "created_at"); err != nil {
		return q, err
	}
	if q.Updated, err = timeParam(params["updated_at"], "updated_at"); err != nil {
		return q, err
	}
	if q.Protected, err = boolParam(params.Get("protected"), "protected"); err != nil {
		return q, err
	}
	if q.Hidden, err = boolParam(params.Get("os_hidden"), "os_hidden"); err != nil {
		return q, err
	}
	for k, vs := range params {
		if !slices.Contains(listParams, k) && len(vs) > 0 {
			q.Properties[k] = vs[0]
		}
	}
	return q, nil
}

// glanceSortDefaults returns a request whose sort parameters spell out Glance's defaults, for
// httpapi.ParseSort: a key without a direction sorts descending, and one sort_dir applies to
// every sort_key (more than one must match the keys in number).
func glanceSortDefaults(r *http.Request) (*http.Request, error) {
	q := r.URL.Query()
	keys, dirs := q["sort_key"], q["sort_dir"]
	switch {
	case len(q["sort"]) > 0:
		for i, v := range q["sort"] {
			if strings.TrimSpace(v) == "" {
				continue
			}
			items := strings.Split(v, ",")
			for j, item := range items {
				if key, dir, _ := strings.Cut(item, ":"); strings.TrimSpace(dir) == "" {
					items[j] = key + ":desc"
				}
			}
			q["sort"][i] = strings.Join(items, ",")
		}
	case len(keys) > 0 && len(dirs) <= 1:
		dir := "desc"
		if len(dirs) == 1 {
			dir = dirs[0]
		}
		q["sort_dir"] = slices.Repeat([]string{dir}, len(keys))
	case len(keys) > 0 && len(dirs) != len(keys):
		return nil, httpapi.BadRequest("Number of sort dirs does not match the number of sort keys")
	}
	return &http.Request{URL: &url.URL{RawQuery: q.Encode()}}, nil
}

func firstOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// inList reads "a" or "in:a,b,c" (values may be quoted) into a list.
func inList(v string) []string {
	if v == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(v, "in:")
	if !ok {
		return []string{v}
	}
	var out []string
	for item := range strings.SplitSeq(rest, ",") {
		out = append(out, strings.Trim(item, `"`))
	}
	return out
}

func sizeParam(v, name string) (*int64, error) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, httpapi.BadRequest("Invalid %s value: %s; it must be a non-negative integer", name, v)
	}
	return &n, nil
}

func boolParam(v, name string) (*bool, error) {
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, httpapi.BadRequest("Invalid %s value: %s; it must be true or false", name, v)
	}
	return &b, nil
}

// timeOps are Glance's comparison operators for created_at and updated_at.
var timeOps = map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

// timeParam reads filters such as gte:2024-05-28T01:24:42Z.
func timeParam(values []string, name string) ([]timeCond, error) {
	var out []timeCond
	for _, v := range values {
		op, when, ok := strings.Cut(v, ":")
		sqlOp, known := timeOps[op]
		if !ok || !known {
			op, when, sqlOp = "eq", v, "="
		}
		t, err := time.Parse(time.RFC3339, when)
		if err != nil {
			return nil, httpapi.BadRequest("Invalid %s value: %s; use an operator (eq, neq, gt, gte, lt, lte), a colon and an ISO 8601 time such as gte:2024-05-28T01:24:42Z", name, v)
		}
		out = append(out, timeCond{op: sqlOp, t: t})
	}
	return out, nil
}
