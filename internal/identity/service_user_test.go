package identity

import (
	"context"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"

	"github.com/gostack/gostack/internal/platform/auth"
)

// TestServiceUserCallsOtherServices is how a service (glance, nova …) calls another: it logs
// in as its service user and finds the other service in the catalog.
func TestServiceUserCallsOtherServices(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	user := e.call("POST", "/v3/users", e.admin, map[string]any{"user": map[string]any{"name": "glance", "password": "glance-pass"}}).
		must(t, http.StatusCreated).obj("user")["id"].(string)
	service := e.call("GET", "/v3/projects?name=service", e.admin, nil).list("projects")[0]["id"].(string)
	admin := e.call("GET", "/v3/roles?name=admin", e.admin, nil).list("roles")[0]["id"].(string)
	e.call("PUT", "/v3/projects/"+service+"/users/"+user+"/roles/"+admin, e.admin, nil).must(t, http.StatusNoContent)

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
