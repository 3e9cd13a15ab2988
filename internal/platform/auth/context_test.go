package auth

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/policy"
)

func TestHasRole(t *testing.T) {
	c := &Context{Roles: []string{"member", "Reader"}}
	tests := []struct {
		role string
		want bool
	}{{"member", true}, {"MEMBER", true}, {"reader", true}, {"admin", false}, {"", false}}
	for _, tt := range tests {
		if got := c.HasRole(tt.role); got != tt.want {
			t.Errorf("HasRole(%q) = %v, want %v", tt.role, got, tt.want)
		}
	}
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name string
		c    Context
		want policy.Credentials
	}{
		{"project scoped",
			Context{UserID: "u", UserDomainID: "ud", ProjectID: "p", ProjectDomainID: "pd", Roles: []string{"member"}, IsAdminProject: false},
			policy.Credentials{UserID: "u", UserDomainID: "ud", ProjectID: "p", ProjectDomainID: "pd", Roles: []string{"member"}}},
		{"system scoped admin",
			Context{UserID: "u", System: true, Roles: []string{"admin", "reader"}, IsAdminProject: true},
			policy.Credentials{UserID: "u", SystemScope: "all", Roles: []string{"admin", "reader"}, IsAdminProject: true}},
		{"domain scoped",
			Context{UserID: "u", DomainID: "d", Roles: []string{"manager"}},
			policy.Credentials{UserID: "u", DomainID: "d", Roles: []string{"manager"}}},
		{"service user",
			Context{UserID: "nova", ProjectID: "service", Roles: []string{"Service", "admin"}},
			policy.Credentials{UserID: "nova", ProjectID: "service", Roles: []string{"Service", "admin"}, ServiceUser: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Credentials(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Credentials() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestContextRoundTrip(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext on an empty context reported a caller")
	}
	c := &Context{UserID: "u"}
	got, ok := FromContext(NewContext(context.Background(), c))
	if !ok || got != c {
		t.Errorf("FromContext = %v, %v", got, ok)
	}
	if _, ok := FromContext(NewContext(context.Background(), nil)); ok {
		t.Error("a nil caller reported as present")
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		expires time.Time
		want    bool
	}{{time.Time{}, false}, {now.Add(time.Second), false}, {now, true}, {now.Add(-time.Second), true}}
	for _, tt := range tests {
		if got := (&Context{ExpiresAt: tt.expires}).Expired(now); got != tt.want {
			t.Errorf("Expired with expiry %v = %v, want %v", tt.expires, got, tt.want)
		}
	}
}
