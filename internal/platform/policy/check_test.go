package policy

import "testing"

// compileRules parses a name → check string map for evaluation tests.
func compileRules(t testing.TB, src map[string]string) map[string]Check {
	t.Helper()
	out := make(map[string]Check, len(src))
	for name, s := range src {
		c, err := Parse(s)
		if err != nil {
			t.Fatalf("rule %q: %v", name, err)
		}
		out[name] = c
	}
	return out
}

func TestEvaluate(t *testing.T) {
	member := Credentials{
		UserID: "u1", UserDomainID: "d1", ProjectID: "p1", ProjectDomainID: "d1",
		Roles: []string{"Member", "reader"},
	}
	admin := Credentials{UserID: "a1", UserDomainID: "default", ProjectID: "admin-p",
		ProjectDomainID: "default", Roles: []string{"admin", "member", "reader"}, IsAdminProject: true}
	system := Credentials{UserID: "s1", SystemScope: "all", Roles: []string{"admin"}}
	domainAdmin := Credentials{UserID: "da", DomainID: "d1", Roles: []string{"admin"}}
	noProject := Credentials{UserID: "u2", Roles: []string{"reader"}}

	rules := map[string]string{
		"admin_required": "role:admin",
		"owner":          "project_id:%(target.project_id)s",
		"admin_or_owner": "rule:admin_required or rule:owner",
		"cycle_a":        "rule:cycle_b",
		"cycle_b":        "rule:cycle_a or @",
		"self":           "rule:self",
		"uses_missing":   "rule:does_not_exist",
		"not_missing":    "not rule:does_not_exist",
		"not_cycle":      "not rule:cycle_a",
		"allow_all":      "",
		"deny_all":       "!",
		"diamond":        "rule:admin_or_owner and rule:admin_or_owner",
		"system_reader":  "role:reader and system_scope:all",
		"chain0":         "rule:chain1",
		"chain1":         "rule:chain2",
		"chain2":         "role:reader",
		"cycle_shortcut": "@ or rule:self",
	}
	target := map[string]string{
		"target.project_id": "p1",
		"target.user_id":    "u1",
		"target.domain_id":  "d1",
		"role.name":         "member",
		"empty":             "",
		"a":                 "p",
		"b":                 "1",
	}
	tests := []struct {
		name  string
		check string
		creds Credentials
		want  bool
	}{
		{"always", "@", member, true},
		{"never", "!", admin, false},
		{"empty string allows", "", Credentials{}, true},
		{"role case-insensitive cred", "role:member", member, true},
		{"role case-insensitive check", "role:READER", member, true},
		{"role missing", "role:admin", member, false},
		{"role from target", "role:%(role.name)s", member, true},
		{"role from missing target key", "role:%(nope)s", admin, false},
		{"rule", "rule:admin_required", admin, true},
		{"rule denies", "rule:admin_required", member, false},
		{"nested rules owner", "rule:admin_or_owner", member, true},
		{"nested rules other project", "rule:admin_or_owner", noProject, false},
		{"diamond is not a cycle", "rule:diamond", member, true},
		{"chain", "rule:chain0", member, true},
		{"missing rule is false", "rule:does_not_exist", admin, false},
		{"rule to missing rule", "rule:uses_missing", admin, false},
		{"not missing rule", "rule:not_missing", admin, true},
		{"cycle denied", "rule:cycle_a", admin, false},
		{"self cycle denied", "rule:self", admin, false},
		{"not cycle still denied", "rule:not_cycle", admin, false},
		{"not cycle inline denied", "not rule:self", admin, false},
		{"short circuit before cycle", "rule:cycle_shortcut", admin, true},
		{"empty rule allows", "rule:allow_all", Credentials{}, true},
		{"deny rule", "rule:deny_all", admin, false},
		{"generic target match", "user_id:%(target.user_id)s", member, true},
		{"generic target mismatch", "user_id:%(target.user_id)s", admin, false},
		{"generic missing target key", "user_id:%(target.nope)s", member, false},
		{"generic missing key under not", "not user_id:%(target.nope)s", member, true},
		{"generic literal", "user_id:u1", member, true},
		{"generic quoted literal", "user_id:'u1'", member, true},
		{"generic double-quoted literal", `user_id:"u1"`, member, true},
		{"generic unknown cred key", "favourite_colour:blue", member, false},
		{"empty cred never matches empty target", "domain_id:%(empty)s", member, false},
		{"domain token", "domain_id:%(target.domain_id)s", domainAdmin, true},
		{"project token has no domain", "domain_id:%(target.domain_id)s", member, false},
		{"token alias", "token.project.domain.id:%(target.domain_id)s", member, true},
		{"token user alias", "token.user.id:u1", member, true},
		{"token system all", "token.system.all:True", system, true},
		{"token system all project", "token.system.all:True", admin, false},
		{"system scope", "rule:system_reader", Credentials{SystemScope: "all", Roles: []string{"Reader"}}, true},
		{"system scope project token", "rule:system_reader", member, false},
		{"is_admin_project true", "is_admin_project:True", admin, true},
		{"is_admin_project false", "is_admin_project:False", member, true},
		{"is_admin_project mismatch", "is_admin_project:True", member, false},
		{"literal left", "'member':%(role.name)s", noProject, true},
		{"literal left mismatch", "'admin':%(role.name)s", admin, false},
		{"literal left missing key", "'member':%(nope)s", admin, false},
		{"True literal left", "True:True", noProject, true},
		{"roles list membership", "roles:admin", admin, true},
		{"roles list case-sensitive", "roles:member", member, false},
		{"template concatenation", "project_id:%(a)s%(b)s", member, true},
		{"template concatenation mismatch", "project_id:%(b)s%(a)s", member, false},
		{"not", "not role:admin", member, true},
		{"not not", "not not role:admin", member, false},
		{"and", "role:member and role:reader", member, true},
		{"and false", "role:member and role:admin", member, false},
		{"or", "role:admin or role:reader", member, true},
		{"or false", "role:admin or role:foo", member, false},
		// precedence: not > and > or
		{"or binds loosest", "role:admin or role:member and role:foo", admin, true},
		{"and before or", "role:foo and role:member or role:reader", member, true},
		{"not before and", "not role:admin and role:member", member, true},
		{"not before and admin", "not role:admin and role:member", admin, false},
		{"parens override", "(role:admin or role:member) and role:foo", admin, false},
		{"not parens", "not (role:admin or role:member)", member, false},
	}
	compiled := compileRules(t, rules)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.check)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.check, err)
			}
			if got := c.Evaluate(target, tt.creds, compiled); got != tt.want {
				t.Errorf("%q = %v, want %v", tt.check, got, tt.want)
			}
		})
	}
}

func TestEvaluateDeepChainDenied(t *testing.T) {
	src := map[string]string{}
	for i := 0; i < maxRuleDepth+5; i++ {
		src[ruleName(i)] = "rule:" + ruleName(i+1)
	}
	src[ruleName(maxRuleDepth+5)] = "@"
	rules := compileRules(t, src)
	c, _ := Parse("rule:" + ruleName(0))
	if c.Evaluate(nil, Credentials{}, rules) {
		t.Errorf("chain deeper than %d was allowed", maxRuleDepth)
	}
	short, _ := Parse("rule:" + ruleName(10))
	if !short.Evaluate(nil, Credentials{}, rules) {
		t.Errorf("chain shorter than %d was denied", maxRuleDepth)
	}
}

func ruleName(i int) string {
	return "r" + string(rune('a'+i/26)) + string(rune('a'+i%26))
}

func TestEvaluateNilMaps(t *testing.T) {
	c, err := Parse("rule:x or user_id:%(target.user_id)s or role:admin")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Evaluate(nil, Credentials{Roles: []string{"ADMIN"}}, nil) {
		t.Error("role check with nil target and rules should pass")
	}
	if c.Evaluate(nil, Credentials{UserID: "u"}, nil) {
		t.Error("nil target should make the substitution false")
	}
}

func TestEvaluateIsAdmin(t *testing.T) {
	tests := []struct {
		name  string
		rules map[string]string
		creds Credentials
		want  bool
	}{
		{"admin role", map[string]string{"context_is_admin": "role:admin"}, Credentials{Roles: []string{"admin"}}, true},
		{"member", map[string]string{"context_is_admin": "role:admin"}, Credentials{Roles: []string{"member"}}, false},
		{"no context_is_admin rule", nil, Credentials{Roles: []string{"admin"}}, false},
		{"cyclic context_is_admin", map[string]string{"context_is_admin": "is_admin:True"}, Credentials{Roles: []string{"admin"}}, false},
	}
	c, err := Parse("is_admin:True")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Evaluate(nil, tt.creds, compileRules(t, tt.rules)); got != tt.want {
				t.Errorf("is_admin:True = %v, want %v", got, tt.want)
			}
		})
	}
	notAdmin, _ := Parse("is_admin:False")
	if !notAdmin.Evaluate(nil, Credentials{}, compileRules(t, map[string]string{"context_is_admin": "role:admin"})) {
		t.Error("is_admin:False should pass for a non-admin")
	}
}
