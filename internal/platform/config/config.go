// Package config reads gostack's configuration the way OpenStack services read
// theirs with oslo.config: INI files with a [DEFAULT] section and named sections,
// given by --config-file (repeatable, later files override earlier ones) and
// --config-dir (every *.conf in it, sorted by name, read after the files).
//
// Each service registers typed options (Opt) in a Schema; Schema.Load parses the
// files, validates every value and returns an immutable *Config with typed
// getters. Operators can copy their existing keystone.conf, nova.conf … unchanged:
// the parser accepts what oslo.config's iniparser accepts, including continuation
// lines, quoted values and $name / ${section.name} interpolation.
//
// Values: a repeated key takes the last value, except MultiString options,
// whose values accumulate across keys and files. An empty value means "no
// value" for Int, Float, Port and URI (the getter returns 0 or ""). $name and
// ${name} are replaced by the option of that name in the same section, else in
// DEFAULT; ${section.name} names an option of another section; $$ is a literal
// $, and a $ that starts no placeholder is kept. Defaults are interpolated too.
//
// User input never causes a panic: bad values are returned as *ValueError, bad
// syntax as *SyntaxError, and unknown or deprecated names as Warnings. Getters
// panic only on programmer errors (an option that was never registered, or read
// with the wrong type).
package config

import (
	"fmt"
	"strings"
)

// Type is the type of an option's value.
type Type int

// The option types, named after oslo.config's StrOpt, IntOpt, FloatOpt, BoolOpt,
// ListOpt, MultiStrOpt, PortOpt and URIOpt.
const (
	String      Type = iota // free text
	Int                     // integer with optional sign, bounded by Opt.Min/Opt.Max
	Float                   // finite floating-point number
	Bool                    // true/false, yes/no, on/off, 1/0 (case-insensitive)
	List                    // comma-separated items, trimmed, empty items dropped
	MultiString             // repeated keys accumulate; the default is split on "\n"
	Port                    // integer 0–65535, further bounded by Opt.Min/Opt.Max
	URI                     // URL with a scheme and "//", such as http://host/ or sqlite:///path
)

var typeNames = [...]string{
	String:      "string",
	Int:         "integer",
	Float:       "float",
	Bool:        "boolean",
	List:        "list",
	MultiString: "multi-string",
	Port:        "port",
	URI:         "uri",
}

// sampleTypes are the type descriptions oslo-config-generator prints.
var sampleTypes = [...]string{
	String:      "string value",
	Int:         "integer value",
	Float:       "floating point value",
	Bool:        "boolean value",
	List:        "list value",
	MultiString: "multi valued",
	Port:        "port value",
	URI:         "uri value",
}

// String returns the type's name, such as "integer".
func (t Type) String() string {
	if !t.valid() {
		return fmt.Sprintf("Type(%d)", int(t))
	}
	return typeNames[t]
}

func (t Type) valid() bool { return t >= String && t <= URI }

// Opt describes one option.
type Opt struct {
	Name    string
	Type    Type
	Default string   // textual default; "" = no default (unset)
	Help    string   // one or more paragraphs separated by blank lines
	Secret  bool     // value never printed (the sample shows the default only; Dump redacts)
	Choices []string // allowed values when non-empty
	Min     *int64   // lower bound for Int/Port (nil = unbounded)
	Max     *int64   // upper bound for Int/Port (nil = unbounded)
	// DeprecatedNames are old section/name pairs that are still read, with a warning.
	DeprecatedNames []DeprecatedName
}

// DeprecatedName is an old location of an option. An empty Section means the
// option's own section; an empty Name means the option's own name.
type DeprecatedName struct{ Section, Name string }

// IntBound returns a pointer to v, for Opt.Min and Opt.Max.
func IntBound(v int64) *int64 { return &v }

// Warning is a non-fatal problem: an unknown section or option, a deprecated name.
type Warning struct {
	File    string
	Line    int
	Section string
	Key     string // empty for a warning about a whole section
	Message string
}

// String formats the warning as "file:line: [section] key: message".
func (w Warning) String() string {
	var b strings.Builder
	if w.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", w.File, w.Line)
	}
	fmt.Fprintf(&b, "[%s]", w.Section)
	if w.Key != "" {
		b.WriteString(" " + w.Key)
	}
	b.WriteString(": " + w.Message)
	return b.String()
}

// ValueError is a fatal problem with a value: it does not parse as the option's
// type, is out of bounds, is not an allowed choice or cannot be interpolated.
// File is empty for defaults and values given to Config.Set. Value is "****" for
// secret options.
type ValueError struct {
	File    string
	Line    int
	Section string
	Key     string
	Value   string
	Reason  string
}

// Error formats the problem as `file:line: [section] key = "value": reason`.
func (e *ValueError) Error() string {
	loc := ""
	if e.File != "" {
		loc = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	}
	return fmt.Sprintf("%s[%s] %s = %q: %s", loc, e.Section, e.Key, e.Value, e.Reason)
}

// SyntaxError is a line of a configuration file that is neither a section
// header, a key/value pair, a comment, a blank line nor a continuation line.
type SyntaxError struct {
	File   string
	Line   int
	Text   string // the offending line
	Reason string
}

// Error formats the problem as `file:line: reason: "text"`.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %q", e.File, e.Line, e.Reason, e.Text)
}
