package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// hasKeys fails unless the CLI's JSON object has every key.
func hasKeys(t testing.TB, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: field %q missing from %v", what, k, m)
		}
	}
}

// TestIdentityCLI runs every identity command of the guides with the real openstack CLI, on each
// database gostack supports.
func TestIdentityCLI(t *testing.T) {
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			identityScenario(t, startCloud(t, dialect))
		})
	}
}

func identityScenario(t *testing.T, c *cloud) {
	t.Run("token issue", func(t *testing.T) {
		var tok map[string]any
		openstackJSON(t, c.env, &tok, "token", "issue")
		hasKeys(t, "token issue", tok, "expires", "id", "project_id", "user_id")
	})
	t.Run("service user for glance", func(t *testing.T) { serviceUser(t, c) })
	t.Run("register a service and its endpoints", func(t *testing.T) { registerService(t, c) })
	t.Run("john", func(t *testing.T) { johnLifecycle(t, c) })
	t.Run("projects and assignments", func(t *testing.T) { projectsAndAssignments(t, c) })
	t.Run("application credential", func(t *testing.T) { applicationCredential(t, c) })
	t.Run("bad input", func(t *testing.T) { badInput(t, c) })
}

// serviceUser is the guides' `user create --domain default … glance` and `role add`.
func serviceUser(t *testing.T, c *cloud) {
	var user map[string]any
	openstackJSON(t, c.env, &user, "user", "create", "--domain", "default", "--password", "glance-pass", "glance")
	hasKeys(t, "user create", user, "domain_id", "enabled", "id", "name", "options", "password_expires_at")
	if user["domain_id"] != "default" || user["name"] != "glance" || user["enabled"] != true {
		t.Errorf("user create: %v", user)
	}
	c.openstack(t, "role", "add", "--project", "service", "--user", "glance", "admin")
	var tok map[string]any
	openstackJSON(t, c.as("glance", "glance-pass", "service"), &tok, "token", "issue")
	if tok["user_id"] != user["id"] {
		t.Errorf("glance's token is for %v, want %v", tok["user_id"], user["id"])
	}
}

// registerService is the guides' service/endpoint registration, glance and myService alike.
func registerService(t *testing.T, c *cloud) {
	ids := map[string]string{} // service type → id of the service created here
	for _, svc := range []struct{ name, desc, typ, url string }{
		{"glance", "OpenStack Image", "image", "http://controller:9292"},
		{"myService", "helloworld", "myService", "http://172.25.0.10:3838"},
	} {
		var s map[string]any
		openstackJSON(t, c.env, &s, "service", "create", "--name", svc.name, "--description", svc.desc, svc.typ)
		hasKeys(t, "service create", s, "description", "enabled", "id", "name", "type")
		if s["type"] != svc.typ || s["name"] != svc.name || s["description"] != svc.desc {
			t.Errorf("service create: %v", s)
		}
		// gostack registers its own image service, so "image" names two services here: the
		// endpoints go to the new one by id.
		ids[svc.typ] = s["id"].(string)
		for _, iface := range []string{"public", "internal", "admin"} {
			var e map[string]any
			openstackJSON(t, c.env, &e, "endpoint", "create", "--region", "RegionOne", ids[svc.typ], iface, svc.url)
			hasKeys(t, "endpoint create", e, "enabled", "id", "interface", "region", "region_id", "service_id", "service_name", "service_type", "url")
			if e["interface"] != iface || e["url"] != svc.url || e["service_name"] != svc.name {
				t.Errorf("endpoint create: %v", e)
			}
		}
	}
	var endpoints []map[string]any
	openstackJSON(t, c.env, &endpoints, "endpoint", "list", "--service", ids["image"])
	if len(endpoints) != 3 {
		t.Fatalf("endpoint list --service image: %v", endpoints)
	}
	hasKeys(t, "endpoint list", endpoints[0], "ID", "Region", "Service Name", "Service Type", "Enabled", "Interface", "URL")
	c.openstack(t, "endpoint", "delete", endpoints[0]["ID"].(string))
	openstackJSON(t, c.env, &endpoints, "endpoint", "list", "--service", ids["image"])
	if len(endpoints) != 2 {
		t.Errorf("after endpoint delete: %v", endpoints)
	}
	// The guides' compute endpoint carries the project in its URL: the catalog fills it in.
	c.openstack(t, "service", "create", "--name", "nova", "--description", "OpenStack Compute", "compute")
	c.openstack(t, "endpoint", "create", "--region", "RegionOne", "compute", "public", "http://controller:8774/v2.1/%(tenant_id)s")
	var tok map[string]any
	openstackJSON(t, c.env, &tok, "token", "issue")
	if show := c.openstack(t, "catalog", "show", "compute"); !strings.Contains(show, "http://controller:8774/v2.1/"+tok["project_id"].(string)) {
		t.Errorf("catalog show compute: want the project id substituted:\n%s", show)
	}
	catalog := c.openstack(t, "catalog", "list")
	for _, want := range []string{"keystone", "glance", "myService", "http://controller:9292"} {
		if !strings.Contains(catalog, want) {
			t.Errorf("catalog list lacks %q:\n%s", want, catalog)
		}
	}
}

// johnLifecycle is the course's user exercise: create, set password, list, show, role add, delete.
func johnLifecycle(t *testing.T, c *cloud) {
	c.openstack(t, "user", "create", "--password", "johnpassword", "john")
	c.openstack(t, "role", "add", "--user", "john", "--project", "demo", "member")
	mustCLI(t, c.as("john", "johnpassword", "demo"), "token", "issue")
	c.openstack(t, "user", "set", "--password", "newpassword", "john")
	if out := openstackFails(t, c.as("john", "johnpassword", "demo"), "token", "issue"); !strings.Contains(out, "401") {
		t.Errorf("old password: %s", out)
	}
	var tok map[string]any
	openstackJSON(t, c.as("john", "newpassword", "demo"), &tok, "token", "issue")
	// john changes his own password.
	mustCLI(t, c.as("john", "newpassword", "demo"), "user", "password", "set", "--original-password", "newpassword", "--password", "thirdpassword")
	openstackJSON(t, c.as("john", "thirdpassword", "demo"), &tok, "token", "issue")
	var users []map[string]any
	openstackJSON(t, c.env, &users, "user", "list")
	names := map[any]bool{}
	for _, u := range users {
		names[u["Name"]] = true
	}
	for _, want := range []string{"admin", "glance", "john"} {
		if !names[want] {
			t.Errorf("user list lacks %s: %v", want, users)
		}
	}
	var john map[string]any
	openstackJSON(t, c.env, &john, "user", "show", "john")
	hasKeys(t, "user show", john, "domain_id", "enabled", "id", "name", "options", "password_expires_at")
	c.openstack(t, "user", "delete", "john")
	if out := openstackFails(t, c.env, "user", "show", "john"); !strings.Contains(out, "john") {
		t.Errorf("user show after delete: %s", out)
	}
}

// projectsAndAssignments covers project create/list and `role assignment list --names`.
func projectsAndAssignments(t *testing.T, c *cloud) {
	var p map[string]any
	openstackJSON(t, c.env, &p, "project", "create", "--domain", "default", "--description", "lab project", "lab")
	hasKeys(t, "project create", p, "description", "domain_id", "enabled", "id", "is_domain", "name", "options", "parent_id", "tags")
	var projects []map[string]any
	openstackJSON(t, c.env, &projects, "project", "list")
	found := false
	for _, pr := range projects {
		found = found || pr["Name"] == "lab"
	}
	if !found {
		t.Errorf("project list lacks lab: %v", projects)
	}
	var assignments []map[string]any
	openstackJSON(t, c.env, &assignments, "role", "assignment", "list", "--names")
	seen := map[string]bool{}
	for _, a := range assignments {
		seen[fmt.Sprintf("%v|%v|%v", a["Role"], a["User"], a["Project"])] = true
	}
	for _, want := range []string{"admin|admin@Default|admin@Default", "admin|glance@Default|service@Default"} {
		if !seen[want] {
			t.Errorf("role assignment list --names lacks %s: %v", want, assignments)
		}
	}
}

// applicationCredential creates a credential and logs in with it.
func applicationCredential(t *testing.T, c *cloud) {
	var ac map[string]any
	openstackJSON(t, c.env, &ac, "application", "credential", "create", "--role", "member", "lab-app")
	hasKeys(t, "application credential create", ac, "id", "name", "project_id", "roles", "secret", "unrestricted", "expires_at", "description")
	env := map[string]string{
		"OS_AUTH_URL": c.authURL, "OS_AUTH_TYPE": "v3applicationcredential", "OS_IDENTITY_API_VERSION": "3",
		"OS_APPLICATION_CREDENTIAL_ID": ac["id"].(string), "OS_APPLICATION_CREDENTIAL_SECRET": ac["secret"].(string),
	}
	var tok map[string]any
	openstackJSON(t, env, &tok, "token", "issue")
	if tok["project_id"] != ac["project_id"] {
		t.Errorf("app credential token project %v, want %v", tok["project_id"], ac["project_id"])
	}
	env["OS_APPLICATION_CREDENTIAL_SECRET"] = "wrong"
	openstackFails(t, env, "token", "issue")
}

// badInput checks that mistakes get clear errors, not crashes.
func badInput(t *testing.T, c *cloud) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"user", "create", "--password", "x", "glance"}, "409"},
		{[]string{"role", "add", "--user", "ghost", "--project", "demo", "member"}, "ghost"},
		{[]string{"project", "create", "--domain", "nosuchdomain", "p"}, "nosuchdomain"},
		{[]string{"endpoint", "create", "--region", "RegionOne", "nosuchservice", "public", "http://x"}, "nosuchservice"},
		{[]string{"domain", "delete", "default"}, "403"},
	}
	for _, tc := range cases {
		if out := openstackFails(t, c.env, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("openstack %s: want %q in:\n%s", strings.Join(tc.args, " "), tc.want, out)
		}
	}
	var tok map[string]any
	openstackJSON(t, c.env, &tok, "token", "issue")
	if out := openstackFails(t, c.as("admin", "wrong-password", "admin"), "token", "issue"); !strings.Contains(out, "401") {
		t.Errorf("wrong password: %s", out)
	}
}
