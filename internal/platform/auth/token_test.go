package auth

import (
	"testing"
	"time"
)

func TestParseToken(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		check   func(*Context) bool
		wantErr bool
	}{
		{name: "system scoped", body: `{"token": {"user": {"id": "u", "name": "admin", "domain": {"id": "default", "name": "Default"}},
			"system": {"all": true}, "roles": [{"id": "r1", "name": "admin"}], "expires_at": "2026-03-01T13:00:00.000000Z",
			"is_admin_project": false, "methods": ["token"]}}`,
			check: func(c *Context) bool {
				return c.System && c.ProjectID == "" && !c.IsAdminProject && c.Roles[0] == "admin" && c.RoleIDs[0] == "r1" &&
					c.ExpiresAt.Equal(time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)) && c.IssuedAt.IsZero()
			}},
		{name: "domain scoped", body: `{"token": {"user": {"id": "u", "domain": {"id": "d"}}, "domain": {"id": "d1", "name": "Dom"},
			"roles": [], "expires_at": "2026-03-01T13:00:00Z", "issued_at": "2026-03-01T12:00:00.123456Z"}}`,
			check: func(c *Context) bool {
				return c.DomainID == "d1" && c.DomainName == "Dom" && !c.System && c.IsAdminProject &&
					c.IssuedAt.Equal(time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC))
			}},
		{name: "application credential, zoneless time", body: `{"token": {"user": {"id": "u"}, "project": {"id": "p", "domain": {"id": "pd"}},
			"application_credential": {"id": "ac1", "name": "x", "restricted": true}, "expires_at": "2026-03-01T13:00:00.000000"}}`,
			check: func(c *Context) bool {
				return c.ApplicationCredentialID == "ac1" && c.ProjectID == "p" && c.ProjectDomainID == "pd" &&
					c.ExpiresAt.Equal(time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC))
			}},
		{name: "no user", body: `{"token": {"expires_at": "2026-03-01T13:00:00Z"}}`, wantErr: true},
		{name: "bad expiry", body: `{"token": {"user": {"id": "u"}, "expires_at": "tomorrow"}}`, wantErr: true},
		{name: "no expiry", body: `{"token": {"user": {"id": "u"}}}`, wantErr: true},
		{name: "not json", body: `<html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseToken([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Errorf("want an error, got %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("parsed %+v", c)
			}
		})
	}
}
