package policy

import "testing"

func TestCredentialsLookup(t *testing.T) {
	c := Credentials{
		UserID: "u", UserDomainID: "ud", ProjectID: "p", ProjectDomainID: "pd",
		DomainID: "d", SystemScope: "all", IsAdminProject: true,
	}
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"user_id", "u", true},
		{"token.user.id", "u", true},
		{"user_domain_id", "ud", true},
		{"token.user.domain.id", "ud", true},
		{"project_id", "p", true},
		{"token.project.id", "p", true},
		{"project_domain_id", "pd", true},
		{"token.project.domain.id", "pd", true},
		{"domain_id", "d", true},
		{"token.domain.id", "d", true},
		{"system_scope", "all", true},
		{"token.system.all", "True", true},
		{"is_admin_project", "True", true},
		{"roles", "", false},
		{"nonsense", "", false},
	}
	for _, tt := range tests {
		got, ok := c.Lookup(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	var empty Credentials
	for _, key := range []string{"user_id", "domain_id", "system_scope", "token.system.all"} {
		if v, ok := empty.Lookup(key); ok {
			t.Errorf("empty Lookup(%q) = %q, true; want absent", key, v)
		}
	}
	if v, ok := empty.Lookup("is_admin_project"); v != "False" || !ok {
		t.Errorf("empty Lookup(is_admin_project) = %q, %v; want False, true", v, ok)
	}
}

func TestCredentialsHasRole(t *testing.T) {
	c := Credentials{Roles: []string{"Admin", "member"}}
	for role, want := range map[string]bool{"admin": true, "ADMIN": true, "Member": true, "reader": false, "": false} {
		if got := c.HasRole(role); got != want {
			t.Errorf("HasRole(%q) = %v, want %v", role, got, want)
		}
	}
}
