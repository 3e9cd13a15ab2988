package auth

import (
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
)

// ServiceProvider logs in as the service user a RemoteConfig names ([keystone_authtoken]
// username, password, project …) and returns a gophercloud provider for calling other services
// through the catalog, as OpenStack services call each other. The provider re-authenticates by
// itself when its token expires.
func ServiceProvider(ctx context.Context, cfg RemoteConfig) (*gophercloud.ProviderClient, error) {
	def := func(v string) string {
		if v == "" {
			return "Default"
		}
		return v
	}
	opts := gophercloud.AuthOptions{
		IdentityEndpoint: cfg.AuthURL,
		Username:         cfg.Username,
		Password:         cfg.Password,
		DomainName:       def(cfg.UserDomainName),
		Scope:            &gophercloud.AuthScope{ProjectName: cfg.ProjectName, DomainName: def(cfg.ProjectDomainName)},
		AllowReauth:      true,
	}
	provider, err := openstack.NewClient(cfg.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("service user %s: %w", cfg.Username, err)
	}
	if cfg.HTTPClient != nil {
		provider.HTTPClient = *cfg.HTTPClient
	}
	if err := openstack.Authenticate(ctx, provider, opts); err != nil {
		return nil, fmt.Errorf("service user %s at %s: %w", cfg.Username, cfg.AuthURL, err)
	}
	return provider, nil
}
