package image

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// day is midnight UTC of a day of 2024.
func day(month, d int) time.Time { return time.Date(2024, time.Month(month), d, 0, 0, 0, 0, time.UTC) }

// listFixture is a set of images of three projects with distinct attributes, by name.
type listFixture map[string]string

// newListFixture creates the images the filter tests look for:
//
//	alpha   demo  shared    active 100 B  tags x86,linux  hw_disk_bus=virtio  protected  created 01-01 updated 06-01
//	beta    demo  private   queued qcow2  tags x86                                        created 02-01 updated 02-01
//	gamma   demo  community active 300 B  tags linux                                      created 03-01 updated 03-02
//	hidden  demo  shared    queued        os_hidden                                       created 04-01 updated 04-01
//	public  admin public    active 200 B                                                  created 05-01 updated 05-01
//	bob-private, bob-community  other project                                             created 05-02
func newListFixture(t *testing.T, e *testEnv) listFixture {
	t.Helper()
	f := listFixture{}
	f["alpha"] = e.activeImage(e.member, map[string]any{"name": "alpha", "tags": []string{"x86", "linux"},
		"hw_disk_bus": "virtio", "protected": true}, rawData(100))
	f["beta"] = e.create(e.member, map[string]any{"name": "beta", "disk_format": "qcow2", "container_format": "bare",
		"visibility": "private", "tags": []string{"x86"}})["id"].(string)
	f["gamma"] = e.activeImage(e.member, map[string]any{"name": "gamma", "tags": []string{"linux"}, "visibility": "community"}, rawData(300))
	f["hidden"] = e.rawImage(e.member, map[string]any{"name": "hidden", "os_hidden": true})
	f["public"] = e.activeImage(e.admin, map[string]any{"name": "public", "visibility": "public"}, rawData(200))
	f["bob-private"] = e.rawImage(e.other, map[string]any{"name": "bob-private", "visibility": "private"})
	f["bob-community"] = e.rawImage(e.other, map[string]any{"name": "bob-community", "visibility": "community"})
	for name, times := range map[string][2]time.Time{"alpha": {day(1, 1), day(6, 1)}, "beta": {day(2, 1), day(2, 1)},
		"gamma": {day(3, 1), day(3, 2)}, "hidden": {day(4, 1), day(4, 1)}, "public": {day(5, 1), day(5, 1)},
		"bob-private": {day(5, 2), day(5, 2)}, "bob-community": {day(5, 2), day(5, 2)}} {
		setTimes(t, e, f[name], times[0], times[1])
	}
	return f
}

// names maps ids back to fixture names.
func (f listFixture) names(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		for name, fid := range f {
			if fid == id {
				out = append(out, name)
			}
		}
	}
	return out
}

func TestListFilters(t *testing.T) {
	e := newTestEnv(t)
	checkListFilters(t, e, newListFixture(t, e))
}

// checkListFilters checks each filter of GET /v2/images, as alice of project demo sees them.
func checkListFilters(t *testing.T, e *testEnv, f listFixture) {
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{"alpha", "beta", "gamma", "public"}},
		{query("name", "alpha"), []string{"alpha"}},
		{query("name", "nothing"), nil},
		{query("name", "in:alpha,gamma"), []string{"alpha", "gamma"}},
		{query("name", `in:"alpha","public"`), []string{"alpha", "public"}},
		{query("id", "in:"+f["alpha"]+","+f["public"]), []string{"alpha", "public"}},
		{query("id", f["beta"]), []string{"beta"}},
		{query("status", "active"), []string{"alpha", "gamma", "public"}},
		{query("status", "queued"), []string{"beta"}},
		{query("owner", e.demo), []string{"alpha", "beta", "gamma"}},
		{query("tag", "x86"), []string{"alpha", "beta"}},
		{query("tag", "x86", "tag", "linux"), []string{"alpha"}},
		{query("tag", "linux", "tag", "nope"), nil},
		{query("size_min", "150"), []string{"gamma", "public"}},
		{query("size_max", "150"), []string{"alpha"}},
		{query("size_min", "150", "size_max", "250"), []string{"public"}},
		{query("size_min", "100", "size_max", "100"), []string{"alpha"}},
		{query("created_at", "gte:2024-02-01T00:00:00Z"), []string{"beta", "gamma", "public"}},
		{query("created_at", "gt:2024-02-01T00:00:00Z"), []string{"gamma", "public"}},
		{query("created_at", "lt:2024-02-01T00:00:00Z"), []string{"alpha"}},
		{query("created_at", "lte:2024-02-01T00:00:00Z"), []string{"alpha", "beta"}},
		{query("created_at", "gte:2024-02-01T00:00:00Z", "created_at", "lt:2024-04-01T00:00:00Z"), []string{"beta", "gamma"}},
		{query("created_at", "2024-03-01T00:00:00Z"), []string{"gamma"}},
		{query("created_at", "eq:2024-03-01T00:00:00Z"), []string{"gamma"}},
		{query("created_at", "neq:2024-03-01T00:00:00Z"), []string{"alpha", "beta", "public"}},
		{query("created_at", "gte:2024-01-31T22:00:00-02:00"), []string{"beta", "gamma", "public"}},
		{query("updated_at", "gt:2024-05-01T00:00:00Z"), []string{"alpha"}},
		{query("updated_at", "gte:2024-03-02T00:00:00Z", "updated_at", "lte:2024-05-01T00:00:00Z"), []string{"gamma", "public"}},
		{query("protected", "true"), []string{"alpha"}},
		{query("protected", "false"), []string{"beta", "gamma", "public"}},
		{query("os_hidden", "true"), []string{"hidden"}},
		{query("os_hidden", "false"), []string{"alpha", "beta", "gamma", "public"}},
		{query("hw_disk_bus", "virtio"), []string{"alpha"}},
		{query("hw_disk_bus", "scsi"), nil},
		{query("disk_format", "qcow2"), []string{"beta"}},
		{query("container_format", "bare"), []string{"alpha", "beta", "gamma", "public"}},
		{query("checksum", md5Hex(rawData(100))), []string{"alpha"}},
		{query("status", "active", "tag", "linux"), []string{"alpha", "gamma"}},
		{query("status", "active", "visibility", "public"), []string{"public"}},
	}
	for _, c := range cases {
		res := e.call("GET", "/v2/images?"+c.query, e.member, nil).Must(t, http.StatusOK)
		var ids []string
		for _, img := range res.List("images") {
			ids = append(ids, img["id"].(string))
		}
		if got := f.names(ids); !sameSet(got, c.want) {
			t.Errorf("?%s: %v, want %v", c.query, got, c.want)
		}
	}
	res := e.call("GET", "/v2/images?"+query("tag", "x86"), e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2/images", res.Status, res.Raw)
	if res.Body["schema"] != "/v2/schemas/images" || res.Body["first"] != "/v2/images?tag=x86" {
		t.Errorf("list links: schema %v first %v", res.Body["schema"], res.Body["first"])
	}
	if _, ok := res.Body["next"]; ok {
		t.Errorf("a short page has a next link: %v", res.Body["next"])
	}
}

func TestListRefusesBadParameters(t *testing.T) {
	e := newTestEnv(t)
	e.rawImage(e.member, nil)
	for _, q := range []string{
		query("size_min", "abc"), query("size_max", "-1"), query("protected", "maybe"), query("os_hidden", "perhaps"),
		query("created_at", "yesterday"), query("created_at", "gte:junk"), query("updated_at", "after:2024-01-01T00:00:00Z"),
		query("visibility", "secret"), query("member_status", "maybe"), query("limit", "abc"), query("limit", "-1"),
		query("marker", "00000000-0000-0000-0000-000000000000"), query("marker", "not-an-image"),
		query("sort_key", "bogus"), query("sort_key", "name", "sort_dir", "sideways"), query("sort", "name:up"),
		query("sort", "bogus:asc"), query("sort", "name", "sort_key", "name"),
		query("sort_key", "name", "sort_dir", "asc", "sort_dir", "desc"),
		query("sort_key", "name", "sort_key", "size", "sort_key", "status", "sort_dir", "asc", "sort_dir", "desc"),
	} {
		if res := e.call("GET", "/v2/images?"+q, e.member, nil); res.Status != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400: %s", q, res.Status, message(res))
		}
	}
	mustSay(t, e.call("GET", "/v2/images?marker=00000000-0000-0000-0000-000000000000", e.member, nil),
		http.StatusBadRequest, "marker")
	e.call("GET", "/v2/images", "", nil).Must(t, http.StatusUnauthorized)
}

func TestListVisibility(t *testing.T) {
	e := newTestEnv(t)
	checkListVisibility(t, e)
}

// checkListVisibility checks which images each caller lists under each visibility filter,
// against Glance's rules: by default public images, the project's own (whatever their
// visibility), and images shared with it and accepted; community images only when asked for
// (or owned); an admin sees every image but others' community ones by default.
func checkListVisibility(t *testing.T, e *testEnv) {
	f := listFixture{}
	f["P1"] = e.rawImage(e.member, map[string]any{"visibility": "private"})
	f["S1"] = e.rawImage(e.member, map[string]any{"visibility": "shared"})
	f["S2"] = e.rawImage(e.member, map[string]any{"visibility": "shared"})
	f["C1"] = e.rawImage(e.member, map[string]any{"visibility": "community"})
	f["H1"] = e.rawImage(e.member, map[string]any{"visibility": "shared", "os_hidden": true})
	f["U1"] = e.rawImage(e.admin, map[string]any{"visibility": "public"})
	f["PA"] = e.rawImage(e.admin, map[string]any{"visibility": "private"})
	f["P2"] = e.rawImage(e.other, map[string]any{"visibility": "private"})
	f["C2"] = e.rawImage(e.other, map[string]any{"visibility": "community"})
	e.addMember(e.member, f["S1"], e.otherP)
	e.addMember(e.member, f["S2"], e.otherP)
	e.addMember(e.member, f["H1"], e.otherP)
	e.setMember(e.other, f["S1"], e.otherP, "accepted")
	e.setMember(e.other, f["H1"], e.otherP, "accepted")

	all := []string{"P1", "S1", "S2", "C1", "U1", "PA", "P2", "C2"}
	cases := []struct {
		who, token, query string
		want              []string
	}{
		{"alice", e.member, "", []string{"P1", "S1", "S2", "C1", "U1"}},
		{"alice", e.member, "visibility=public", []string{"U1"}},
		{"alice", e.member, "visibility=private", []string{"P1"}},
		{"alice", e.member, "visibility=shared", []string{"S1", "S2"}},
		{"alice", e.member, "visibility=community", []string{"C1", "C2"}},
		{"alice", e.member, "visibility=all", []string{"P1", "S1", "S2", "C1", "U1", "C2"}},
		{"alice", e.member, "os_hidden=true", []string{"H1"}},
		{"carol (reader)", e.reader, "", []string{"P1", "S1", "S2", "C1", "U1"}},
		{"bob", e.other, "", []string{"P2", "C2", "U1", "S1"}},
		{"bob", e.other, "member_status=pending", []string{"P2", "C2", "U1", "S2"}},
		{"bob", e.other, "member_status=all", []string{"P2", "C2", "U1", "S1", "S2"}},
		{"bob", e.other, "member_status=rejected", []string{"P2", "C2", "U1"}},
		{"bob", e.other, "visibility=shared", []string{"S1"}},
		{"bob", e.other, "visibility=shared&member_status=all", []string{"S1", "S2"}},
		{"bob", e.other, "visibility=private", []string{"P2"}},
		{"bob", e.other, "visibility=community", []string{"C1", "C2"}},
		{"bob", e.other, "visibility=all", []string{"P2", "C2", "U1", "S1", "C1"}},
		{"bob", e.other, "os_hidden=true", []string{"H1"}},
		{"admin", e.admin, "", []string{"P1", "S1", "S2", "U1", "PA", "P2"}},
		{"admin", e.admin, "visibility=all", all},
		{"admin", e.admin, "visibility=community", []string{"C1", "C2"}},
		{"admin", e.admin, "visibility=private", []string{"P1", "PA", "P2"}},
		{"admin", e.admin, "visibility=shared", []string{"S1", "S2"}},
		{"admin", e.admin, "owner=" + e.demo, []string{"P1", "S1", "S2"}},
		{"admin", e.admin, "owner=" + e.demo + "&visibility=all", []string{"P1", "S1", "S2", "C1"}},
		{"admin", e.admin, "os_hidden=true", []string{"H1"}},
	}
	for _, c := range cases {
		if got := f.names(e.ids(c.token, c.query)); !sameSet(got, c.want) {
			t.Errorf("%s ?%s: %v, want %v", c.who, c.query, got, c.want)
		}
	}
}

// sortCheck is a list order to page through, with the fields it sorts by.
type sortCheck struct {
	query string
	keys  []string
	desc  []bool
}

var sortChecks = []sortCheck{
	{"", []string{"created_at"}, []bool{true}},
	{"sort_key=name&sort_dir=asc", []string{"name"}, []bool{false}},
	{"sort_key=name&sort_dir=desc", []string{"name"}, []bool{true}},
	{"sort_key=name", []string{"name"}, []bool{true}}, // Glance's default direction is desc
	{"sort=name", []string{"name"}, []bool{true}},
	{"sort=name:asc", []string{"name"}, []bool{false}},
	{"sort=size:asc", []string{"size"}, []bool{false}},
	{"sort_key=size&sort_dir=desc", []string{"size"}, []bool{true}},
	{"sort=name:asc,size:desc", []string{"name", "size"}, []bool{false, true}},
	{"sort_key=name&sort_key=size&sort_dir=asc", []string{"name", "size"}, []bool{false, false}}, // one direction for all keys
	{"sort_key=status&sort_dir=asc&sort_key=name&sort_dir=desc", []string{"status", "name"}, []bool{false, true}},
	{"sort=status:desc,disk_format:asc,created_at:asc", []string{"status", "disk_format", "created_at"}, []bool{true, false, false}},
	{"sort=disk_format:desc", []string{"disk_format"}, []bool{true}},
	{"sort=container_format:asc", []string{"container_format"}, []bool{false}},
	{"sort=id:asc", []string{"id"}, []bool{false}},
	{"sort=id:desc", []string{"id"}, []bool{true}},
	{"sort=updated_at:asc", []string{"updated_at"}, []bool{false}},
	{"sort=created_at:asc", []string{"created_at"}, []bool{false}},
}

// sortValue is an image's value for a sort key, with nulls as the service orders them.
func sortValue(img map[string]any, key string) any {
	switch v := img[key].(type) {
	case nil:
		if key == "size" {
			return -1.0
		}
		return ""
	default:
		return v
	}
}

// compareSort compares two images by the sort keys.
func compareSort(a, b map[string]any, c sortCheck) int {
	for i, k := range c.keys {
		va, vb := sortValue(a, k), sortValue(b, k)
		r := 0
		switch x := va.(type) {
		case float64:
			y := vb.(float64)
			r = map[bool]int{true: -1, false: 1}[x < y]
			if x == y {
				r = 0
			}
		case string:
			r = strings.Compare(x, vb.(string))
		}
		if c.desc[i] {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

func TestListPagination(t *testing.T) {
	e := newTestEnv(t)
	checkPagination(t, e)
}

// checkPagination pages with a small limit through the same images in many orders, with many
// ties, following the next links: every image comes exactly once and the pages put together
// are the whole list.
func checkPagination(t *testing.T, e *testEnv) {
	names := []any{"a", "b", nil, "c", "a", "b", nil, "a", "d", "b", "c", "a", "e"}
	var all []string
	for i, name := range names {
		attrs := map[string]any{"name": name, "disk_format": []string{"raw", "iso", "qcow2"}[i%3],
			"container_format": []string{"bare", "ovf"}[i%2]}
		var id string
		if i%3 == 0 { // raw: some get data, of sizes with ties
			id = e.activeImage(e.member, attrs, rawData(10*(1+i%2)))
		} else {
			id = e.create(e.member, attrs)["id"].(string)
		}
		// Three distinct creation times, so created_at has ties too.
		setTimes(t, e, id, day(1, 1+i%3), day(2, 1+i%4))
		all = append(all, id)
	}
	for _, c := range sortChecks {
		sep := "&"
		if c.query == "" {
			sep = ""
		}
		full := e.call("GET", "/v2/images?limit=1000"+sep+c.query, e.member, nil).Must(t, http.StatusOK).List("images")
		var fullIDs []string
		for i, img := range full {
			fullIDs = append(fullIDs, img["id"].(string))
			if i > 0 && compareSort(full[i-1], img, c) > 0 {
				t.Errorf("?%s: image %d (%v) is out of order after %v", c.query, i, img["name"], full[i-1]["name"])
			}
		}
		if !sameSet(fullIDs, all) {
			t.Errorf("?%s: the full list has %d images, want %d", c.query, len(fullIDs), len(all))
		}
		var paged []string
		next := "/v2/images?limit=3" + sep + c.query
		for pages := 0; next != ""; pages++ {
			if pages > len(all) {
				t.Fatalf("?%s: the pages never end", c.query)
			}
			res := e.call("GET", next, e.member, nil).Must(t, http.StatusOK)
			imgs := res.List("images")
			if len(imgs) > 3 {
				t.Errorf("?%s: a page of %d images with limit 3", c.query, len(imgs))
			}
			for _, img := range imgs {
				paged = append(paged, img["id"].(string))
			}
			next, _ = res.Body["next"].(string)
			if next != "" && !strings.Contains(next, "marker="+imgs[len(imgs)-1]["id"].(string)) {
				t.Errorf("?%s: next link %s does not start after the page's last image", c.query, next)
			}
		}
		if !slices.Equal(paged, fullIDs) {
			t.Errorf("?%s: the pages put together differ from the full list:\n pages %v\n full  %v", c.query, paged, fullIDs)
		}
	}
}

func TestListLimits(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.ListDefault, o.ListMax = 2, 3 })
	for i := range 5 {
		e.rawImage(e.member, map[string]any{"name": fmt.Sprintf("img-%d", i)})
	}
	res := e.call("GET", "/v2/images", e.member, nil).Must(t, http.StatusOK)
	if n := len(res.List("images")); n != 2 {
		t.Errorf("default page: %d images, want limit_param_default 2", n)
	}
	if next, _ := res.Body["next"].(string); !strings.HasPrefix(next, "/v2/images?marker=") {
		t.Errorf("next link %q", next)
	}
	res = e.call("GET", "/v2/images?limit=100", e.member, nil).Must(t, http.StatusOK)
	if n := len(res.List("images")); n != 3 {
		t.Errorf("limit over api_limit_max: %d images, want 3", n)
	}
	next, _ := res.Body["next"].(string)
	if !strings.Contains(next, "limit=100") {
		t.Errorf("the next link drops the limit: %q", next)
	}
	res = e.call("GET", next, e.member, nil).Must(t, http.StatusOK)
	if n := len(res.List("images")); n != 2 {
		t.Errorf("second page: %d images, want 2", n)
	}
	if _, ok := res.Body["next"]; ok {
		t.Errorf("the last, short page has a next link")
	}
	// A page that happens to end the list still has a next link, which leads to an empty page.
	res = e.call("GET", "/v2/images?limit=1&sort=name:asc&marker="+e.ids(e.member, "sort=name:asc&limit=3")[2], e.member, nil).Must(t, http.StatusOK)
	res = e.call("GET", res.Body["next"].(string), e.member, nil).Must(t, http.StatusOK)
	if len(res.List("images")) != 1 {
		t.Fatalf("last page: %v", res.List("images"))
	}
	if next, _ := res.Body["next"].(string); next != "" {
		if res = e.call("GET", next, e.member, nil).Must(t, http.StatusOK); len(res.List("images")) != 0 {
			t.Errorf("past the end: %v", res.List("images"))
		}
	}
}
