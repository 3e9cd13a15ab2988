package image

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/platform/config"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// DefaultPort is the image API's port when [DEFAULT] bind_port is unset, as Glance's.
const DefaultPort = 9292

// ConfigFile is the image service's own configuration file, read after the shared ones, as
// Glance reads glance-api.conf: options other services spell the same way go there.
const ConfigFile = "glance-api.conf"

// RegisterOptions registers the image service's options under Glance's names.
func RegisterOptions(s *config.Schema) {
	httpapi.RegisterEndpointOptions(s)
	s.Register("DEFAULT",
		config.Opt{Name: "image_size_cap", Type: config.Int, Default: "1099511627776", Min: config.IntBound(1),
			Help: "The largest image, in bytes, a user may upload."},
		config.Opt{Name: "user_storage_quota", Type: config.String, Default: "0",
			Help: "The image data a project may store, with an optional unit (B, KB, MB, GB, TB); 0 means unlimited."},
		config.Opt{Name: "show_image_direct_url", Type: config.Bool, Default: "false",
			Help: "Show the location of an image's data as direct_url, so compute and block storage can clone it copy-on-write."},
		config.Opt{Name: "show_multiple_locations", Type: config.Bool, Default: "false",
			Help: "Show every location of an image's data in locations."},
		config.Opt{Name: "limit_param_default", Type: config.Int, Default: "25", Min: config.IntBound(1),
			Help: "Images per page when a list request gives no limit."},
		config.Opt{Name: "api_limit_max", Type: config.Int, Default: "1000", Min: config.IntBound(1),
			Help: "The most images one list request returns."},
		config.Opt{Name: "enabled_import_methods", Type: config.List, Default: "glance-direct",
			Help: "Import methods users may use: glance-direct, web-download."},
		config.Opt{Name: "node_staging_uri", Type: config.String, Default: "file://$state_path/image-staging",
			Help: "Where glance-direct imports stage their data (a file:// URL)."},
		config.Opt{Name: "hashing_algorithm", Type: config.String, Default: "sha512",
			Choices: []string{"sha256", "sha384", "sha512"},
			Help:    "The hash of image data recorded as os_hash_value, next to the md5 checksum."},
		config.Opt{Name: "image_member_quota", Type: config.Int, Default: "128", Min: config.IntBound(-1),
			Help: "The most members an image may have; -1 means unlimited."},
		config.Opt{Name: "image_property_quota", Type: config.Int, Default: "128", Min: config.IntBound(-1),
			Help: "The most custom properties an image may have; -1 means unlimited."},
		config.Opt{Name: "image_tag_quota", Type: config.Int, Default: "128", Min: config.IntBound(-1),
			Help: "The most tags an image may have; -1 means unlimited."},
	)
	s.Register("image_format",
		config.Opt{Name: "disk_formats", Type: config.List, Default: "ami,ari,aki,vhd,vhdx,vmdk,raw,qcow2,vdi,iso,ploop",
			Help: "The disk formats images may declare."},
		config.Opt{Name: "container_formats", Type: config.List, Default: "ami,ari,aki,bare,ovf,ova,docker,compressed",
			Help: "The container formats images may declare."},
		config.Opt{Name: "require_image_format_match", Type: config.Bool, Default: "true",
			Help: "Refuse uploaded data whose real format differs from the declared disk_format. Unsafe images (a qcow2 backing or data file, VMDK extents) are refused either way."},
	)
	s.Register("image_quota",
		config.Opt{Name: "image_count_total", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The most images a project may have; -1 means unlimited (Glance's unified limit of the same name)."},
		config.Opt{Name: "image_size_total", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The image data, in MiB, a project may store; -1 means unlimited."},
		config.Opt{Name: "image_stage_total", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The data, in MiB, a project may have staged for imports; -1 means unlimited."},
		config.Opt{Name: "image_count_uploading", Type: config.Int, Default: "-1", Min: config.IntBound(-1),
			Help: "The most images a project may be uploading, staging or importing at once; -1 means unlimited."},
	)
	store.RegisterOptions(s)
}

// Options are the image service's settings.
type Options struct {
	BindHost              string
	Port                  int
	PublicEndpoint        string // the URL clients use, when behind a proxy ("" = from the request)
	MaxBodySize           int64  // JSON request bodies
	SizeCap               int64
	ShowDirectURL         bool
	ShowMultipleLocations bool
	ListDefault, ListMax  int
	ImportMethods         []string
	StagingDir            string
	HashAlgo              string
	MemberQuota           int
	PropertyQuota         int
	TagQuota              int
	DiskFormats           []string
	ContainerFormats      []string
	RequireFormatMatch    bool
	Limits                Limits
	PolicyFile            string
	StateDir              string
}

// Limits are the per-project quotas; -1 means unlimited.
type Limits struct {
	Count     int64 // images
	Size      int64 // bytes stored
	Staged    int64 // bytes staged
	Uploading int64 // concurrent uploads, stages and imports
}

// OptionsFrom reads Options from a loaded configuration.
func OptionsFrom(c *config.Config) (Options, error) {
	o := Options{
		BindHost:              c.String("DEFAULT", "bind_host"),
		Port:                  c.Int("DEFAULT", "bind_port"),
		PublicEndpoint:        c.String("DEFAULT", "public_endpoint"),
		MaxBodySize:           int64(c.Int("DEFAULT", "max_request_body_size")),
		SizeCap:               int64(c.Int("DEFAULT", "image_size_cap")),
		ShowDirectURL:         c.Bool("DEFAULT", "show_image_direct_url"),
		ShowMultipleLocations: c.Bool("DEFAULT", "show_multiple_locations"),
		ListDefault:           c.Int("DEFAULT", "limit_param_default"),
		ListMax:               c.Int("DEFAULT", "api_limit_max"),
		ImportMethods:         bracketless(c.List("DEFAULT", "enabled_import_methods")),
		HashAlgo:              c.String("DEFAULT", "hashing_algorithm"),
		MemberQuota:           c.Int("DEFAULT", "image_member_quota"),
		PropertyQuota:         c.Int("DEFAULT", "image_property_quota"),
		TagQuota:              c.Int("DEFAULT", "image_tag_quota"),
		DiskFormats:           c.List("image_format", "disk_formats"),
		ContainerFormats:      c.List("image_format", "container_formats"),
		RequireFormatMatch:    c.Bool("image_format", "require_image_format_match"),
		PolicyFile:            c.String("oslo_policy", "policy_file"),
		StateDir:              c.String("DEFAULT", "state_path"),
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	for _, m := range o.ImportMethods {
		if m != "glance-direct" && m != "web-download" {
			return o, fmt.Errorf("[DEFAULT] enabled_import_methods: unknown import method %q (known: glance-direct, web-download)", m)
		}
	}
	staging, ok := strings.CutPrefix(c.String("DEFAULT", "node_staging_uri"), "file://")
	if !ok || staging == "" {
		return o, fmt.Errorf("[DEFAULT] node_staging_uri: %q is not a file:// URL", c.String("DEFAULT", "node_staging_uri"))
	}
	o.StagingDir = staging
	legacy, err := parseSize(c.String("DEFAULT", "user_storage_quota"))
	if err != nil {
		return o, fmt.Errorf("[DEFAULT] user_storage_quota: %w", err)
	}
	mib := func(name string) int64 {
		if n := int64(c.Int("image_quota", name)); n >= 0 {
			return n << 20
		}
		return -1
	}
	o.Limits = Limits{Count: int64(c.Int("image_quota", "image_count_total")), Size: mib("image_size_total"),
		Staged: mib("image_stage_total"), Uploading: int64(c.Int("image_quota", "image_count_uploading"))}
	if legacy > 0 && (o.Limits.Size < 0 || legacy < o.Limits.Size) {
		o.Limits.Size = legacy
	}
	return o, nil
}

// bracketless accepts Glance's bracketed list syntax, "[glance-direct, web-download]".
func bracketless(items []string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it = strings.Trim(strings.TrimSpace(it), "[]' \""); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// parseSize reads a size such as "10GB", "512MB" or "1024" (bytes), with 1024-based units,
// as Glance reads user_storage_quota.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		shift  uint
	}{{"TB", 40}, {"GB", 30}, {"MB", 20}, {"KB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a size (a whole number with an optional unit B, KB, MB, GB or TB)", s)
	}
	return n << shift, nil
}
