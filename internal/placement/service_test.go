package placement

import (
	"net/http"
	"strings"
	"testing"
)

func TestVersionDocument(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("", "GET", "/", "", nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/", res)
	vs := res.List("versions")
	if len(vs) != 1 || vs[0]["id"] != "v1.0" || vs[0]["max_version"] != "1.39" || vs[0]["min_version"] != "1.0" || vs[0]["status"] != "CURRENT" {
		t.Fatalf("versions: %s", res.Raw)
	}
	if links, _ := vs[0]["links"].([]any); len(links) != 1 {
		t.Errorf("links: %v", vs[0]["links"])
	}
	if got := res.Header.Get("OpenStack-API-Version"); got != "placement 1.0" {
		t.Errorf("version header %q", got)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "OpenStack-API-Version") {
		t.Errorf("Vary: %v", res.Header.Values("Vary"))
	}
}

func TestMicroversionNegotiation(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct{ ask, want string }{{"1.14", "placement 1.14"}, {"latest", "placement 1.39"}, {"", "placement 1.0"}} {
		res := e.call(c.ask, "GET", "/resource_providers", e.admin, nil).Must(t, http.StatusOK)
		if got := res.Header.Get("OpenStack-API-Version"); got != c.want {
			t.Errorf("asked %q: got %q, want %q", c.ask, got, c.want)
		}
	}
	res := e.call("1.40", "GET", "/resource_providers", e.admin, nil).Must(t, http.StatusNotAcceptable)
	errs := res.List("errors")
	if len(errs) != 1 || errs[0]["status"] != 406.0 || errs[0]["max_version"] != "1.39" || errs[0]["min_version"] != "1.0" {
		t.Errorf("406 body: %s", res.Raw)
	}
	e.call("2.0", "GET", "/resource_providers", e.admin, nil).Must(t, http.StatusNotAcceptable)
	mustError(t, e.call("one.two", "GET", "/resource_providers", e.admin, nil), http.StatusBadRequest, "", "invalid format")
}

func TestErrorFormat(t *testing.T) {
	e := newTestEnv(t)
	res := e.do("GET", "/resource_providers/"+"00000000-0000-0000-0000-000000000001", nil).Must(t, http.StatusNotFound)
	errs := res.List("errors")
	if len(errs) != 1 {
		t.Fatalf("errors: %s", res.Raw)
	}
	er := errs[0]
	if er["status"] != 404.0 || er["title"] != "Not Found" || er["code"] != codeProviderNotFound ||
		!strings.HasPrefix(er["request_id"].(string), "req-") || !strings.Contains(er["detail"].(string), "No resource provider") {
		t.Errorf("error: %v", er)
	}
	// Before 1.23 errors carry no code.
	old := e.call("1.22", "GET", "/resource_providers/00000000-0000-0000-0000-000000000001", e.admin, nil).Must(t, http.StatusNotFound)
	if _, has := old.List("errors")[0]["code"]; has {
		t.Errorf("code at 1.22: %s", old.Raw)
	}
	// Unrouted paths and methods are JSON too.
	mustError(t, e.do("GET", "/nothing/here", nil), http.StatusNotFound, codeDefault, "could not be found")
	res = e.do("PATCH", "/resource_providers", nil)
	mustError(t, res, http.StatusMethodNotAllowed, codeDefault, "not allowed")
	if res.Header.Get("Allow") == "" {
		t.Error("405 without Allow")
	}
	// No token: 401 in Placement's shape.
	res = e.call(latest, "GET", "/resource_providers", "", nil).Must(t, http.StatusUnauthorized)
	if len(res.List("errors")) != 1 {
		t.Errorf("401 body: %s", res.Raw)
	}
}

func TestPolicy(t *testing.T) {
	e := newTestEnv(t)
	rp := e.provider("cn1", "")
	e.inventory(rp, map[string]int{"VCPU": 8})
	for _, c := range []struct{ method, path string }{
		{"GET", "/resource_providers"}, {"POST", "/resource_providers"}, {"GET", "/resource_providers/" + rp},
		{"DELETE", "/resource_providers/" + rp}, {"GET", "/resource_providers/" + rp + "/inventories"},
		{"PUT", "/resource_providers/" + rp + "/inventories"}, {"GET", "/resource_providers/" + rp + "/usages"},
		{"GET", "/resource_providers/" + rp + "/traits"}, {"GET", "/resource_providers/" + rp + "/aggregates"},
		{"GET", "/resource_classes"}, {"PUT", "/traits/CUSTOM_X"}, {"GET", "/traits"},
		{"PUT", "/allocations/" + rp}, {"POST", "/allocations"}, {"GET", "/allocation_candidates?resources=VCPU:1"},
		{"GET", "/usages?project_id=" + e.demo + "x"},
	} {
		for _, tok := range []string{e.member, e.reader} {
			mustError(t, e.call(latest, c.method, c.path, tok, map[string]any{}), http.StatusForbidden, codeDefault, "Policy does not allow")
		}
	}
	// The service role may do what Nova does.
	e.call(latest, "GET", "/resource_providers/"+rp, e.service, nil).Must(t, http.StatusOK)
	e.call(latest, "GET", "/allocation_candidates?resources=VCPU:1", e.service, nil).Must(t, http.StatusOK)
	// A project reader sees its own project's usages only.
	e.call(latest, "GET", "/usages?project_id="+e.demo, e.reader, nil).Must(t, http.StatusOK)
}
