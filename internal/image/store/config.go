package store

import (
	"fmt"
	"strings"

	"github.com/gostack/gostack/internal/platform/config"
)

// Config sections and option names, as in glance-api.conf.
const (
	SectionStore   = "glance_store"
	OptStores      = "stores"
	OptDefault     = "default_store"
	OptBackends    = "enabled_backends" // in [DEFAULT], as Glance has it
	OptDefaultBE   = "default_backend"
	OptDescription = "store_description"
)

// legacyAliases maps the store names glance_store accepts in `stores` and
// `default_store` to driver types.
var legacyAliases = map[string]string{"filesystem": "file", "https": "http"}

// RegisterOptions registers the store selection options — [glance_store]
// stores, default_store, default_backend, [DEFAULT] enabled_backends (also
// read from [glance_store]) — and every registered driver's options in
// [glance_store] (such as filesystem_store_datadir). Call it after the drivers
// are registered (package init does so for file and http).
func RegisterOptions(s *config.Schema) {
	s.Register(SectionStore,
		config.Opt{Name: OptStores, Type: config.List, Default: "file,http",
			Help: "List of enabled store types (legacy single-store setup); ignored when enabled_backends is set."},
		config.Opt{Name: OptDefault, Type: config.String, Default: "file",
			Help: "Store type new images are written to (legacy single-store setup)."},
		config.Opt{Name: OptDefaultBE, Type: config.String,
			Help: "Name of the backend new images are written to; required with enabled_backends."},
	)
	s.Register("DEFAULT", config.Opt{Name: OptBackends, Type: config.List,
		Help: "Named stores as name:type pairs, such as fast:file, web:http. Each name has a section " +
			"of the same name holding that store's options.",
		DeprecatedNames: []config.DeprecatedName{{Section: SectionStore}}})
	registerDriverOpts(s, SectionStore, false)
}

// registerDriverOpts registers every driver's options (and, for backend
// sections, store_description) in a section, skipping options already there.
func registerDriverOpts(s *config.Schema, section string, backend bool) {
	probe := s.Defaults()
	add := func(o OptSpec) {
		if probe.Set(section, o.Name, o.Default) == nil {
			return // already registered (another backend of the same section, or a rerun)
		}
		s.Register(section, config.Opt{Name: o.Name, Type: config.String, Default: o.Default, Help: o.Help})
	}
	if backend {
		add(OptSpec{Name: OptDescription, Help: "Description of this store, shown to users."})
	}
	seen := map[string]bool{}
	for _, typ := range Types() {
		f, _ := factory(typ)
		for _, o := range f.Opts {
			if !seen[o.Name] {
				seen[o.Name] = true
				add(o)
			}
		}
	}
}

// RegisterBackendOptions registers, for each backend named in cfg's
// enabled_backends, its section's options (store_description and the driver
// options). The caller then loads the configuration again so those sections
// are read; LoadConfig does both steps.
func RegisterBackendOptions(s *config.Schema, cfg *config.Config) error {
	specs, err := parseBackends(cfg.List("DEFAULT", OptBackends))
	if err != nil {
		return err
	}
	for _, b := range specs {
		registerDriverOpts(s, b.Name, true)
	}
	return nil
}

// LoadConfig loads configuration files the way config.Schema.Load does, after
// registering the sections of the backends named in enabled_backends (it loads
// twice: once to learn the backends, once to read their sections). The schema
// must already hold RegisterOptions.
func LoadConfig(s *config.Schema, files, dirs []string) (*config.Config, []config.Warning, error) {
	cfg, warns, err := s.Load(files, dirs)
	if err != nil {
		return nil, warns, err
	}
	if err := RegisterBackendOptions(s, cfg); err != nil {
		return nil, warns, err
	}
	return s.Load(files, dirs)
}

// FromConfig builds the stores from a configuration loaded with the options
// of RegisterOptions (and, for enabled_backends, RegisterBackendOptions).
// Relative defaults, such as the file store's data dir, live under stateDir.
func FromConfig(cfg *config.Config, stateDir string) (*Stores, error) {
	backends, def, err := BackendConfigs(cfg)
	if err != nil {
		return nil, err
	}
	return Open(backends, def, stateDir)
}

// BackendConfigs reads the backends and the default backend's name from a
// configuration: the enabled_backends form when it is set, else the legacy
// stores/default_store form, where each backend is named after its type and
// reads its options from [glance_store].
func BackendConfigs(cfg *config.Config) ([]BackendConfig, string, error) {
	specs, err := parseBackends(cfg.List("DEFAULT", OptBackends))
	if err != nil {
		return nil, "", err
	}
	if len(specs) == 0 {
		return legacyBackends(cfg)
	}
	def := cfg.String(SectionStore, OptDefaultBE)
	if def == "" {
		return nil, "", fmt.Errorf("store: [%s] %s is required when enabled_backends is set", SectionStore, OptDefaultBE)
	}
	for i := range specs {
		f, err := factory(specs[i].Type)
		if err != nil {
			return nil, "", fmt.Errorf("enabled_backends %s: %w", specs[i].Name, err)
		}
		specs[i].Description = cfg.String(specs[i].Name, OptDescription)
		specs[i].Options = readOpts(cfg, specs[i].Name, f.Opts)
	}
	return specs, def, nil
}

// legacyBackends reads the stores/default_store form.
func legacyBackends(cfg *config.Config) ([]BackendConfig, string, error) {
	var out []BackendConfig
	seen := map[string]bool{}
	for _, name := range cfg.List(SectionStore, OptStores) {
		typ := legacyType(name)
		if seen[typ] {
			continue
		}
		seen[typ] = true
		f, err := factory(typ)
		if err != nil {
			return nil, "", fmt.Errorf("[%s] %s: %w", SectionStore, OptStores, err)
		}
		out = append(out, BackendConfig{Name: typ, Type: typ, Options: readOpts(cfg, SectionStore, f.Opts)})
	}
	def := legacyType(cfg.String(SectionStore, OptDefault))
	if !seen[def] {
		return nil, "", fmt.Errorf("store: [%s] %s %q is not in %s", SectionStore, OptDefault, def, OptStores)
	}
	return out, def, nil
}

func legacyType(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if t, ok := legacyAliases[name]; ok {
		return t
	}
	return name
}

// readOpts reads a driver's options from a section.
func readOpts(cfg *config.Config, section string, opts []OptSpec) map[string]string {
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		m[o.Name] = cfg.String(section, o.Name)
	}
	return m
}

// reservedNames are section or store names a backend may not take.
var reservedNames = []string{"default", SectionStore}

// parseBackends parses enabled_backends items of the form name:type.
func parseBackends(items []string) ([]BackendConfig, error) {
	var out []BackendConfig
	seen := map[string]bool{}
	for _, item := range items {
		name, typ, ok := strings.Cut(item, ":")
		name, typ = strings.TrimSpace(name), strings.TrimSpace(typ)
		if !ok || name == "" || typ == "" {
			return nil, fmt.Errorf("store: enabled_backends item %q is not name:type", item)
		}
		if err := checkBackendName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("store: enabled_backends names %q twice", name)
		}
		seen[name] = true
		out = append(out, BackendConfig{Name: name, Type: typ})
	}
	return out, nil
}

func checkBackendName(name string) error {
	lower := strings.ToLower(name)
	for _, r := range reservedNames {
		if lower == r {
			return fmt.Errorf("store: enabled_backends name %q is reserved", name)
		}
	}
	if strings.HasPrefix(lower, "os_glance_") {
		return fmt.Errorf("store: enabled_backends name %q: the os_glance_ prefix is reserved", name)
	}
	for _, c := range name {
		if !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("store: enabled_backends name %q: only letters, digits, '.', '-' and '_' are allowed", name)
		}
	}
	return nil
}
