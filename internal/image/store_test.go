package image

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// TestStoreOnEveryDatabase runs the store's queries (create, update, list filters, visibility,
// keyset pagination, members, uploads) through the API on SQLite, MariaDB and PostgreSQL.
func TestStoreOnEveryDatabase(t *testing.T) {
	checks := []struct {
		name  string
		check func(*testing.T, *testEnv)
	}{
		{"records", func(t *testing.T, e *testEnv) { // checks that tolerate each other's images
			checkLifecycle(t, e)
			checkPatchAtomic(t, e)
			checkAwkwardText(t, e)
		}},
		{"members", checkMembers},
		{"filters", func(t *testing.T, e *testEnv) { checkListFilters(t, e, newListFixture(t, e)) }},
		{"visibility", checkListVisibility},
		{"pagination", checkPagination},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
				t.Parallel()
				c.check(t, newTestEnvOn(t, d))
			})
		})
	}
}

// checkLifecycle creates, uploads, downloads, updates and deletes an image.
func checkLifecycle(t *testing.T, e *testEnv) {
	data := rawData(256<<10 + 1)
	id := e.activeImage(e.member, map[string]any{"name": "life", "tags": []string{"t"}, "k": "v"}, data)
	img := e.show(e.member, id)
	if img["status"] != "active" || img["checksum"] != md5Hex(data) || img["size"] != float64(len(data)) || img["k"] != "v" {
		t.Errorf("after upload: %v", img)
	}
	if got := e.call("GET", "/v2/images/"+id+"/file", e.member, nil).Must(t, http.StatusOK); got.Raw != string(data) {
		t.Errorf("download: %d bytes", len(got.Raw))
	}
	e.upload(e.member, id, data).Must(t, http.StatusConflict)
	e.call("DELETE", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("GET", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNotFound)
	assertNoData(t, e)
	// An id given at creation is used, and a second image with it is a 409.
	const fixed = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	e.create(e.member, map[string]any{"id": fixed})
	e.call("POST", "/v2/images", e.member, map[string]any{"id": fixed}).Must(t, http.StatusConflict)
}

// checkPatchAtomic applies a successful patch, then one whose last operation fails.
func checkPatchAtomic(t *testing.T, e *testEnv) {
	id := e.rawImage(e.member, map[string]any{"name": "p", "a": "1", "tags": []string{"x"}})
	e.patch(e.member, id, op("add", "/b", "2"), op("remove", "/a"), op("replace", "/tags", []string{"y", "z"}),
		op("replace", "/min_ram", 512)).Must(t, http.StatusOK)
	img := e.show(e.member, id)
	if _, hasA := img["a"]; hasA || img["b"] != "2" || img["min_ram"] != 512.0 || len(img["tags"].([]any)) != 2 {
		t.Errorf("after patch: %v", img)
	}
	mustSay(t, e.patch(e.member, id, op("add", "/c", "3"), op("replace", "/tags", []string{"q"}), op("replace", "/name", "n"),
		op("replace", "/missing", "x")), http.StatusConflict, "missing")
	sameImage(t, e, e.member, id, img, "a patch whose last operation fails")
}

// checkAwkwardText stores and finds text that databases treat differently: letters beyond
// the BMP, case, trailing spaces, the longest values; and refuses what no database stores
// (NUL, invalid UTF-8) with a 4xx, never a 500.
func checkAwkwardText(t *testing.T, e *testEnv) {
	name := "naïve 🚀 image"
	long := strings.Repeat("é", 127) // 254 bytes
	id := e.rawImage(e.member, map[string]any{"name": name, "Foo": "upper", "foo": "lower", "emoji": "🚀",
		"tags": []string{"a", "A", "a b", "🚀"}, "big": strings.Repeat("v", 65535), long: "long name"})
	img := e.show(e.member, id)
	if img["name"] != name || img["Foo"] != "upper" || img["foo"] != "lower" || img["emoji"] != "🚀" || img[long] != "long name" ||
		len(img["big"].(string)) != 65535 || len(img["tags"].([]any)) != 4 {
		t.Errorf("awkward text came back as %v", img)
	}
	for _, q := range []string{query("name", name), query("Foo", "upper"), query("tag", "🚀"), query("tag", "A")} {
		if ids := e.ids(e.member, q); len(ids) != 1 || ids[0] != id {
			t.Errorf("?%s: %v", q, ids)
		}
	}
	for _, q := range []string{query("Foo", "lower"), query("FOO", "upper"), query("name", strings.ToUpper(name))} {
		if ids := e.ids(e.member, q); len(ids) != 0 {
			t.Errorf("?%s matches %v", q, ids)
		}
	}
	checkTrailingSpaces(t, e, id)

	before := e.show(e.member, id)
	for _, ops := range [][]map[string]any{
		{op("replace", "/name", "nul\x00name")},
		{op("add", "/nul", "a\x00b")},
		{op("add", "/nul\x00key", "v")},
		{op("replace", "/tags", []string{"t\x00"})},
	} {
		if res := e.patch(e.member, id, ops...); res.Status < 400 || res.Status >= 500 {
			t.Errorf("patch %v: %d, want a 4xx", ops, res.Status)
		}
	}
	sameImage(t, e, e.member, id, before, "refused text")
	if res := e.call("POST", "/v2/images", e.member, map[string]any{"name": "a\x00b"}); res.Status < 400 || res.Status >= 500 {
		t.Errorf("create with a NUL: %d", res.Status)
	}
	if res := e.call("POST", "/v2/images/"+id+"/members", e.member, map[string]any{"member": "p\x00"}); res.Status < 400 || res.Status >= 500 {
		t.Errorf("member with a NUL: %d", res.Status)
	}
	for _, path := range []string{"/v2/images/%ff", "/v2/images/%00", "/v2/images?name=%ff", "/v2/images?name=%00",
		"/v2/images?tag=%ff", "/v2/images?tag=%c3&tag=%a9", "/v2/images?prop=%ff", "/v2/images?prop%ff=x", "/v2/images?owner=%00", "/v2/images?marker=%ff",
		"/v2/images?id=in:%ff", "/v2/images/" + id + "/members/%ff", "/v2/images/" + id + "/tags/%ff",
		"/v2/images/" + id + "/tags/%00"} {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			if !strings.Contains(path, "/tags/") && method == "PUT" {
				continue
			}
			if res := e.call(method, path, e.member, nil); res.Status >= 500 {
				t.Errorf("%s %s: %d %s", method, path, res.Status, message(res))
			}
		}
	}
	sameImage(t, e, e.member, id, before, "requests with bad bytes")
}

// checkTrailingSpaces stores tags and property names that differ only in trailing spaces.
// SQLite and PostgreSQL tell them apart. MariaDB's utf8mb4_bin collation pads with spaces (a
// limit of internal/platform/db, which promises binary comparison), so there the service can
// only refuse them with a 409, never a 500.
func checkTrailingSpaces(t *testing.T, e *testEnv, id string) {
	before := e.show(e.member, id)
	tags := len(before["tags"].([]any))
	if e.svc.store.db.Dialect() == db.MySQL {
		mustSay(t, e.patch(e.member, id, op("replace", "/tags", []string{"c", "c "})), http.StatusConflict, "trailing spaces")
		mustSay(t, e.patch(e.member, id, op("add", "/p", "x"), op("add", "/p ", "y")), http.StatusConflict, "trailing spaces")
		sameImage(t, e, e.member, id, before, "refused trailing spaces")
		return
	}
	if ids := e.ids(e.member, query("tag", "a ")); len(ids) != 0 {
		t.Errorf("?tag=a+ matches the tag a: %v", ids)
	}
	e.call("PUT", "/v2/images/"+id+"/tags/b%20", e.member, nil).Must(t, http.StatusNoContent)
	e.call("PUT", "/v2/images/"+id+"/tags/b", e.member, nil).Must(t, http.StatusNoContent)
	if got := e.show(e.member, id)["tags"].([]any); len(got) != tags+2 {
		t.Errorf("tags b and 'b ' are one: %v", got)
	}
	e.patch(e.member, id, op("replace", "/tags", []string{"c", "c "})).Must(t, http.StatusOK)
	e.patch(e.member, id, op("add", "/p", "x"), op("add", "/p ", "y")).Must(t, http.StatusOK)
	if img := e.show(e.member, id); img["p"] != "x" || img["p "] != "y" || len(img["tags"].([]any)) != 2 {
		t.Errorf("properties p and 'p ': %v %v, tags %v", img["p"], img["p "], img["tags"])
	}
}
