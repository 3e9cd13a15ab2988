package identity

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestNeedsAuthRecord(t *testing.T) {
	now := time.Date(2026, 5, 17, 10, 30, 0, 0, time.UTC)
	cases := []struct {
		name string
		user User
		want bool
	}{
		{"never active", User{}, true},
		{"active earlier today", User{LastActiveAt: now.Add(-10 * time.Hour)}, false},
		{"active yesterday", User{LastActiveAt: now.Add(-11 * time.Hour)}, true},
		{"active a year ago the same day", User{LastActiveAt: now.AddDate(-1, 0, 0)}, true},
		{"failed attempts to clear", User{LastActiveAt: now, FailedAuthCount: 2, FailedAuthAt: now}, true},
		{"failure time to clear", User{LastActiveAt: now, FailedAuthAt: now}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := needsAuthRecord(c.user, now); got != c.want {
				t.Errorf("needsAuthRecord = %v, want %v", got, c.want)
			}
		})
	}
}

// TestPasswordAuthRecords checks what a successful password authentication writes: the failed
// attempts are cleared and last_active_at is set, once a day.
func TestPasswordAuthRecords(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.LockoutAttempts = 5 })
	ctx := context.Background()
	e.call("POST", "/v3/auth/tokens", "", passwordAuth("admin", "wrong", "admin")).must(t, http.StatusUnauthorized)
	u, err := e.svc.store.GetUser(ctx, e.boot.AdminUserID)
	if err != nil {
		t.Fatal(err)
	}
	if u.FailedAuthCount != 1 {
		t.Fatalf("failed_auth_count %d after a failure, want 1", u.FailedAuthCount)
	}
	e.login("admin", testAdminPassword, "admin")
	u, err = e.svc.store.GetUser(ctx, e.boot.AdminUserID)
	if err != nil {
		t.Fatal(err)
	}
	if u.FailedAuthCount != 0 || !u.FailedAuthAt.IsZero() || u.LastActiveAt.IsZero() {
		t.Fatalf("after a success: failed_auth_count %d, failed_auth_at %v, last_active_at %v", u.FailedAuthCount, u.FailedAuthAt, u.LastActiveAt)
	}
	first := u.LastActiveAt
	e.login("admin", testAdminPassword, "admin")
	if u, err = e.svc.store.GetUser(ctx, e.boot.AdminUserID); err != nil {
		t.Fatal(err)
	}
	if !u.LastActiveAt.Equal(first) && !needsAuthRecord(User{LastActiveAt: first}, time.Now()) { // (unless midnight passed)
		t.Errorf("a second login the same day moved last_active_at from %v to %v", first, u.LastActiveAt)
	}
}
