package identity

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// raKey summarises a role assignment entry as "actor|scope|role[|inherited]".
func raKey(m map[string]any) string {
	id := func(v any) string {
		obj, _ := v.(map[string]any)
		s, _ := obj["id"].(string)
		return s
	}
	actor := "user:" + id(m["user"])
	if g, ok := m["group"]; ok {
		actor = "group:" + id(g)
	}
	scope := m["scope"].(map[string]any)
	where := "system"
	if p, ok := scope["project"]; ok {
		where = "project:" + id(p)
	} else if d, ok := scope["domain"]; ok {
		where = "domain:" + id(d)
	}
	key := actor + "|" + where + "|" + id(m["role"])
	if scope["OS-INHERIT:inherited_to"] == "projects" {
		key += "|inherited"
	}
	return key
}

// raFixture is a small world of grants that the role_assignments tests list.
type raFixture struct {
	e                     *testEnv
	ann, bob, crew        string // users ann and bob are both in group crew
	demo, child           string // child is below demo
	lead, helper, viewer  string // lead implies helper
	admin, member, reader string
	adminProject, service string
}

func newRAFixture(t *testing.T) *raFixture {
	e := newTestEnv(t)
	f := &raFixture{e: e, ann: raUser(t, e, "ann"), bob: raUser(t, e, "bob"), demo: raProjectID(t, e, "demo")}
	f.crew = raGroup(t, e, "crew", f.ann, f.bob)
	f.child = raProject(t, e, "child", f.demo)
	f.lead, f.helper, f.viewer = raRole(t, e, "lead", ""), raRole(t, e, "helper", ""), raRole(t, e, "viewer", "")
	f.admin, f.member, f.reader = raRoleID(t, e, "admin"), raRoleID(t, e, "member"), raRoleID(t, e, "reader")
	f.adminProject, f.service = raProjectID(t, e, "admin"), raProjectID(t, e, "service")
	e.call("PUT", "/v3/roles/"+f.lead+"/implies/"+f.helper, e.admin, nil).must(t, http.StatusCreated)
	for _, path := range []string{
		"/v3/projects/" + f.demo + "/users/" + f.ann + "/roles/" + f.lead,
		"/v3/domains/default/users/" + f.ann + "/roles/" + f.viewer,
		"/v3/OS-INHERIT/domains/default/groups/" + f.crew + "/roles/" + f.viewer + "/inherited_to_projects",
		"/v3/system/groups/" + f.crew + "/roles/" + f.lead,
		"/v3/projects/" + f.child + "/users/" + f.bob + "/roles/" + f.helper,
	} {
		e.call("PUT", path, e.admin, nil).must(t, http.StatusNoContent)
	}
	return f
}

// list calls GET /v3/role_assignments with the query and returns the entries' keys, sorted.
func (f *raFixture) list(t *testing.T, query string) []string {
	t.Helper()
	res := f.e.call("GET", "/v3/role_assignments?"+query, f.e.admin, nil).must(t, http.StatusOK)
	var keys []string
	for _, m := range res.list("role_assignments") {
		keys = append(keys, raKey(m))
	}
	slices.Sort(keys)
	return keys
}

func sortedKeys(keys ...string) []string {
	slices.Sort(keys)
	return keys
}

func TestRoleAssignmentFilters(t *testing.T) {
	f := newRAFixture(t)
	admin := f.e.boot.AdminUserID
	cases := []struct {
		name, query string
		want        []string
	}{
		{"user", "user.id=" + f.ann, sortedKeys(
			"user:"+f.ann+"|project:"+f.demo+"|"+f.lead, "user:"+f.ann+"|domain:default|"+f.viewer)},
		{"group", "group.id=" + f.crew, sortedKeys(
			"group:"+f.crew+"|domain:default|"+f.viewer+"|inherited", "group:"+f.crew+"|system|"+f.lead)},
		{"project", "scope.project.id=" + f.demo, sortedKeys("user:" + f.ann + "|project:" + f.demo + "|" + f.lead)},
		{"project subtree", "scope.project.id=" + f.demo + "&include_subtree=true", sortedKeys(
			"user:"+f.ann+"|project:"+f.demo+"|"+f.lead, "user:"+f.bob+"|project:"+f.child+"|"+f.helper)},
		{"domain", "scope.domain.id=default", sortedKeys(
			"user:"+f.ann+"|domain:default|"+f.viewer, "group:"+f.crew+"|domain:default|"+f.viewer+"|inherited")},
		{"system", "scope.system=all", sortedKeys("user:"+admin+"|system|"+f.admin, "group:"+f.crew+"|system|"+f.lead)},
		{"inherited", "scope.OS-INHERIT:inherited_to=projects", sortedKeys("group:" + f.crew + "|domain:default|" + f.viewer + "|inherited")},
		{"role", "role.id=" + f.viewer, sortedKeys(
			"user:"+f.ann+"|domain:default|"+f.viewer, "group:"+f.crew+"|domain:default|"+f.viewer+"|inherited")},
		{"user and role", "user.id=" + f.bob + "&role.id=" + f.helper, sortedKeys("user:" + f.bob + "|project:" + f.child + "|" + f.helper)},
		{"nothing matches", "user.id=" + f.bob + "&scope.system=all", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.list(t, c.query); !slices.Equal(got, c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
	if all := f.list(t, ""); len(all) != 7 {
		t.Errorf("unfiltered: %v", all)
	}
}

func TestRoleAssignmentsEffective(t *testing.T) {
	f := newRAFixture(t)
	inheritedViewer := func(user string, projects ...string) []string {
		var out []string
		for _, p := range projects {
			out = append(out, "user:"+user+"|project:"+p+"|"+f.viewer+"|inherited")
		}
		return out
	}
	admin := f.e.boot.AdminUserID
	cases := []struct {
		name, query string
		want        []string
	}{
		{"user", "effective&user.id=" + f.ann, sortedKeys(append([]string{
			"user:" + f.ann + "|project:" + f.demo + "|" + f.lead,
			"user:" + f.ann + "|project:" + f.demo + "|" + f.helper,
			"user:" + f.ann + "|domain:default|" + f.viewer,
		}, inheritedViewer(f.ann, f.adminProject, f.service, f.demo, f.child)...)...)},
		{"project", "effective&scope.project.id=" + f.child, sortedKeys(append([]string{
			"user:" + f.bob + "|project:" + f.child + "|" + f.helper,
		}, append(inheritedViewer(f.ann, f.child), inheritedViewer(f.bob, f.child)...)...)...)},
		{"project and role", "effective&scope.project.id=" + f.demo + "&role.id=" + f.helper,
			sortedKeys("user:" + f.ann + "|project:" + f.demo + "|" + f.helper)},
		{"system", "effective&scope.system=all", sortedKeys(
			"user:"+admin+"|system|"+f.admin, "user:"+admin+"|system|"+f.member, "user:"+admin+"|system|"+f.reader,
			"user:"+f.ann+"|system|"+f.lead, "user:"+f.ann+"|system|"+f.helper,
			"user:"+f.bob+"|system|"+f.lead, "user:"+f.bob+"|system|"+f.helper)},
		{"only inherited", "effective=true&user.id=" + f.bob + "&scope.OS-INHERIT:inherited_to=projects",
			sortedKeys(inheritedViewer(f.bob, f.adminProject, f.service, f.demo, f.child)...)},
		{"domain", "effective&scope.domain.id=default", sortedKeys("user:" + f.ann + "|domain:default|" + f.viewer)},
		{"effective off", "effective=0&user.id=" + f.bob, sortedKeys("user:" + f.bob + "|project:" + f.child + "|" + f.helper)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.list(t, c.query); !slices.Equal(got, c.want) {
				t.Errorf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestRoleAssignmentLinksAndNames(t *testing.T) {
	f := newRAFixture(t)
	res := f.e.call("GET", "/v3/role_assignments?effective&include_names&user.id="+f.ann+"&scope.project.id="+f.demo, f.e.admin, nil).
		must(t, http.StatusOK)
	entries := res.list("role_assignments")
	byRole := map[string]map[string]any{}
	for _, m := range entries {
		byRole[m["role"].(map[string]any)["name"].(string)] = m
	}
	if len(entries) != 3 || byRole["lead"] == nil || byRole["helper"] == nil || byRole["viewer"] == nil {
		t.Fatalf("entries: %v", entries)
	}
	user := byRole["lead"]["user"].(map[string]any)
	if user["name"] != "ann" || user["domain"].(map[string]any)["name"] != "Default" {
		t.Errorf("user names: %v", user)
	}
	project := byRole["lead"]["scope"].(map[string]any)["project"].(map[string]any)
	if project["name"] != "demo" || project["domain"].(map[string]any)["id"] != "default" {
		t.Errorf("project names: %v", project)
	}
	links := func(role string) map[string]any { return byRole[role]["links"].(map[string]any) }
	checks := []struct{ role, link, suffix string }{
		{"lead", "assignment", "/v3/projects/" + f.demo + "/users/" + f.ann + "/roles/" + f.lead},
		{"helper", "assignment", "/v3/projects/" + f.demo + "/users/" + f.ann + "/roles/" + f.lead},
		{"helper", "prior_role", "/v3/roles/" + f.lead + "/implies/" + f.helper},
		{"viewer", "assignment", "/v3/OS-INHERIT/domains/default/groups/" + f.crew + "/roles/" + f.viewer + "/inherited_to_projects"},
		{"viewer", "membership", "/v3/groups/" + f.crew + "/users/" + f.ann},
	}
	for _, c := range checks {
		if got, _ := links(c.role)[c.link].(string); !strings.HasSuffix(got, c.suffix) {
			t.Errorf("%s %s link %q, want suffix %q", c.role, c.link, got, c.suffix)
		}
	}

	system := f.e.call("GET", "/v3/role_assignments?include_names&scope.system=all&group.id="+f.crew, f.e.admin, nil).
		must(t, http.StatusOK).list("role_assignments")
	if len(system) != 1 {
		t.Fatalf("system entries: %v", system)
	}
	if all := system[0]["scope"].(map[string]any)["system"].(map[string]any)["all"]; all != true {
		t.Errorf("system scope: %v", system[0]["scope"])
	}
	if g := system[0]["group"].(map[string]any); g["name"] != "crew" {
		t.Errorf("group names: %v", g)
	}
}

func TestRoleAssignmentsBadQueries(t *testing.T) {
	f := newRAFixture(t)
	cases := []struct {
		name, query string
		status      int
	}{
		{"effective group", "effective&group.id=" + f.crew, http.StatusBadRequest},
		{"domain and project", "scope.domain.id=default&scope.project.id=" + f.demo, http.StatusBadRequest},
		{"system and domain", "scope.system=all&scope.domain.id=default", http.StatusBadRequest},
		{"system and project", "scope.system=all&scope.project.id=" + f.demo, http.StatusBadRequest},
		{"user and group", "user.id=" + f.ann + "&group.id=" + f.crew, http.StatusBadRequest},
		{"effective inherited domain", "effective&scope.domain.id=default&" + url.QueryEscape("scope.OS-INHERIT:inherited_to") + "=projects", http.StatusBadRequest},
		{"subtree without project", "include_subtree=true", http.StatusBadRequest},
		{"subtree of unknown project", "include_subtree=true&scope.project.id=ghost", http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := f.e.call("GET", "/v3/role_assignments?"+c.query, f.e.admin, nil).must(t, c.status)
			if res.errorMessage() == "" {
				t.Error("no error message")
			}
		})
	}
}

func TestRoleAssignmentsDomainReader(t *testing.T) {
	f := newRAFixture(t)
	e := f.e
	reader := raUser(t, e, "domain-reader")
	e.call("PUT", "/v3/domains/default/users/"+reader+"/roles/"+f.reader, e.admin, nil).must(t, http.StatusNoContent)
	body := passwordAuth("domain-reader", raPassword, "")
	body["auth"].(map[string]any)["scope"] = map[string]any{"domain": map[string]any{"id": "default"}}
	token := e.call("POST", "/v3/auth/tokens", "", body).must(t, http.StatusCreated).header.Get("X-Subject-Token")
	entries := e.call("GET", "/v3/role_assignments", token, nil).must(t, http.StatusOK).list("role_assignments")
	if len(entries) == 0 {
		t.Fatal("a domain reader sees nothing")
	}
	for _, m := range entries {
		if _, ok := m["scope"].(map[string]any)["system"]; ok {
			t.Errorf("a domain reader sees a system assignment: %v", m)
		}
	}
}
