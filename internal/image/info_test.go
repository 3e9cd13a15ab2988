package image

import (
	"net/http"
	"strings"
	"testing"
)

func TestInfoStores(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("GET", "/v2/info/stores", e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2/info/stores", res.Status, res.Raw)
	// The defaults are Glance's: stores = file, http; the file store is the default, http is read-only.
	stores := res.List("stores")
	if len(stores) != 2 || stores[0]["id"] != "file" || stores[0]["default"] != true ||
		stores[1]["id"] != "http" || stores[1]["read-only"] != "true" || stores[1]["default"] != nil {
		t.Errorf("stores: %v", stores)
	}
	if _, ok := stores[0]["type"]; ok {
		t.Errorf("a non-detailed store shows its type: %v", stores[0])
	}
	mustSay(t, e.call("GET", "/v2/info/stores/detail", e.member, nil), http.StatusForbidden, "stores_info_detail")
	e.call("GET", "/v2/info/stores/detail", e.reader, nil).Must(t, http.StatusForbidden)
	res = e.call("GET", "/v2/info/stores/detail", e.admin, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2/info/stores/detail", res.Status, res.Raw)
	if d := res.List("stores"); len(d) != 2 || d[0]["type"] != "file" || d[0]["default"] != true || d[1]["type"] != "http" {
		t.Errorf("stores detail: %v", d)
	}
	e.call("GET", "/v2/info/stores", "", nil).Must(t, http.StatusUnauthorized)
}

func TestSchemasEndpoints(t *testing.T) {
	e := newTestEnv(t)
	// The generated spec wrongly describes these bodies as strings, so no oracle: they are
	// checked as the JSON schema documents the CLI reads.
	for _, name := range []string{"image", "images", "member", "members", "task", "tasks"} {
		res := e.call("GET", "/v2/schemas/"+name, e.member, nil).Must(t, http.StatusOK)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Content-Type %q", name, res.Header.Get("Content-Type"))
		}
		if res.Body["name"] != name {
			t.Errorf("schema %s is named %v", name, res.Body["name"])
		}
		if _, ok := res.Body["properties"].(map[string]any); !ok {
			t.Errorf("schema %s has no properties", name)
		}
	}
	props := e.call("GET", "/v2/schemas/image", e.member, nil).Obj("properties")
	for _, k := range []string{"id", "name", "status", "visibility", "disk_format", "container_format", "os_hidden", "os_hash_value"} {
		if _, ok := props[k]; !ok {
			t.Errorf("the image schema lacks %s", k)
		}
	}
	for _, name := range []string{"nope", "metadefs", "Image"} {
		e.call("GET", "/v2/schemas/"+name, e.member, nil).Must(t, http.StatusNotFound)
	}
	e.call("GET", "/v2/schemas/image", "", nil).Must(t, http.StatusUnauthorized)
}

func TestVersionDocuments(t *testing.T) {
	e := newTestEnv(t)
	check := func(path string, status int) {
		t.Helper()
		res := e.call("GET", path, "", nil).Must(t, status)
		versions := res.List("versions")
		if len(versions) == 0 {
			t.Fatalf("%s: no versions: %s", path, res.Raw)
		}
		current := 0
		seen := map[string]bool{}
		for _, v := range versions {
			id := v["id"].(string)
			seen[id] = true
			if v["status"] == "CURRENT" {
				current++
				if id != "v2.16" {
					t.Errorf("%s: the CURRENT version is %s", path, id)
				}
			} else if v["status"] != "SUPPORTED" {
				t.Errorf("%s: %s is %v", path, id, v["status"])
			}
			links, _ := v["links"].([]any)
			if len(links) == 0 || !strings.HasSuffix(links[0].(map[string]any)["href"].(string), "/v2/") {
				t.Errorf("%s: %s links %v", path, id, links)
			}
		}
		if current != 1 || !seen["v2.0"] || !seen["v2.1"] || !seen["v2.9"] {
			t.Errorf("%s: versions %v", path, seen)
		}
	}
	check("/", http.StatusMultipleChoices)
	check("/versions", http.StatusOK)
	check("/v2/", http.StatusOK)

	proxied := newTestEnv(t, func(o *Options) { o.PublicEndpoint = "https://cloud.example:9292/" })
	res := proxied.call("GET", "/versions", "", nil).Must(t, http.StatusOK)
	if href := res.List("versions")[0]["links"].([]any)[0].(map[string]any)["href"]; href != "https://cloud.example:9292/v2/" {
		t.Errorf("behind a proxy the version link is %v", href)
	}
}
