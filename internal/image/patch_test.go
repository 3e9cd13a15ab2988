package image

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// op is one JSON-patch operation of the v2.1 dialect.
func op(name, path string, value ...any) map[string]any {
	o := map[string]any{"op": name, "path": path}
	if len(value) > 0 {
		o["value"] = value[0]
	}
	return o
}

func TestPatchUpdatesCoreFieldsAndProperties(t *testing.T) {
	e := newTestEnv(t)
	id := e.rawImage(e.member, map[string]any{"name": "before", "foo": "bar", "tags": []string{"old"}})
	res := e.patch(e.member, id,
		op("replace", "/name", "after"),
		op("replace", "/min_ram", 8),
		op("add", "/min_disk", 2),
		op("add", "/protected", true),
		op("replace", "/disk_format", "qcow2"),
		op("add", "/hw_disk_bus", "scsi"),
		op("replace", "/foo", "baz"),
		op("add", "/foo", "qux"), // v2.1: add of an existing property replaces it
		op("replace", "/tags", []string{"b", "a"}),
	).Must(t, http.StatusOK)
	oracle(t, "PATCH", "/v2/images/"+id, res.Status, res.Raw)
	want := map[string]any{"name": "after", "min_ram": 8.0, "min_disk": 2.0, "protected": true, "disk_format": "qcow2",
		"hw_disk_bus": "scsi", "foo": "qux", "status": "queued"}
	for k, v := range want {
		if res.Body[k] != v {
			t.Errorf("PATCH answer: %s = %v, want %v", k, res.Body[k], v)
		}
	}
	if tags := res.Body["tags"].([]any); len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
		t.Errorf("tags = %v, want [a b]", tags)
	}
	shown := e.show(e.member, id)
	for k, v := range want {
		if shown[k] != v {
			t.Errorf("after PATCH: %s = %v, want %v", k, shown[k], v)
		}
	}

	res = e.patch(e.member, id, op("remove", "/foo"), op("replace", "/name", nil), op("add", "/os_hidden", true),
		op("replace", "/protected", false)).Must(t, http.StatusOK)
	if _, ok := res.Body["foo"]; ok {
		t.Errorf("removed property still shown: %v", res.Body["foo"])
	}
	if v, ok := res.Body["name"]; !ok || v != nil {
		t.Errorf("name after replace with null = %v (present %v), want null", v, ok)
	}
	if res.Body["os_hidden"] != true {
		t.Errorf("os_hidden = %v", res.Body["os_hidden"])
	}
	shown = e.show(e.member, id)
	if _, ok := shown["foo"]; ok || shown["name"] != nil || shown["hw_disk_bus"] != "scsi" {
		t.Errorf("after remove: foo present %v, name %v, hw_disk_bus %v", ok, shown["name"], shown["hw_disk_bus"])
	}

	// An empty patch is a 200 that changes nothing, as in Glance.
	before := e.show(e.member, id)
	e.call("PATCH", "/v2/images/"+id, e.member, "[]", "Content-Type", patchV21).Must(t, http.StatusOK)
	sameImage(t, e, e.member, id, before, "an empty patch")
}

func TestPatchRefusalsChangeNothing(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.PropertyQuota, o.TagQuota = 3, 3 })
	id := e.rawImage(e.member, map[string]any{"name": "img", "foo": "bar", "tags": []string{"t1"}})
	long := strings.Repeat("x", 256)
	cases := []struct {
		name   string
		ops    []map[string]any
		status int
		says   string
	}{
		{"replace missing property", []map[string]any{op("replace", "/nope", "x")}, http.StatusConflict, "Property nope does not exist."},
		{"remove missing property", []map[string]any{op("remove", "/nope")}, http.StatusConflict, "Property nope does not exist."},
		{"remove core name", []map[string]any{op("remove", "/name")}, http.StatusForbidden, "Property name may not be removed."},
		{"remove core min_ram", []map[string]any{op("remove", "/min_ram")}, http.StatusForbidden, "may not be removed"},
		{"remove tags", []map[string]any{op("remove", "/tags")}, http.StatusForbidden, "may not be removed"},
		{"locations", []map[string]any{op("replace", "/locations", []any{})}, http.StatusForbidden, "locations"},
		{"empty path", []map[string]any{op("replace", "", "x")}, http.StatusBadRequest, "JSON pointer"},
		{"root path", []map[string]any{op("replace", "/", "x")}, http.StatusBadRequest, "JSON pointer"},
		{"deep path", []map[string]any{op("add", "/a/b", "x")}, http.StatusBadRequest, "Invalid JSON pointer for this resource: '/a/b'"},
		{"bare name in v2.1", []map[string]any{op("replace", "name", "x")}, http.StatusBadRequest, "JSON pointer"},
		{"bad escape", []map[string]any{op("add", "/a~2b", "x")}, http.StatusBadRequest, "JSON pointer"},
		{"trailing tilde", []map[string]any{op("add", "/a~", "x")}, http.StatusBadRequest, "JSON pointer"},
		{"no path", []map[string]any{{"op": "add", "value": "x"}}, http.StatusBadRequest, "path"},
		{"path not a string", []map[string]any{{"op": "add", "path": 5, "value": "x"}}, http.StatusBadRequest, "path"},
		{"move", []map[string]any{op("move", "/name", "x")}, http.StatusBadRequest, "move"},
		{"test", []map[string]any{op("test", "/name", "img")}, http.StatusBadRequest, "test"},
		{"no op", []map[string]any{{"path": "/name", "value": "x"}}, http.StatusBadRequest, "op"},
		{"op not a string", []map[string]any{{"op": 1, "path": "/name", "value": "x"}}, http.StatusBadRequest, ""},
		{"add without value", []map[string]any{op("add", "/name")}, http.StatusBadRequest, "value"},
		{"replace without value", []map[string]any{op("replace", "/foo")}, http.StatusBadRequest, "value"},
		{"min_ram string", []map[string]any{op("replace", "/min_ram", "8")}, http.StatusBadRequest, "min_ram"},
		{"min_ram negative", []map[string]any{op("replace", "/min_ram", -1)}, http.StatusBadRequest, "min_ram"},
		{"min_disk fraction", []map[string]any{op("replace", "/min_disk", 1.5)}, http.StatusBadRequest, "min_disk"},
		{"min_disk huge", []map[string]any{op("replace", "/min_disk", 1e12)}, http.StatusBadRequest, "min_disk"},
		{"protected yes", []map[string]any{op("replace", "/protected", "yes")}, http.StatusBadRequest, "boolean"},
		{"os_hidden number", []map[string]any{op("replace", "/os_hidden", 1)}, http.StatusBadRequest, "boolean"},
		{"name number", []map[string]any{op("replace", "/name", 5)}, http.StatusBadRequest, "string"},
		{"name too long", []map[string]any{op("replace", "/name", long)}, http.StatusBadRequest, "name"},
		{"visibility unknown", []map[string]any{op("replace", "/visibility", "secret")}, http.StatusBadRequest, "secret"},
		{"disk_format unknown", []map[string]any{op("replace", "/disk_format", "floppy")}, http.StatusBadRequest, "floppy"},
		{"container_format unknown", []map[string]any{op("replace", "/container_format", "zip")}, http.StatusBadRequest, "zip"},
		{"tags not a list", []map[string]any{op("replace", "/tags", "a")}, http.StatusBadRequest, "array"},
		{"tag not a string", []map[string]any{op("replace", "/tags", []any{1})}, http.StatusBadRequest, "tag"},
		{"empty tag", []map[string]any{op("replace", "/tags", []any{""})}, http.StatusBadRequest, "tag"},
		{"duplicate tags", []map[string]any{op("replace", "/tags", []any{"a", "a"})}, http.StatusBadRequest, "non-unique"},
		{"too many tags", []map[string]any{op("replace", "/tags", []any{"a", "b", "c", "d"})}, http.StatusRequestEntityTooLarge, "image tags"},
		{"property number", []map[string]any{op("add", "/hw_disk_bus", 5)}, http.StatusBadRequest, "string"},
		{"property null", []map[string]any{op("add", "/hw_disk_bus", nil)}, http.StatusBadRequest, "string"},
		{"property name too long", []map[string]any{op("add", "/"+long, "x")}, http.StatusBadRequest, "255"},
		{"too many properties", []map[string]any{op("add", "/p1", "x"), op("add", "/p2", "x"), op("add", "/p3", "x")},
			http.StatusRequestEntityTooLarge, "image properties"},
		{"owner by a member", []map[string]any{op("replace", "/owner", e.otherP)}, http.StatusForbidden, "owner"},
		{"public by a member", []map[string]any{op("replace", "/visibility", "public")}, http.StatusForbidden, "publicize_image"},
		{"last op fails", []map[string]any{op("replace", "/name", "new"), op("add", "/x", "y"), op("replace", "/min_ram", 99),
			op("replace", "/tags", []any{"z"}), op("remove", "/foo"), op("remove", "/name")}, http.StatusForbidden, "may not be removed"},
		{"good ops then a read-only one", []map[string]any{op("replace", "/name", "new"), op("replace", "/status", "active")},
			http.StatusForbidden, "Attribute 'status' is read-only."},
		{"good ops then public", []map[string]any{op("replace", "/name", "new"), op("add", "/x", "y"), op("replace", "/visibility", "public")},
			http.StatusForbidden, "publicize_image"},
	}
	for _, attr := range []string{"status", "checksum", "size", "virtual_size", "created_at", "updated_at", "id",
		"os_hash_algo", "os_hash_value", "file", "self", "schema", "direct_url"} {
		for _, o := range []string{"add", "replace", "remove"} {
			ops := []map[string]any{op(o, "/"+attr, "x")}
			if o == "remove" {
				ops = []map[string]any{op(o, "/"+attr)}
			}
			cases = append(cases, struct {
				name   string
				ops    []map[string]any
				status int
				says   string
			}{o + " read-only " + attr, ops, http.StatusForbidden, "Attribute '" + attr + "' is read-only."})
		}
	}
	for _, attr := range []string{"os_glance_import_task", "os_glance_anything", "deleted", "deleted_at", "location"} {
		for _, o := range []map[string]any{op("add", "/"+attr, "x"), op("replace", "/"+attr, "x"), op("remove", "/"+attr)} {
			cases = append(cases, struct {
				name   string
				ops    []map[string]any
				status int
				says   string
			}{o["op"].(string) + " reserved " + attr, []map[string]any{o}, http.StatusForbidden, "Attribute '" + attr + "' is reserved."})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.as(t)
			before := e.show(e.member, id)
			mustSay(t, e.patch(e.member, id, c.ops...), c.status, c.says)
			sameImage(t, e, e.member, id, before, "a refused patch")
		})
	}
}

func TestPatchRefusesBadRequests(t *testing.T) {
	e := newTestEnv(t)
	id := e.rawImage(e.member, map[string]any{"name": "img"})
	good := `[{"op": "replace", "path": "/name", "value": "x"}]`
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"json", "application/json", good, http.StatusUnsupportedMediaType},
		{"rfc6902", "application/json-patch+json", good, http.StatusUnsupportedMediaType},
		{"text", "text/plain", good, http.StatusUnsupportedMediaType},
		{"v2.2", "application/openstack-images-v2.2-json-patch", good, http.StatusUnsupportedMediaType},
		{"garbage type", ";;;", good, http.StatusUnsupportedMediaType},
		{"not json", patchV21, "not json", http.StatusBadRequest},
		{"object", patchV21, `{"op": "replace", "path": "/name", "value": "x"}`, http.StatusBadRequest},
		{"list of numbers", patchV21, `[1]`, http.StatusBadRequest},
		{"list of lists", patchV21, `[[]]`, http.StatusBadRequest},
		{"list with null", patchV21, `[null]`, http.StatusBadRequest},
		{"empty body", patchV21, ``, http.StatusBadRequest},
		{"trailing data", patchV21, good + `[]`, http.StatusBadRequest},
		{"truncated", patchV21, good[:20], http.StatusBadRequest},
		{"too large", patchV21, `[{"op": "add", "path": "/big", "value": "` + strings.Repeat("x", 200000) + `"}]`, http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.as(t)
			before := e.show(e.member, id)
			res := e.call("PATCH", "/v2/images/"+id, e.member, c.body, "Content-Type", c.contentType)
			if res.Status != c.status {
				t.Errorf("status %d, want %d: %s", res.Status, c.status, message(res))
			}
			sameImage(t, e, e.member, id, before, "a refused patch")
		})
	}
	// Without a Content-Type.
	before := e.show(e.member, id)
	res := e.call("PATCH", "/v2/images/"+id, e.member, []byte(good), "Content-Type", "")
	mustSay(t, res, http.StatusUnsupportedMediaType, patchV21)
	sameImage(t, e, e.member, id, before, "a patch without a Content-Type")
	// Parameters of the media type are fine.
	e.call("PATCH", "/v2/images/"+id, e.member, good, "Content-Type", patchV21+"; charset=UTF-8").Must(t, http.StatusOK)
}

func TestPatchV20Dialect(t *testing.T) {
	e := newTestEnv(t)
	id := e.rawImage(e.member, map[string]any{"name": "img", "foo": "bar"})
	patch20 := func(body string) (int, map[string]any, string) {
		res := e.call("PATCH", "/v2/images/"+id, e.member, body, "Content-Type", patchV20)
		return res.Status, res.Body, message(res)
	}
	// Glance's draft-4 dialect names the operation as the key and the JSON pointer as its value.
	status, img, msg := patch20(`[{"replace": "/name", "value": "v20"}, {"add": "/hw_disk_bus", "value": "virtio"}, {"remove": "/foo"}]`)
	if status != http.StatusOK {
		t.Fatalf("v2.0 patch: %d %s", status, msg)
	}
	if _, hasFoo := img["foo"]; img["name"] != "v20" || img["hw_disk_bus"] != "virtio" || hasFoo {
		t.Errorf("after the v2.0 patch: %v", img)
	}
	before := e.show(e.member, id)
	for _, c := range []struct {
		body   string
		status int
		says   string
	}{
		{`[{"add": "/hw_disk_bus", "value": "scsi"}]`, http.StatusConflict, "Property hw_disk_bus already present."},
		{`[{"add": "/name", "value": "again"}]`, http.StatusConflict, "Property name already present."},
		{`[{"replace": "/name", "value": "x"}, {"add": "/min_ram", "value": 1}]`, http.StatusConflict, "already present"},
		{`[{"replace": "/name", "add": "/x", "value": "v"}]`, http.StatusBadRequest, "only one"},
		{`[{"value": "v"}]`, http.StatusBadRequest, "exactly one"},
		{`[{"op": "replace", "path": "/name", "value": "x"}]`, http.StatusBadRequest, "exactly one"},
		{`[{"replace": "name", "value": "x"}]`, http.StatusBadRequest, "JSON pointer"},
		{`[{"replace": 7, "value": "x"}]`, http.StatusBadRequest, "path"},
		{`[{"replace": "/status", "value": "active"}]`, http.StatusForbidden, "Attribute 'status' is read-only."},
		{`[{"replace": "/nope", "value": "x"}]`, http.StatusConflict, "Property nope does not exist."},
	} {
		status, _, msg := patch20(c.body)
		if status != c.status || !strings.Contains(msg, c.says) {
			t.Errorf("v2.0 %s: %d %q, want %d saying %q", c.body, status, msg, c.status, c.says)
		}
		sameImage(t, e, e.member, id, before, "a refused v2.0 patch")
	}
	status, img, msg = patch20(`[{"add": "/new_prop", "value": "v"}, {"replace": "/tags", "value": ["x"]}]`)
	if status != http.StatusOK || img["new_prop"] != "v" {
		t.Errorf("v2.0 add of a new property: %d %s", status, msg)
	}
}

func TestPatchActiveImageFormatsAreFixed(t *testing.T) {
	e := newTestEnv(t)
	id := e.activeImage(e.member, map[string]any{"name": "active"}, rawData(1024))
	before := e.show(e.member, id)
	for _, o := range []map[string]any{op("replace", "/disk_format", "qcow2"), op("replace", "/container_format", "ovf"),
		op("add", "/disk_format", "iso")} {
		mustSay(t, e.patch(e.member, id, op("replace", "/name", "renamed"), o), http.StatusForbidden, "queued image")
		sameImage(t, e, e.member, id, before, "a format change of an active image")
	}
	// Other attributes of an active image may change.
	res := e.patch(e.member, id, op("replace", "/name", "renamed"), op("add", "/os_distro", "cirros")).Must(t, http.StatusOK)
	if res.Body["name"] != "renamed" || res.Body["status"] != "active" || res.Body["checksum"] != before["checksum"] {
		t.Errorf("after patching an active image: %v", res.Body)
	}
}

func TestPatchVisibilityAndOwner(t *testing.T) {
	e := newTestEnv(t)
	id := e.rawImage(e.member, map[string]any{"name": "vis"})
	for _, v := range []string{"community", "private", "shared"} {
		res := e.patch(e.member, id, op("replace", "/visibility", v)).Must(t, http.StatusOK)
		if res.Body["visibility"] != v {
			t.Errorf("visibility = %v, want %v", res.Body["visibility"], v)
		}
	}
	before := e.show(e.member, id)
	mustSay(t, e.patch(e.member, id, op("replace", "/visibility", "public")), http.StatusForbidden, "publicize_image")
	sameImage(t, e, e.member, id, before, "a member's publicize")
	mustSay(t, e.patch(e.member, id, op("replace", "/owner", e.otherP)), http.StatusForbidden, "owner")
	sameImage(t, e, e.member, id, before, "a member's owner change")

	res := e.patch(e.admin, id, op("replace", "/visibility", "public")).Must(t, http.StatusOK)
	oracle(t, "PATCH", "/v2/images/"+id, res.Status, res.Raw)
	if res.Body["visibility"] != "public" {
		t.Errorf("admin publicize: %v", res.Body["visibility"])
	}
	// Everyone sees a public image, but only its owner's members and admins change it.
	e.show(e.other, id)
	before = e.show(e.member, id)
	mustSay(t, e.patch(e.other, id, op("replace", "/name", "mine")), http.StatusForbidden, "modify_image")
	mustSay(t, e.patch(e.reader, id, op("replace", "/name", "mine")), http.StatusForbidden, "modify_image")
	sameImage(t, e, e.member, id, before, "a patch by another project")

	res = e.patch(e.admin, id, op("replace", "/owner", e.otherP), op("replace", "/visibility", "private")).Must(t, http.StatusOK)
	if res.Body["owner"] != e.otherP {
		t.Errorf("admin owner change: owner %v", res.Body["owner"])
	}
	e.call("GET", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNotFound)
	if img := e.show(e.other, id); img["owner"] != e.otherP || img["visibility"] != "private" {
		t.Errorf("the new owner sees %v", img)
	}
}

func TestPatchPermissionsAndMissingImages(t *testing.T) {
	e := newTestEnv(t)
	id := e.rawImage(e.member, map[string]any{"name": "private", "visibility": "private"})
	before := e.show(e.member, id)
	e.patch(e.other, id, op("replace", "/name", "x")).Must(t, http.StatusNotFound)
	e.patch(e.reader, id, op("replace", "/name", "x")).Must(t, http.StatusForbidden)
	e.patch("", id, op("replace", "/name", "x")).Must(t, http.StatusUnauthorized)
	sameImage(t, e, e.member, id, before, "a refused patch")
	e.patch(e.admin, id, op("replace", "/name", "by admin")).Must(t, http.StatusOK)
	e.patch(e.member, "00000000-0000-0000-0000-000000000000", op("replace", "/name", "x")).Must(t, http.StatusNotFound)
	e.call("DELETE", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.patch(e.member, id, op("replace", "/name", "x")).Must(t, http.StatusNotFound)
}

func TestTagsEndpoints(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.TagQuota = 2 })
	id := e.rawImage(e.member, map[string]any{"tags": []string{"a"}})
	e.call("PUT", "/v2/images/"+id+"/tags/b", e.member, nil).Must(t, http.StatusNoContent)
	e.call("PUT", "/v2/images/"+id+"/tags/b", e.member, nil).Must(t, http.StatusNoContent) // twice is fine
	tags := e.show(e.member, id)["tags"].([]any)
	if len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
		t.Errorf("tags = %v", tags)
	}
	before := e.show(e.member, id)
	mustSay(t, e.call("PUT", "/v2/images/"+id+"/tags/c", e.member, nil), http.StatusRequestEntityTooLarge, "image tags")
	e.call("PUT", "/v2/images/"+id+"/tags/"+strings.Repeat("t", 256), e.member, nil).Must(t, http.StatusBadRequest)
	e.call("PUT", "/v2/images/"+id+"/tags/c", e.reader, nil).Must(t, http.StatusForbidden)
	e.call("PUT", "/v2/images/"+id+"/tags/c", e.other, nil).Must(t, http.StatusNotFound)
	e.call("DELETE", "/v2/images/"+id+"/tags/a", e.reader, nil).Must(t, http.StatusForbidden)
	e.call("DELETE", "/v2/images/"+id+"/tags/zzz", e.member, nil).Must(t, http.StatusNotFound)
	sameImage(t, e, e.member, id, before, "a refused tag change")
	e.call("DELETE", "/v2/images/"+id+"/tags/a", e.member, nil).Must(t, http.StatusNoContent)
	e.call("DELETE", "/v2/images/"+id+"/tags/a", e.member, nil).Must(t, http.StatusNotFound)
	e.call("PUT", "/v2/images/"+id+"/tags/with%20space", e.member, nil).Must(t, http.StatusNoContent)
	tags = e.show(e.member, id)["tags"].([]any)
	if !slices.Equal(tags, []any{"b", "with space"}) {
		t.Errorf("tags = %v", tags)
	}
	if ids := e.ids(e.member, query("tag", "with space")); !slices.Equal(ids, []string{id}) {
		t.Errorf("tag filter: %v", ids)
	}
}
