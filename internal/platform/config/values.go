package config

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Config is a validated configuration. It is immutable except through Set and
// safe for concurrent use.
type Config struct {
	layout *layout

	mu      sync.RWMutex
	entries map[optKey]*entry
	values  *resolved
}

// newConfig interpolates and validates entries into a Config.
func newConfig(l *layout, entries map[optKey]*entry) (*Config, error) {
	r, err := resolve(l, entries)
	if err != nil {
		return nil, err
	}
	return &Config{layout: l, entries: entries, values: r}, nil
}

// String returns a String or URI option.
func (c *Config) String(section, name string) string {
	return c.get(section, name, String, URI).(string)
}

// Int returns an Int or Port option (0 when it has no value).
func (c *Config) Int(section, name string) int {
	return c.get(section, name, Int, Port).(int)
}

// Float returns a Float option (0 when it has no value).
func (c *Config) Float(section, name string) float64 {
	return c.get(section, name, Float).(float64)
}

// Bool returns a Bool option.
func (c *Config) Bool(section, name string) bool {
	return c.get(section, name, Bool).(bool)
}

// List returns a List option: its comma-separated items, trimmed, with empty
// items dropped. The slice is the caller's.
func (c *Config) List(section, name string) []string {
	return slices.Clone(c.get(section, name, List).([]string))
}

// Multi returns the values of a MultiString option, in the order given. The
// slice is the caller's.
func (c *Config) Multi(section, name string) []string {
	return slices.Clone(c.get(section, name, MultiString).([]string))
}

// get returns the typed value of an option, panicking if it is not registered
// or not of one of the wanted types (programmer errors).
func (c *Config) get(section, name string, want ...Type) any {
	info := c.mustLookup(section, name)
	if !slices.Contains(want, info.opt.Type) {
		panic(fmt.Sprintf("config: option [%s] %s is a %s option, not %s",
			info.section, name, info.opt.Type, want[0]))
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values.typed[info.key()]
}

func (c *Config) mustLookup(section, name string) *optInfo {
	info := c.layout.lookup(section, name)
	if info == nil {
		panic(fmt.Sprintf("config: option [%s] %s is not registered", section, name))
	}
	return info
}

// IsSet reports whether an option was given a value by a file or by Set, as
// opposed to holding its default. It panics if the option is not registered.
func (c *Config) IsSet(section, name string) bool {
	info := c.mustLookup(section, name)
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries[info.key()].origin != fromDefault
}

// Source says where an option's value came from: "file:line" (the last value
// for MultiString), "default" or "set". It panics if the option is not
// registered.
func (c *Config) Source(section, name string) string {
	info := c.mustLookup(section, name)
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[info.key()]
	switch e.origin {
	case fromSet:
		return "set"
	case fromFile:
		last := e.vals[len(e.vals)-1]
		return fmt.Sprintf("%s:%d", last.file, last.line)
	}
	return "default"
}

// Set overrides an option, as oslo's set_override does: the value is
// interpolated and validated like a file value, and replaces every earlier
// value (for MultiString it becomes the only value). Options that refer to this
// one through interpolation see the new value. On error the Config is unchanged.
func (c *Config) Set(section, name, val string) error {
	info := c.layout.lookup(section, name)
	if info == nil {
		return fmt.Errorf("config: set [%s] %s: unknown option", section, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entries := maps.Clone(c.entries)
	entries[info.key()] = &entry{vals: []value{{text: val}}, origin: fromSet}
	r, err := resolve(c.layout, entries)
	if err != nil {
		return err
	}
	c.entries, c.values = entries, r
	return nil
}

// Dump writes every option as "[section]" headers and "name = value" lines,
// with interpolation applied and secret values shown as "****", for logging
// the effective configuration at start-up (like oslo's log_opt_values).
func (c *Config) Dump(w io.Writer) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var b strings.Builder
	for _, sec := range c.layout.sections {
		fmt.Fprintf(&b, "[%s]\n", sec)
		for _, info := range c.layout.opts[sec] {
			for _, line := range c.dumpValues(info) {
				fmt.Fprintf(&b, "%s = %s\n", info.opt.Name, line)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dumpValues returns the printable values of one option.
func (c *Config) dumpValues(info *optInfo) []string {
	texts := c.values.texts[info.key()]
	if len(texts) == 0 {
		return []string{"<None>"}
	}
	if info.opt.Type != MultiString {
		texts = texts[len(texts)-1:]
	}
	out := make([]string, len(texts))
	for i, t := range texts {
		switch {
		case info.opt.Secret:
			out[i] = redacted
		default:
			out[i] = strings.ReplaceAll(t, "\n", `\n`)
		}
	}
	return out
}

// Format implements fmt.Formatter: a Config printed with any verb shows its
// Dump, so secrets never reach a log through fmt.
func (c *Config) Format(f fmt.State, _ rune) {
	_ = c.Dump(f)
}
