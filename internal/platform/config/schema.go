package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// optKey identifies an option (or a deprecated alias) by section and name.
type optKey struct{ section, name string }

// optInfo is a registered option and the section it belongs to.
type optInfo struct {
	section string
	opt     Opt
}

func (i *optInfo) key() optKey { return optKey{i.section, i.opt.Name} }

// Schema holds the registered options of every service, grouped by section.
// It is safe for concurrent use.
type Schema struct {
	mu       sync.Mutex
	sections []string              // registration order
	opts     map[string][]*optInfo // per section, registration order
	byKey    map[optKey]*optInfo
	aliases  map[optKey]*optInfo // deprecated location -> option
}

// NewSchema returns an empty schema.
func NewSchema() *Schema {
	return &Schema{
		opts:    map[string][]*optInfo{},
		byKey:   map[optKey]*optInfo{},
		aliases: map[optKey]*optInfo{},
	}
}

// Register adds options to a section ("DEFAULT" or a named section; names are
// case-insensitive). It panics on a programmer error: a duplicate option, an
// invalid name, type, bound or choice, a default that does not validate, or a
// deprecated name that collides with another option.
func (s *Schema) Register(section string, opts ...Opt) {
	section = normSection(section)
	if !validName(section) {
		panic(fmt.Sprintf("config: Register: invalid section name %q", section))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, opt := range opts {
		info := &optInfo{section: section, opt: cloneOpt(opt)}
		if err := s.check(info); err != nil {
			panic(fmt.Sprintf("config: Register [%s] %s: %v", section, opt.Name, err))
		}
		s.add(info)
	}
}

// RegisterShared adds options that several services register under the same name, such as
// [DEFAULT] bind_port: an option already registered with the same type is left as it is (the
// first registration's default and help stand). A different type is a programmer error and
// panics, as do Register's errors.
func (s *Schema) RegisterShared(section string, opts ...Opt) {
	for _, opt := range opts {
		s.mu.Lock()
		existing := s.byKey[optKey{normSection(section), opt.Name}]
		s.mu.Unlock()
		if existing == nil {
			s.Register(section, opt)
			continue
		}
		if existing.opt.Type != opt.Type {
			panic(fmt.Sprintf("config: RegisterShared [%s] %s: registered as %v, now as %v", section, opt.Name, existing.opt.Type, opt.Type))
		}
	}
}

// check validates a new option against the schema.
func (s *Schema) check(info *optInfo) error {
	if err := validateOpt(&info.opt); err != nil {
		return err
	}
	k := info.key()
	if s.byKey[k] != nil {
		return fmt.Errorf("duplicate option")
	}
	if other := s.aliases[k]; other != nil {
		return fmt.Errorf("name is a deprecated name of [%s] %s", other.section, other.opt.Name)
	}
	for _, a := range aliasKeys(info) {
		if a == k {
			return fmt.Errorf("deprecated name is the option itself")
		}
		if s.byKey[a] != nil {
			return fmt.Errorf("deprecated name [%s] %s is a registered option", a.section, a.name)
		}
		if other := s.aliases[a]; other != nil {
			return fmt.Errorf("deprecated name [%s] %s is already a deprecated name of [%s] %s",
				a.section, a.name, other.section, other.opt.Name)
		}
	}
	return nil
}

func (s *Schema) add(info *optInfo) {
	if _, ok := s.opts[info.section]; !ok {
		s.sections = append(s.sections, info.section)
	}
	s.opts[info.section] = append(s.opts[info.section], info)
	s.byKey[info.key()] = info
	for _, a := range aliasKeys(info) {
		s.aliases[a] = info
	}
}

// aliasKeys returns the deprecated locations of an option.
func aliasKeys(info *optInfo) []optKey {
	keys := make([]optKey, 0, len(info.opt.DeprecatedNames))
	for _, d := range info.opt.DeprecatedNames {
		k := optKey{normSection(d.Section), d.Name}
		if k.section == "" {
			k.section = info.section
		}
		if k.name == "" {
			k.name = info.opt.Name
		}
		keys = append(keys, k)
	}
	return keys
}

// validateOpt reports what is wrong with an option's definition.
func validateOpt(o *Opt) error {
	if !validName(o.Name) {
		return fmt.Errorf("invalid option name %q", o.Name)
	}
	if !o.Type.valid() {
		return fmt.Errorf("invalid type %d", int(o.Type))
	}
	if (o.Min != nil || o.Max != nil) && o.Type != Int && o.Type != Port {
		return fmt.Errorf("Min/Max given for a %s option", o.Type)
	}
	if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
		return fmt.Errorf("Min %d is greater than Max %d", *o.Min, *o.Max)
	}
	if len(o.Choices) > 0 && o.Type == Bool {
		return fmt.Errorf("Choices given for a boolean option")
	}
	for _, c := range o.Choices {
		if _, reason := convert(&Opt{Type: o.Type}, c); reason != "" {
			return fmt.Errorf("choice %q: %s", c, reason)
		}
	}
	for _, d := range o.DeprecatedNames {
		if (d.Section == "" && d.Name == "") || (d.Name != "" && !validName(d.Name)) ||
			(d.Section != "" && !validName(normSection(d.Section))) {
			return fmt.Errorf("invalid deprecated name %+v", d)
		}
	}
	return validateDefault(o)
}

// validateDefault checks a default that needs no interpolation; defaults that
// refer to other options are checked when a Config is built.
func validateDefault(o *Opt) error {
	if strings.Contains(o.Default, "$") {
		return nil
	}
	for _, v := range defaultValues(o) {
		if _, reason := convert(o, v); reason != "" {
			return fmt.Errorf("default %q: %s", v, reason)
		}
	}
	return nil
}

// defaultValues returns an option's default as a list of textual values:
// none when Default is empty, one per line for MultiString, else one.
func defaultValues(o *Opt) []string {
	switch {
	case o.Default == "":
		return nil
	case o.Type == MultiString:
		return strings.Split(o.Default, "\n")
	}
	return []string{o.Default}
}

// validName reports whether s can be written as a section or key in a file.
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\r\n=:[]#;$")
}

func cloneOpt(o Opt) Opt {
	o.Choices = slices.Clone(o.Choices)
	o.DeprecatedNames = slices.Clone(o.DeprecatedNames)
	if o.Min != nil {
		o.Min = IntBound(*o.Min)
	}
	if o.Max != nil {
		o.Max = IntBound(*o.Max)
	}
	return o
}

// layout is an immutable snapshot of a Schema, shared by the Configs built from it.
type layout struct {
	sections []string // DEFAULT first, then registration order
	opts     map[string][]*optInfo
	byKey    map[optKey]*optInfo
	aliases  map[optKey]*optInfo
	known    map[string]bool // sections that may appear in a file
}

func (s *Schema) snapshot() *layout {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &layout{
		sections: []string{defaultSection},
		opts:     map[string][]*optInfo{},
		byKey:    maps.Clone(s.byKey),
		aliases:  maps.Clone(s.aliases),
		known:    map[string]bool{defaultSection: true},
	}
	for _, sec := range s.sections {
		if sec != defaultSection {
			l.sections = append(l.sections, sec)
		}
		l.opts[sec] = slices.Clone(s.opts[sec])
		l.known[sec] = true
	}
	for k := range s.aliases {
		l.known[k.section] = true
	}
	return l
}

// all returns every option, DEFAULT first, in registration order.
func (l *layout) all() []*optInfo {
	var out []*optInfo
	for _, sec := range l.sections {
		out = append(out, l.opts[sec]...)
	}
	return out
}

// lookup returns a registered option, or nil.
func (l *layout) lookup(section, name string) *optInfo {
	return l.byKey[optKey{normSection(section), name}]
}

// Defaults returns a Config holding only default values, for tests and a
// zero-configuration start. It panics if a default does not interpolate or
// validate, which is a programmer error.
func (s *Schema) Defaults() *Config {
	l := s.snapshot()
	c, err := newConfig(l, defaultEntries(l))
	if err != nil {
		panic(fmt.Sprintf("config: invalid default: %v", err))
	}
	return c
}
