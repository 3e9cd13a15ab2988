package auth

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/config"
)

func TestRemoteConfigFrom(t *testing.T) {
	schema := config.NewSchema()
	RegisterOptions(schema)
	if Remote(schema.Defaults()) {
		t.Error("unconfigured: want local validation")
	}
	file := filepath.Join(t.TempDir(), "glance-api.conf")
	conf := "[keystone_authtoken]\nwww_authenticate_uri = http://controller:5000\nauth_url = http://controller:5000\n" +
		"auth_type = password\nproject_domain_name = Default\nuser_domain_name = Default\nproject_name = service\n" +
		"username = glance\npassword = GLANCE_PASS\ntoken_cache_time = 0\n[cache]\nmemcache_servers = controller:11211\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warnings, err := schema.Load([]string{file}, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("the guides' [keystone_authtoken] section: %v %v", err, warnings)
	}
	if !Remote(c) {
		t.Fatal("auth_url set: want remote validation")
	}
	rc := RemoteConfigFrom(c)
	if rc.AuthURL != "http://controller:5000" || rc.Username != "glance" || rc.Password != "GLANCE_PASS" ||
		rc.ProjectName != "service" || rc.CacheTTL != -1 || !slices.Equal(rc.Memcached, []string{"controller:11211"}) {
		t.Errorf("RemoteConfigFrom: %+v", rc)
	}
	if err := c.Set("keystone_authtoken", "token_cache_time", "60"); err != nil {
		t.Fatal(err)
	}
	if rc := RemoteConfigFrom(c); rc.CacheTTL != time.Minute {
		t.Errorf("token_cache_time 60: %v", rc.CacheTTL)
	}
}
