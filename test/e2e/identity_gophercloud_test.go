package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"

	"github.com/gostack/gostack/internal/platform/db"
)

// identityClient logs in with gophercloud and returns an identity v3 client.
func identityClient(t *testing.T, ctx context.Context, opts gophercloud.AuthOptions) *gophercloud.ServiceClient {
	t.Helper()
	provider, err := openstack.AuthenticatedClient(ctx, opts)
	if err != nil {
		t.Fatalf("authenticate %s: %v", opts.Username, err)
	}
	client, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{Region: "RegionOne"})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// TestIdentityGophercloud drives the guides' identity flows with gophercloud v2.
func TestIdentityGophercloud(t *testing.T) {
	t.Parallel()
	c := startCloud(t, db.SQLite)
	ctx := context.Background()
	admin := identityClient(t, ctx, gophercloud.AuthOptions{
		IdentityEndpoint: c.authURL, Username: "admin", Password: adminPassword, DomainID: "default",
		TenantName: "admin",
	})

	user, err := users.Create(ctx, admin, users.CreateOpts{Name: "gopher", DomainID: "default", Password: "gopher-pass"}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	demo := findProject(t, ctx, admin, "demo")
	member := findRole(t, ctx, admin, "member")
	if err := roles.Assign(ctx, admin, member.ID, roles.AssignOpts{UserID: user.ID, ProjectID: demo.ID}).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	asGopher := identityClient(t, ctx, gophercloud.AuthOptions{
		IdentityEndpoint: c.authURL, Username: "gopher", Password: "gopher-pass", DomainID: "default", TenantID: demo.ID,
	})
	tok, err := tokens.Get(ctx, admin, asGopher.Token()).ExtractToken()
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID == "" || tok.ExpiresAt.IsZero() {
		t.Errorf("validated token: %+v", tok)
	}
	tokenRoles, err := tokens.Get(ctx, admin, asGopher.Token()).ExtractRoles()
	if err != nil || !hasRole(tokenRoles, "member") || !hasRole(tokenRoles, "reader") {
		t.Errorf("gopher's roles %v (%v): want member and the implied reader", tokenRoles, err)
	}

	// A member may not register services.
	_, err = services.Create(ctx, asGopher, services.CreateOpts{Type: "image"}).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusForbidden) {
		t.Errorf("member creating a service: %v, want 403", err)
	}

	ac, err := applicationcredentials.Create(ctx, asGopher, user.ID, applicationcredentials.CreateOpts{Name: "gopher-app"}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	appClient := identityClient(t, ctx, gophercloud.AuthOptions{
		IdentityEndpoint: c.authURL, ApplicationCredentialID: ac.ID, ApplicationCredentialSecret: ac.Secret,
	})
	if _, err := tokens.Validate(ctx, admin, appClient.Token()); err != nil {
		t.Errorf("application credential token: %v", err)
	}

	// Revoke and delete: the user's tokens stop working.
	if err := tokens.Revoke(ctx, admin, asGopher.Token()).Err; err != nil {
		t.Fatal(err)
	}
	if ok, _ := tokens.Validate(ctx, admin, asGopher.Token()); ok {
		t.Error("revoked token still valid")
	}
	if err := users.Delete(ctx, admin, user.ID).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	_, err = users.Get(ctx, admin, user.ID).Extract()
	var notFound gophercloud.ErrUnexpectedResponseCode
	if !errors.As(err, &notFound) || notFound.Actual != http.StatusNotFound {
		t.Errorf("get deleted user: %v", err)
	}
}

func findProject(t *testing.T, ctx context.Context, client *gophercloud.ServiceClient, name string) projects.Project {
	t.Helper()
	pages, err := projects.List(client, projects.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := projects.ExtractProjects(pages)
	if err != nil || len(list) != 1 {
		t.Fatalf("project %s: %v %v", name, list, err)
	}
	return list[0]
}

func findRole(t *testing.T, ctx context.Context, client *gophercloud.ServiceClient, name string) roles.Role {
	t.Helper()
	pages, err := roles.List(client, roles.ListOpts{Name: name}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := roles.ExtractRoles(pages)
	if err != nil || len(list) != 1 {
		t.Fatalf("role %s: %v %v", name, list, err)
	}
	return list[0]
}

func hasRole(list []tokens.Role, name string) bool {
	for _, r := range list {
		if r.Name == name {
			return true
		}
	}
	return false
}
