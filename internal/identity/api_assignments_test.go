package identity

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestGrantFamilies(t *testing.T) {
	e := newTestEnv(t)
	user := raUser(t, e, "grantee")
	group := raGroup(t, e, "grantees")
	demo := raProjectID(t, e, "demo")
	role := raRole(t, e, "operator", "")
	cases := []struct {
		name, roles, suffix string
	}{
		{"user on project", "/v3/projects/" + demo + "/users/" + user + "/roles", ""},
		{"group on project", "/v3/projects/" + demo + "/groups/" + group + "/roles", ""},
		{"user on domain", "/v3/domains/default/users/" + user + "/roles", ""},
		{"group on domain", "/v3/domains/default/groups/" + group + "/roles", ""},
		{"user inherited from domain", "/v3/OS-INHERIT/domains/default/users/" + user + "/roles", "/inherited_to_projects"},
		{"group inherited from domain", "/v3/OS-INHERIT/domains/default/groups/" + group + "/roles", "/inherited_to_projects"},
		{"user inherited from project", "/v3/OS-INHERIT/projects/" + demo + "/users/" + user + "/roles", "/inherited_to_projects"},
		{"group inherited from project", "/v3/OS-INHERIT/projects/" + demo + "/groups/" + group + "/roles", "/inherited_to_projects"},
		{"user on system", "/v3/system/users/" + user + "/roles", ""},
		{"group on system", "/v3/system/groups/" + group + "/roles", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			item := c.roles + "/" + role + c.suffix
			list := c.roles + c.suffix
			e.call("GET", item, e.admin, nil).must(t, http.StatusNotFound)
			e.call("PUT", item, e.admin, nil).must(t, http.StatusNoContent)
			e.call("PUT", item, e.admin, nil).must(t, http.StatusNoContent) // granting twice is fine
			e.call("GET", item, e.admin, nil).must(t, http.StatusNoContent)
			e.call("HEAD", item, e.admin, nil).must(t, http.StatusNoContent)
			listable := !strings.HasPrefix(c.roles, "/v3/OS-INHERIT/projects/")
			if !listable {
				e.call("GET", list, e.admin, nil).must(t, http.StatusNotFound) // Keystone has no such list
			} else if roles := e.call("GET", list, e.admin, nil).must(t, http.StatusOK).list("roles"); len(roles) != 1 || roles[0]["id"] != role || roles[0]["name"] != "operator" {
				t.Fatalf("listed roles: %v", roles)
			}
			e.call("DELETE", item, e.admin, nil).must(t, http.StatusNoContent)
			msg := e.call("DELETE", item, e.admin, nil).must(t, http.StatusNotFound).errorMessage()
			if !strings.Contains(msg, "Could not find role assignment") {
				t.Errorf("message: %q", msg)
			}
			e.call("HEAD", item, e.admin, nil).must(t, http.StatusNotFound)
			if !listable {
				return
			}
			if roles := e.call("GET", list, e.admin, nil).must(t, http.StatusOK).list("roles"); len(roles) != 0 {
				t.Errorf("after revoke: %v", roles)
			}
		})
	}
}

func TestGrantUnknownIDs(t *testing.T) {
	e := newTestEnv(t)
	user := raUser(t, e, "someone")
	group := raGroup(t, e, "some")
	demo := raProjectID(t, e, "demo")
	role := raRoleID(t, e, "member")
	cases := []struct {
		name, method, path, message string
	}{
		{"role", "PUT", "/v3/projects/" + demo + "/users/" + user + "/roles/ghost", "Could not find role: ghost."},
		{"user", "PUT", "/v3/projects/" + demo + "/users/ghost/roles/" + role, "Could not find user: ghost."},
		{"group", "PUT", "/v3/domains/default/groups/ghost/roles/" + role, "Could not find group: ghost."},
		{"project", "PUT", "/v3/projects/ghost/groups/" + group + "/roles/" + role, "Could not find project: ghost."},
		{"domain as project", "PUT", "/v3/projects/default/users/" + user + "/roles/" + role, "Could not find project: default."},
		{"domain", "PUT", "/v3/OS-INHERIT/domains/ghost/users/" + user + "/roles/" + role + "/inherited_to_projects", "Could not find domain: ghost."},
		{"system role", "PUT", "/v3/system/users/" + user + "/roles/ghost", "Could not find role: ghost."},
		{"list for unknown user", "GET", "/v3/projects/" + demo + "/users/ghost/roles", "Could not find user: ghost."},
		{"revoke for unknown group", "DELETE", "/v3/system/groups/ghost/roles/" + role, "Could not find group: ghost."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := e.call(c.method, c.path, e.admin, nil).must(t, http.StatusNotFound).errorMessage(); msg != c.message {
				t.Errorf("message %q, want %q", msg, c.message)
			}
		})
	}
}

func TestGrantDomainSpecificRole(t *testing.T) {
	e := newTestEnv(t)
	user := raUser(t, e, "scoped")
	domainRole := raRole(t, e, "local", DefaultDomainID)
	other := e.call("POST", "/v3/domains", e.admin, `{"domain": {"name": "Elsewhere"}}`).must(t, http.StatusCreated).obj("domain")["id"].(string)
	far := e.call("POST", "/v3/projects", e.admin, map[string]any{"project": map[string]any{"name": "far", "domain_id": other}}).
		must(t, http.StatusCreated).obj("project")["id"].(string)
	e.call("PUT", "/v3/projects/"+raProjectID(t, e, "demo")+"/users/"+user+"/roles/"+domainRole, e.admin, nil).must(t, http.StatusNoContent)
	msg := e.call("PUT", "/v3/projects/"+far+"/users/"+user+"/roles/"+domainRole, e.admin, nil).must(t, http.StatusForbidden).errorMessage()
	if !strings.Contains(msg, "must be in the same domain as the role") {
		t.Errorf("mismatch message: %q", msg)
	}
	e.call("PUT", "/v3/system/users/"+user+"/roles/"+domainRole, e.admin, nil).must(t, http.StatusBadRequest)
}

func TestGrantPolicy(t *testing.T) {
	e := newTestEnv(t)
	member := raMemberToken(t, e)
	victim := raUser(t, e, "victim")
	demo := raProjectID(t, e, "demo")
	admin := raRoleID(t, e, "admin")
	for _, c := range []struct{ method, path string }{
		{"PUT", "/v3/projects/" + demo + "/users/" + victim + "/roles/" + admin},
		{"PUT", "/v3/system/users/" + victim + "/roles/" + admin},
		{"PUT", "/v3/OS-INHERIT/domains/default/users/" + victim + "/roles/" + admin + "/inherited_to_projects"},
		{"DELETE", "/v3/projects/" + demo + "/users/" + e.boot.AdminUserID + "/roles/" + admin},
		{"GET", "/v3/projects/" + demo + "/users/" + victim + "/roles"},
		{"GET", "/v3/role_assignments"},
	} {
		e.call(c.method, c.path, member, nil).must(t, http.StatusForbidden)
	}
}

// raTokenRoles logs a user in on a Default-domain project and returns its token's role names.
func raTokenRoles(t *testing.T, e *testEnv, user, project string) []string {
	t.Helper()
	res := e.call("POST", "/v3/auth/tokens", "", passwordAuth(user, raPassword, project)).must(t, http.StatusCreated)
	var names []string
	for _, r := range res.obj("token")["roles"].([]any) {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	return names
}

func TestGrantsInTokens(t *testing.T) {
	e := newTestEnv(t)
	demo := raProjectID(t, e, "demo")
	raProject(t, e, "child", demo)
	lead := raRole(t, e, "lead", "")
	helper := raRole(t, e, "helper", "")
	hidden := raRole(t, e, "hidden", DefaultDomainID)
	e.call("PUT", "/v3/roles/"+lead+"/implies/"+helper, e.admin, nil).must(t, http.StatusCreated)
	e.call("PUT", "/v3/roles/"+hidden+"/implies/"+raRoleID(t, e, "reader"), e.admin, nil).must(t, http.StatusCreated)

	direct := raUser(t, e, "direct")
	e.call("PUT", "/v3/projects/"+demo+"/users/"+direct+"/roles/"+lead, e.admin, nil).must(t, http.StatusNoContent)
	if got := raTokenRoles(t, e, "direct", "demo"); !slices.Equal(got, []string{"helper", "lead"}) {
		t.Errorf("implied roles: %v", got)
	}

	inheritor := raUser(t, e, "inheritor")
	e.call("PUT", "/v3/OS-INHERIT/domains/default/users/"+inheritor+"/roles/"+raRoleID(t, e, "member")+"/inherited_to_projects", e.admin, nil).
		must(t, http.StatusNoContent)
	if got := raTokenRoles(t, e, "inheritor", "demo"); !slices.Equal(got, []string{"member", "reader"}) {
		t.Errorf("domain-inherited roles: %v", got)
	}

	subtree := raUser(t, e, "subtree")
	e.call("PUT", "/v3/OS-INHERIT/projects/"+demo+"/users/"+subtree+"/roles/"+lead+"/inherited_to_projects", e.admin, nil).
		must(t, http.StatusNoContent)
	if got := raTokenRoles(t, e, "subtree", "child"); !slices.Equal(got, []string{"helper", "lead"}) {
		t.Errorf("project-inherited roles on the child: %v", got)
	}
	e.call("POST", "/v3/auth/tokens", "", passwordAuth("subtree", raPassword, "demo")).must(t, http.StatusUnauthorized)

	grouped := raUser(t, e, "grouped")
	group := raGroup(t, e, "team", grouped)
	e.call("PUT", "/v3/projects/"+demo+"/groups/"+group+"/roles/"+hidden, e.admin, nil).must(t, http.StatusNoContent)
	if got := raTokenRoles(t, e, "grouped", "demo"); !slices.Equal(got, []string{"reader"}) {
		t.Errorf("group domain-role implications: %v", got)
	}
	token := e.login("grouped", raPassword, "demo")
	e.call("DELETE", "/v3/projects/"+demo+"/groups/"+group+"/roles/"+hidden, e.admin, nil).must(t, http.StatusNoContent)
	e.call("GET", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNotFound)
}
