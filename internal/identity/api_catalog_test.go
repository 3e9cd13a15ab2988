package identity

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// catalogTestMember creates a Default-domain user with the member role on the demo project and
// returns its id and a demo-scoped token.
func catalogTestMember(t *testing.T, e *testEnv, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	st := e.svc.Store()
	hash, err := e.svc.opts.Hasher.Hash("pw-" + name)
	if err != nil {
		t.Fatal(err)
	}
	u := User{ID: newID(), Name: name, DomainID: DefaultDomainID, Enabled: true, CreatedAt: time.Now().UTC()}
	if err := st.CreateUser(ctx, u, &Password{UserID: u.ID, Hash: hash, CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	demo, err := st.GetProjectByName(ctx, DefaultDomainID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	member, err := st.GetRoleByName(ctx, "", "member")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Grant(ctx, Assignment{Type: UserProject, ActorID: u.ID, TargetID: demo.ID, RoleID: member.ID}); err != nil {
		t.Fatal(err)
	}
	return u.ID, e.login(name, "pw-"+name, "demo")
}

// catStr reads a string field of a decoded object.
func catStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func TestServiceCRUD(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("POST", "/v3/services", e.admin, map[string]any{"service": map[string]any{
		"type": "image", "name": "glance", "description": "OpenStack Image", "color": "blue"}}).must(t, http.StatusCreated)
	svc := res.obj("service")
	id := catStr(svc, "id")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || svc["enabled"] != true || svc["name"] != "glance" ||
		svc["description"] != "OpenStack Image" || svc["color"] != "blue" || !strings.HasSuffix(catStr(res.obj("service", "links"), "self"), "/v3/services/"+id) {
		t.Fatalf("created service: %v", svc)
	}
	e.call("GET", "/v3/services/"+id, e.admin, nil).must(t, http.StatusOK)
	for _, q := range []string{"?type=image", "?name=glance", "?type=image&name=glance"} {
		if list := e.call("GET", "/v3/services"+q, e.admin, nil).must(t, http.StatusOK).list("services"); len(list) != 1 || list[0]["id"] != id {
			t.Errorf("list %s: %v", q, list)
		}
	}
	if list := e.call("GET", "/v3/services", e.admin, nil).must(t, http.StatusOK).list("services"); len(list) != 2 {
		t.Errorf("list all: %v", list) // identity and image
	}
	upd := e.call("PATCH", "/v3/services/"+id, e.admin, map[string]any{"service": map[string]any{
		"enabled": false, "description": "Images", "color": nil}}).must(t, http.StatusOK).obj("service")
	if upd["enabled"] != false || upd["description"] != "Images" || upd["type"] != "image" || upd["name"] != "glance" {
		t.Errorf("updated: %v", upd)
	}
	if _, ok := upd["color"]; ok {
		t.Errorf("extra not removed: %v", upd)
	}
	e.call("PATCH", "/v3/services/"+id, e.admin, map[string]any{"service": map[string]any{}}).must(t, http.StatusBadRequest)
	e.call("PATCH", "/v3/services/"+id, e.admin, map[string]any{"service": map[string]any{"id": "other"}}).must(t, http.StatusBadRequest)
	e.call("PATCH", "/v3/services/nope", e.admin, map[string]any{"service": map[string]any{"name": "x"}}).must(t, http.StatusNotFound)
	e.call("DELETE", "/v3/services/"+id, e.admin, nil).must(t, http.StatusNoContent)
	res = e.call("GET", "/v3/services/"+id, e.admin, nil).must(t, http.StatusNotFound)
	if res.errorMessage() != "Could not find service: "+id+"." {
		t.Errorf("message: %q", res.errorMessage())
	}
	e.call("DELETE", "/v3/services/"+id, e.admin, nil).must(t, http.StatusNotFound)
}

func TestServiceBadInput(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		name string
		body any
		want string // part of the error message
	}{
		{"malformed json", `{"service": `, ""},
		{"no service object", map[string]any{"type": "image"}, "service"},
		{"missing type", map[string]any{"service": map[string]any{"name": "glance"}}, "service.type"},
		{"type not a string", map[string]any{"service": map[string]any{"type": 5}}, "service.type"},
		{"blank type", map[string]any{"service": map[string]any{"type": "  "}}, "service.type"},
		{"long type", map[string]any{"service": map[string]any{"type": strings.Repeat("x", 256)}}, "service.type"},
		{"empty name", map[string]any{"service": map[string]any{"type": "image", "name": ""}}, "service.name"},
		{"enabled not a boolean", map[string]any{"service": map[string]any{"type": "image", "enabled": "yes"}}, "service.enabled"},
		{"description not a string", map[string]any{"service": map[string]any{"type": "image", "description": 1}}, "service.description"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", "/v3/services", e.admin, c.body).must(t, http.StatusBadRequest)
			if !strings.Contains(res.errorMessage(), c.want) {
				t.Errorf("message %q does not name %q", res.errorMessage(), c.want)
			}
		})
	}
	if list := e.call("GET", "/v3/services", e.admin, nil).list("services"); len(list) != 1 {
		t.Errorf("something was written: %v", list)
	}
}

func TestCatalogPolicy(t *testing.T) {
	e := newTestEnv(t)
	_, member := catalogTestMember(t, e, "alice")
	svc := e.call("POST", "/v3/services", e.admin, map[string]any{"service": map[string]any{"type": "image"}}).must(t, http.StatusCreated).obj("service")
	cases := []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/v3/services", map[string]any{"service": map[string]any{"type": "image"}}, http.StatusForbidden},
		{"GET", "/v3/services", nil, http.StatusForbidden},
		{"GET", "/v3/services/" + catStr(svc, "id"), nil, http.StatusForbidden},
		{"PATCH", "/v3/services/" + catStr(svc, "id"), map[string]any{"service": map[string]any{"name": "x"}}, http.StatusForbidden},
		{"DELETE", "/v3/services/" + catStr(svc, "id"), nil, http.StatusForbidden},
		{"POST", "/v3/endpoints", map[string]any{"endpoint": map[string]any{"service_id": catStr(svc, "id"), "interface": "public", "url": "http://x"}}, http.StatusForbidden},
		{"GET", "/v3/endpoints", nil, http.StatusForbidden},
		{"POST", "/v3/regions", map[string]any{"region": map[string]any{}}, http.StatusForbidden},
		{"PUT", "/v3/regions/R2", map[string]any{"region": map[string]any{}}, http.StatusForbidden},
		{"PATCH", "/v3/regions/RegionOne", map[string]any{"region": map[string]any{"description": "x"}}, http.StatusForbidden},
		{"DELETE", "/v3/regions/RegionOne", nil, http.StatusForbidden},
		{"GET", "/v3/regions", nil, http.StatusOK},
		{"GET", "/v3/regions/RegionOne", nil, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			e.call(c.method, c.path, member, c.body).must(t, c.status)
		})
	}
	e.call("GET", "/v3/services", "", nil).must(t, http.StatusUnauthorized)
}

// catalogTestService creates a service of the given type and returns its id.
func catalogTestService(t *testing.T, e *testEnv, typ string) string {
	t.Helper()
	res := e.call("POST", "/v3/services", e.admin, map[string]any{"service": map[string]any{"type": typ, "name": typ}}).must(t, http.StatusCreated)
	return catStr(res.obj("service"), "id")
}

func TestEndpointCRUD(t *testing.T) {
	e := newTestEnv(t)
	svc := catalogTestService(t, e, "image")
	res := e.call("POST", "/v3/endpoints", e.admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "public", "url": "http://controller:9292", "region_id": "RegionOne", "note": "x"}}).must(t, http.StatusCreated)
	ep := res.obj("endpoint")
	id := catStr(ep, "id")
	if ep["region_id"] != "RegionOne" || ep["region"] != "RegionOne" || ep["service_id"] != svc || ep["enabled"] != true ||
		ep["url"] != "http://controller:9292" || ep["interface"] != "public" || ep["note"] != "x" {
		t.Fatalf("created endpoint: %v", ep)
	}
	e.call("POST", "/v3/endpoints", e.admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "internal", "url": "http://controller:9292"}}).must(t, http.StatusCreated)

	filters := map[string]int{"": 5, "?service_id=" + svc: 2, "?interface=public": 2, "?region_id=RegionOne": 4,
		"?service_id=" + svc + "&interface=internal": 1}
	for q, n := range filters {
		if list := e.call("GET", "/v3/endpoints"+q, e.admin, nil).must(t, http.StatusOK).list("endpoints"); len(list) != n {
			t.Errorf("list %q: %d endpoints, want %d", q, len(list), n)
		}
	}
	upd := e.call("PATCH", "/v3/endpoints/"+id, e.admin, map[string]any{"endpoint": map[string]any{
		"url": "https://images.example.com", "interface": "admin", "region_id": nil, "enabled": false}}).must(t, http.StatusOK).obj("endpoint")
	if upd["url"] != "https://images.example.com" || upd["interface"] != "admin" || upd["region_id"] != nil || upd["enabled"] != false || upd["note"] != "x" {
		t.Errorf("updated: %v", upd)
	}
	got := e.call("GET", "/v3/endpoints/"+id, e.admin, nil).must(t, http.StatusOK).obj("endpoint")
	if got["url"] != "https://images.example.com" {
		t.Errorf("get after update: %v", got)
	}
	// The legacy "region" attribute creates a region that does not exist, as in Keystone.
	legacy := e.call("PATCH", "/v3/endpoints/"+id, e.admin, map[string]any{"endpoint": map[string]any{"region": "RegionTwo"}}).must(t, http.StatusOK).obj("endpoint")
	if legacy["region_id"] != "RegionTwo" {
		t.Errorf("legacy region: %v", legacy)
	}
	e.call("GET", "/v3/regions/RegionTwo", e.admin, nil).must(t, http.StatusOK)

	e.call("DELETE", "/v3/endpoints/"+id, e.admin, nil).must(t, http.StatusNoContent)
	e.call("GET", "/v3/endpoints/"+id, e.admin, nil).must(t, http.StatusNotFound)
	e.call("DELETE", "/v3/endpoints/"+id, e.admin, nil).must(t, http.StatusNotFound)
	e.call("PATCH", "/v3/endpoints/"+id, e.admin, map[string]any{"endpoint": map[string]any{"url": "http://x"}}).must(t, http.StatusNotFound)

	// Deleting a service removes its endpoints.
	e.call("DELETE", "/v3/services/"+svc, e.admin, nil).must(t, http.StatusNoContent)
	if list := e.call("GET", "/v3/endpoints?service_id="+svc, e.admin, nil).list("endpoints"); len(list) != 0 {
		t.Errorf("endpoints left: %v", list)
	}
}

func TestEndpointBadInput(t *testing.T) {
	e := newTestEnv(t)
	svc := catalogTestService(t, e, "compute")
	ep := func(change map[string]any) map[string]any {
		body := map[string]any{"service_id": svc, "interface": "public", "url": "http://controller:8774/v2.1"}
		for k, v := range change {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return map[string]any{"endpoint": body}
	}
	cases := []struct {
		name string
		body any
		want string
	}{
		{"malformed json", `{"endpoint": {`, ""},
		{"unknown service", ep(map[string]any{"service_id": "nope"}), "endpoint.service_id"},
		{"missing service", ep(map[string]any{"service_id": nil}), "endpoint.service_id"},
		{"bad interface", ep(map[string]any{"interface": "private"}), "endpoint.interface"},
		{"interface not a string", ep(map[string]any{"interface": 1}), "endpoint.interface"},
		{"missing interface", ep(map[string]any{"interface": nil}), "endpoint.interface"},
		{"missing url", ep(map[string]any{"url": nil}), "endpoint.url"},
		{"url not a string", ep(map[string]any{"url": []any{"http://x"}}), "endpoint.url"},
		{"url without scheme", ep(map[string]any{"url": "controller"}), "endpoint.url"},
		{"url too long", ep(map[string]any{"url": "http://" + strings.Repeat("x", 220)}), "endpoint.url"},
		{"unknown substitution", ep(map[string]any{"url": "http://c:8774/v2.1/%(admin_token)s"}), "endpoint.url"},
		{"unknown dollar substitution", ep(map[string]any{"url": "http://c:8774/v2.1/$(foo)s"}), "endpoint.url"},
		{"bare percent", ep(map[string]any{"url": "http://c:8774/a%20b"}), "endpoint.url"},
		{"unknown region", ep(map[string]any{"region_id": "Atlantis"}), "endpoint.region_id"},
		{"region_id not a string", ep(map[string]any{"region_id": 7}), "endpoint.region_id"},
		{"enabled not a boolean", ep(map[string]any{"enabled": "true"}), "endpoint.enabled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", "/v3/endpoints", e.admin, c.body).must(t, http.StatusBadRequest)
			if !strings.Contains(res.errorMessage(), c.want) {
				t.Errorf("message %q does not name %q", res.errorMessage(), c.want)
			}
		})
	}
	if list := e.call("GET", "/v3/endpoints?service_id="+svc, e.admin, nil).list("endpoints"); len(list) != 0 {
		t.Errorf("something was written: %v", list)
	}
	if e.call("GET", "/v3/regions/Atlantis", e.admin, nil).status != http.StatusNotFound {
		t.Error("a region was created for an unknown region_id")
	}
	for _, url := range []string{"http://c:8774/v2.1/$(project_id)s", "http://c:8080/v1/AUTH_%(tenant_id)s", "http://c/100%%"} {
		e.call("POST", "/v3/endpoints", e.admin, ep(map[string]any{"url": url})).must(t, http.StatusCreated)
	}
	created := e.call("POST", "/v3/endpoints", e.admin, ep(nil)).must(t, http.StatusCreated).obj("endpoint")
	id := catStr(created, "id")
	for name, body := range map[string]any{
		"empty":           map[string]any{"endpoint": map[string]any{}},
		"unknown service": map[string]any{"endpoint": map[string]any{"service_id": "nope"}},
		"bad interface":   map[string]any{"endpoint": map[string]any{"interface": "x"}},
		"bad url":         map[string]any{"endpoint": map[string]any{"url": "%(x)s"}},
		"unknown region":  map[string]any{"endpoint": map[string]any{"region_id": "Atlantis"}},
		"changed id":      map[string]any{"endpoint": map[string]any{"id": "other"}},
	} {
		t.Run("patch "+name, func(t *testing.T) {
			e.call("PATCH", "/v3/endpoints/"+id, e.admin, body).must(t, http.StatusBadRequest)
		})
	}
}

func TestRegions(t *testing.T) {
	e := newTestEnv(t)
	gen := e.call("POST", "/v3/regions", e.admin, map[string]any{"region": map[string]any{"description": "generated"}}).must(t, http.StatusCreated).obj("region")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(catStr(gen, "id")) || gen["description"] != "generated" || gen["parent_region_id"] != nil {
		t.Fatalf("generated region: %v", gen)
	}
	e.call("POST", "/v3/regions", e.admin, map[string]any{"region": map[string]any{"id": "Europe"}}).must(t, http.StatusCreated)
	put := e.call("PUT", "/v3/regions/Paris", e.admin, map[string]any{"region": map[string]any{"parent_region_id": "Europe"}}).must(t, http.StatusCreated).obj("region")
	if put["id"] != "Paris" || put["parent_region_id"] != "Europe" || put["description"] != "" {
		t.Fatalf("put region: %v", put)
	}
	e.call("PUT", "/v3/regions/Lyon", e.admin, map[string]any{"region": map[string]any{"id": "Lyon", "parent_region_id": "Paris"}}).must(t, http.StatusCreated)

	if list := e.call("GET", "/v3/regions?parent_region_id=Europe", e.admin, nil).must(t, http.StatusOK).list("regions"); len(list) != 1 || list[0]["id"] != "Paris" {
		t.Errorf("children of Europe: %v", list)
	}
	if list := e.call("GET", "/v3/regions", e.admin, nil).list("regions"); len(list) != 5 {
		t.Errorf("all regions: %v", list)
	}

	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"duplicate", "POST", "/v3/regions", map[string]any{"region": map[string]any{"id": "Europe"}}, http.StatusConflict},
		{"duplicate put", "PUT", "/v3/regions/Europe", map[string]any{"region": map[string]any{}}, http.StatusConflict},
		{"conflicting ids", "PUT", "/v3/regions/Berlin", map[string]any{"region": map[string]any{"id": "Bonn"}}, http.StatusBadRequest},
		{"unknown parent", "POST", "/v3/regions", map[string]any{"region": map[string]any{"parent_region_id": "Mars"}}, http.StatusNotFound},
		{"own parent on create", "PUT", "/v3/regions/Nice", map[string]any{"region": map[string]any{"parent_region_id": "Nice"}}, http.StatusNotFound},
		{"id not a string", "POST", "/v3/regions", map[string]any{"region": map[string]any{"id": 5}}, http.StatusBadRequest},
		{"description not a string", "POST", "/v3/regions", map[string]any{"region": map[string]any{"description": true}}, http.StatusBadRequest},
		{"long id", "POST", "/v3/regions", map[string]any{"region": map[string]any{"id": strings.Repeat("r", 256)}}, http.StatusBadRequest},
		{"malformed", "POST", "/v3/regions", `{"region": [`, http.StatusBadRequest},
		{"cycle", "PATCH", "/v3/regions/Europe", map[string]any{"region": map[string]any{"parent_region_id": "Lyon"}}, http.StatusBadRequest},
		{"self parent", "PATCH", "/v3/regions/Europe", map[string]any{"region": map[string]any{"parent_region_id": "Europe"}}, http.StatusBadRequest},
		{"patch unknown parent", "PATCH", "/v3/regions/Europe", map[string]any{"region": map[string]any{"parent_region_id": "Mars"}}, http.StatusNotFound},
		{"patch unknown region", "PATCH", "/v3/regions/Mars", map[string]any{"region": map[string]any{"description": "x"}}, http.StatusNotFound},
		{"patch empty", "PATCH", "/v3/regions/Europe", map[string]any{"region": map[string]any{}}, http.StatusBadRequest},
		{"patch id", "PATCH", "/v3/regions/Europe", map[string]any{"region": map[string]any{"id": "Asia"}}, http.StatusBadRequest},
		{"get unknown", "GET", "/v3/regions/Mars", nil, http.StatusNotFound},
		{"delete unknown", "DELETE", "/v3/regions/Mars", nil, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.call(c.method, c.path, e.admin, c.body).must(t, c.status)
		})
	}
	if e.call("GET", "/v3/regions/Nice", e.admin, nil).status != http.StatusNotFound {
		t.Error("a failed PUT created its region")
	}
	cyc := e.call("PATCH", "/v3/regions/Europe", e.admin, map[string]any{"region": map[string]any{"parent_region_id": "Lyon"}})
	if !strings.Contains(cyc.errorMessage(), "circular region hierarchy") {
		t.Errorf("cycle message: %q", cyc.errorMessage())
	}

	upd := e.call("PATCH", "/v3/regions/Lyon", e.admin, map[string]any{"region": map[string]any{
		"parent_region_id": "Europe", "description": "Rhône"}}).must(t, http.StatusOK).obj("region")
	if upd["parent_region_id"] != "Europe" || upd["description"] != "Rhône" {
		t.Errorf("updated: %v", upd)
	}
	upd = e.call("PATCH", "/v3/regions/Lyon", e.admin, map[string]any{"region": map[string]any{"parent_region_id": nil, "description": nil}}).must(t, http.StatusOK).obj("region")
	if upd["parent_region_id"] != nil || upd["description"] != "" {
		t.Errorf("cleared: %v", upd)
	}

	// A region whose subtree has endpoints cannot be deleted; otherwise its subtree goes with it.
	svc := catalogTestService(t, e, "image")
	ep := e.call("POST", "/v3/endpoints", e.admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "public", "url": "http://paris:9292", "region_id": "Paris"}}).must(t, http.StatusCreated)
	e.call("DELETE", "/v3/regions/Europe", e.admin, nil).must(t, http.StatusForbidden)
	e.call("DELETE", "/v3/endpoints/"+catStr(ep.obj("endpoint"), "id"), e.admin, nil).must(t, http.StatusNoContent)
	e.call("DELETE", "/v3/regions/Europe", e.admin, nil).must(t, http.StatusNoContent)
	for _, id := range []string{"Europe", "Paris"} {
		e.call("GET", "/v3/regions/"+id, e.admin, nil).must(t, http.StatusNotFound)
	}
	e.call("GET", "/v3/regions/Lyon", e.admin, nil).must(t, http.StatusOK)
}

// catalogTypes returns the service types of a token or catalog response's catalog.
func catalogTypes(catalog any) map[string][]any {
	out := map[string][]any{}
	list, _ := catalog.([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		eps, _ := m["endpoints"].([]any)
		out[catStr(m, "type")] = eps
	}
	return out
}

func TestCatalogChangesReachTokens(t *testing.T) {
	e := newTestEnv(t)
	before := e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK)
	if types := catalogTypes(before.body["catalog"]); len(types) != 1 {
		t.Fatalf("initial catalog: %v", types)
	}
	svc := catalogTestService(t, e, "compute")
	e.call("POST", "/v3/endpoints", e.admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "public", "url": "http://controller:8774/v2.1/$(project_id)s", "region_id": "RegionOne"}}).must(t, http.StatusCreated)

	// An existing token's catalog changes (the cached catalog was invalidated), with the
	// token's project substituted into the URL.
	after := e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK)
	eps := catalogTypes(after.body["catalog"])["compute"]
	want := "http://controller:8774/v2.1/" + e.boot.AdminProjectID
	if len(eps) != 1 || catStr(eps[0].(map[string]any), "url") != want {
		t.Fatalf("compute endpoints after create: %v", after.body["catalog"])
	}
	// Disabling the service takes it out of the catalog; deleting the endpoint takes that out.
	e.call("PATCH", "/v3/services/"+svc, e.admin, map[string]any{"service": map[string]any{"enabled": false}}).must(t, http.StatusOK)
	after = e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK)
	if _, ok := catalogTypes(after.body["catalog"])["compute"]; ok {
		t.Fatalf("disabled service still in catalog: %v", after.body["catalog"])
	}
	e.call("PATCH", "/v3/services/"+svc, e.admin, map[string]any{"service": map[string]any{"enabled": true}}).must(t, http.StatusOK)
	for _, ep := range e.call("GET", "/v3/endpoints?service_id="+svc, e.admin, nil).list("endpoints") {
		e.call("DELETE", "/v3/endpoints/"+catStr(ep, "id"), e.admin, nil).must(t, http.StatusNoContent)
	}
	after = e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK)
	if eps := catalogTypes(after.body["catalog"])["compute"]; len(eps) != 0 {
		t.Fatalf("deleted endpoint still in catalog: %v", eps)
	}
}

// TestNewTokenSeesCatalogWrite issues a token right after a catalog write, with no
// authenticated request in between: the new token must carry the change even though the
// catalog was cached just before the write.
func TestNewTokenSeesCatalogWrite(t *testing.T) {
	e := newTestEnv(t)
	svc := catalogTestService(t, e, "compute")
	e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK) // caches the catalog
	e.call("POST", "/v3/endpoints", e.admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "public", "url": "http://controller:8774/v2.1", "region_id": "RegionOne"}}).must(t, http.StatusCreated)
	tok := e.call("POST", "/v3/auth/tokens", "", passwordAuth("admin", testAdminPassword, "admin")).must(t, http.StatusCreated)
	if eps := catalogTypes(tok.obj("token")["catalog"])["compute"]; len(eps) != 1 {
		t.Fatalf("new service missing from a new token's catalog: %v", tok.obj("token")["catalog"])
	}
	e.call("GET", "/v3/auth/catalog", e.admin, nil).must(t, http.StatusOK)
	e.call("PATCH", "/v3/services/"+svc, e.admin, map[string]any{"service": map[string]any{"enabled": false}}).must(t, http.StatusOK)
	tok = e.call("POST", "/v3/auth/tokens", "", passwordAuth("admin", testAdminPassword, "admin")).must(t, http.StatusCreated)
	if _, ok := catalogTypes(tok.obj("token")["catalog"])["compute"]; ok {
		t.Fatalf("disabled service still in a new token's catalog: %v", tok.obj("token")["catalog"])
	}
}

func TestValidSubstitutions(t *testing.T) {
	cases := map[string]bool{
		"http://h:8774/v2.1":                 true,
		"http://h/v1/AUTH_%(tenant_id)s":     true,
		"http://h/v1/AUTH_$(project_id)s":    true,
		"http://h/$(user_id)s/%(tenant_id)s": true,
		"http://h/100%%":                     true,
		"http://h/%(compute_host)s":          true,
		"http://h/%(nope)s":                  false,
		"http://h/$(nope)s":                  false,
		"http://h/%(project_id)d":            false,
		"http://h/%(project_id)":             false,
		"http://h/%(project_id":              false,
		"http://h/%20":                       false,
		"http://h/%":                         false,
	}
	for url, want := range cases {
		if got := validSubstitutions(url); got != want {
			t.Errorf("validSubstitutions(%q) = %v, want %v", url, got, want)
		}
	}
}
