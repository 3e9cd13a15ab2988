package identity

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"

	"github.com/gostack/gostack/internal/platform/auth"
)

// glanceServiceUser creates the guides' glance user with the admin role on the service project.
func glanceServiceUser(t *testing.T, e *testEnv) {
	t.Helper()
	user := e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "glance", "password": "glance-pass"}}).
		must(t, http.StatusCreated).obj("user")["id"].(string)
	service := e.call("GET", "/v3/projects?name=service", e.admin, nil).list("projects")[0]["id"].(string)
	admin := e.call("GET", "/v3/roles?name=admin", e.admin, nil).list("roles")[0]["id"].(string)
	e.call("PUT", "/v3/projects/"+service+"/users/"+user+"/roles/"+admin, e.admin, nil).must(t, http.StatusNoContent)
}

// TestRemoteValidation is a service on another node validating users' tokens over HTTP, as
// keystonemiddleware does, against the real identity API.
func TestRemoteValidation(t *testing.T) {
	e := newTestEnv(t)
	glanceServiceUser(t, e)
	v, err := auth.NewRemoteValidator(auth.RemoteConfig{AuthURL: e.srv.URL + "/v3", Username: "glance",
		Password: "glance-pass", ProjectName: "service", CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token := e.login("admin", testAdminPassword, "admin")
	c, err := v.ValidateToken(ctx, token)
	if err != nil || c.UserName != "admin" || c.ProjectName != "admin" || !c.HasRole("reader") {
		t.Fatalf("remote validation: %+v %v", c, err)
	}
	e.call("DELETE", "/v3/auth/tokens", e.admin, nil, "X-Subject-Token", token).must(t, http.StatusNoContent)
	if _, err := v.ValidateToken(ctx, token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a revoked token validated remotely: %v", err)
	}
	if _, err := v.ValidateToken(ctx, "garbage"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("garbage: %v", err)
	}
}

// TestServiceUserCallsOtherServices is how a service (glance, nova …) calls another: it logs
// in as its service user and finds the other service in the catalog.
func TestServiceUserCallsOtherServices(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	glanceServiceUser(t, e)

	cfg := auth.RemoteConfig{AuthURL: e.srv.URL + "/v3", Username: "glance", Password: "glance-pass", ProjectName: "service"}
	provider, err := auth.ServiceProvider(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	client, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{Region: "RegionOne", Availability: gophercloud.AvailabilityPublic})
	if err != nil {
		t.Fatalf("identity in the service user's catalog: %v", err)
	}
	client.Endpoint = e.srv.URL + "/v3/" // the bootstrap catalog names http://controller:5000
	pages, err := services.List(client, nil).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := services.ExtractServices(pages); len(list) == 0 {
		t.Error("the service user sees no services")
	}

	cfg.Password = "wrong"
	if _, err := auth.ServiceProvider(ctx, cfg); err == nil {
		t.Error("a wrong service password was accepted")
	}
}
