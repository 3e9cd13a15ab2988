package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostack/gostack/internal/identity"
	"github.com/gostack/gostack/internal/platform/db"
)

// cloudAccess is what a user needs to reach the cloud as admin.
type cloudAccess struct {
	AuthURL  string
	Username string
	Password string
	Project  string
	Region   string
}

// bootstrapCloud runs identity bootstrap and, when it sets the admin password, writes adminrc
// and clouds.yaml into the state directory and tells the user how to use them.
func (e *env) bootstrapCloud(ctx context.Context, d *db.DB, o identity.BootstrapOptions, w io.Writer) error {
	opts, err := e.identityOptions()
	if err != nil {
		return err
	}
	o.Hasher = opts.Hasher
	generated := false
	if o.AdminPassword == "" {
		o.AdminPassword = firstNonEmpty(e.cfg.String("bootstrap", "admin_password"), os.Getenv("OS_BOOTSTRAP_PASSWORD"))
	}
	store := identity.NewStore(d)
	if o.AdminPassword == "" {
		if _, err := store.GetUserByName(ctx, identity.DefaultDomainID, firstNonEmpty(o.AdminUser, "admin")); err != nil {
			o.AdminPassword, generated = randomPassword(), true
		}
	}
	res, err := store.Bootstrap(ctx, o)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if o.AdminPassword == "" {
		return nil // nothing new to tell: the admin and its files already exist
	}
	access := cloudAccess{AuthURL: o.PublicURL, Username: firstNonEmpty(o.AdminUser, "admin"), Password: o.AdminPassword,
		Project: firstNonEmpty(o.AdminProject, "admin"), Region: firstNonEmpty(o.Region, "RegionOne")}
	if err := e.writeAccessFiles(access); err != nil {
		return err
	}
	what := "reset the password of"
	if res.CreatedAdmin {
		what = "created"
	}
	if generated {
		what += " (with a generated password)"
	}
	fmt.Fprintf(w, "Bootstrap %s the admin user %s. Credentials are in %s and %s:\n\n    source %s\n    openstack token issue\n\n",
		what, access.Username, e.path("adminrc"), e.path("clouds.yaml"), e.path("adminrc"))
	return nil
}

func (e *env) path(name string) string { return filepath.Join(e.stateDir, name) }

// writeAccessFiles writes adminrc (shell) and clouds.yaml (openstacksdk) with mode 0600.
func (e *env) writeAccessFiles(a cloudAccess) error {
	rc := fmt.Sprintf(`export OS_USERNAME=%s
export OS_PASSWORD=%s
export OS_PROJECT_NAME=%s
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_AUTH_URL=%s
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=%s
export OS_INTERFACE=public
`, shellQuote(a.Username), shellQuote(a.Password), shellQuote(a.Project), shellQuote(a.AuthURL), shellQuote(a.Region))
	clouds := fmt.Sprintf(`clouds:
  gostack:
    auth:
      auth_url: %q
      username: %q
      password: %q
      project_name: %q
      user_domain_name: Default
      project_domain_name: Default
    region_name: %q
    interface: public
    identity_api_version: 3
`, a.AuthURL, a.Username, a.Password, a.Project, a.Region)
	for name, content := range map[string]string{"adminrc": rc, "clouds.yaml": clouds} {
		if err := os.WriteFile(e.path(name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// randomPassword returns 24 url-safe random characters.
func randomPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b)
}

// publicIdentityURL is the identity endpoint registered in the catalog.
func (e *env) publicIdentityURL() string {
	if pe := e.cfg.String("DEFAULT", "public_endpoint"); pe != "" {
		return strings.TrimSuffix(pe, "/") + "/v3"
	}
	return fmt.Sprintf("http://%s:%d/v3", hostForURL(e.cfg.String("DEFAULT", "my_ip")), e.cfg.Int("eventlet_server", "public_port"))
}

// hostForURL brackets IPv6 literals.
func hostForURL(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// runBootstrap is `gostack bootstrap`, with keystone-manage bootstrap's flags.
func runBootstrap(ctx context.Context, args []string, stdout io.Writer) error {
	var o identity.BootstrapOptions
	e, d, err := openCommand(ctx, "bootstrap", args, func(fs *flag.FlagSet) {
		fs.StringVar(&o.AdminPassword, "bootstrap-password", "", "the admin password (default $OS_BOOTSTRAP_PASSWORD or [bootstrap] admin_password; generated when the admin is new)")
		fs.StringVar(&o.AdminUser, "bootstrap-username", "admin", "the admin user's name")
		fs.StringVar(&o.AdminProject, "bootstrap-project-name", "admin", "the admin project's name")
		fs.StringVar(&o.ServiceProject, "bootstrap-service-project-name", "service", "the service project's name")
		fs.StringVar(&o.Region, "bootstrap-region-id", "", "the region (default [bootstrap] region_id)")
		fs.StringVar(&o.PublicURL, "bootstrap-public-url", "", "the public identity URL (default http://[DEFAULT] my_ip:public_port/v3)")
		fs.StringVar(&o.InternalURL, "bootstrap-internal-url", "", "the internal identity URL (default: the public URL)")
		fs.StringVar(&o.AdminURL, "bootstrap-admin-url", "", "the admin identity URL (default: the public URL)")
	})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.CheckSchema(ctx, identity.Migrations); err != nil {
		return err
	}
	o.Region = firstNonEmpty(o.Region, e.cfg.String("bootstrap", "region_id"))
	o.PublicURL = firstNonEmpty(o.PublicURL, e.publicIdentityURL())
	o.ExtraProjects = []string{"demo"}
	return e.bootstrapCloud(ctx, d, o, stdout)
}
