package config

import (
	"errors"
	"strings"
	"testing"
)

func sampleSchema() *Schema {
	s := NewSchema()
	s.Register("token",
		Opt{Name: "expiration", Type: Int, Default: "3600", Min: IntBound(0),
			Help:            "The amount of time that a token should remain valid (in seconds). Drastically reducing this value may break \"long-running\" operations that involve multiple services to coordinate together.",
			DeprecatedNames: []DeprecatedName{{Section: "DEFAULT", Name: "token_expiration"}}},
		Opt{Name: "provider", Default: "fernet", Choices: []string{"fernet", "jws"}, Help: "Token provider."},
	)
	s.Register("DEFAULT",
		Opt{Name: "debug", Type: Bool, Default: "false", Help: "Log at DEBUG level.\n\nOnly for development."},
		Opt{Name: "admin_password", Secret: true, Help: "Bootstrap password."},
		Opt{Name: "enabled_apis", Type: List, Default: "compute, metadata"},
		Opt{Name: "bind_port", Type: Port, Default: "5000"},
		Opt{Name: "padded", Default: " x "},
		Opt{Name: "pci_alias", Type: MultiString, Default: "a\nb"},
		Opt{Name: "endpoint", Type: URI},
		Opt{Name: "ratio", Type: Float, Default: "1.5"},
	)
	return s
}

func TestWriteSample(t *testing.T) {
	var b strings.Builder
	if err := sampleSchema().WriteSample(&b); err != nil {
		t.Fatal(err)
	}
	want := `[DEFAULT]

# Log at DEBUG level.
#
# Only for development.
# (boolean value)
#debug = false

# Bootstrap password.
# (string value)
#admin_password = <None>

# (list value)
#enabled_apis = compute, metadata

# (port value)
# Minimum value: 0
# Maximum value: 65535
#bind_port = 5000

# (string value)
#padded = " x "

# (multi valued)
#pci_alias = a
#pci_alias = b

# (uri value)
#endpoint = <None>

# (floating point value)
#ratio = 1.5

[token]

# The amount of time that a token should remain valid (in seconds).
# Drastically reducing this value may break "long-running" operations
# that involve multiple services to coordinate together.
# (integer value)
# Minimum value: 0
# Deprecated group/name - [DEFAULT]/token_expiration
#expiration = 3600

# Token provider.
# (string value)
# Allowed values: fernet, jws
#provider = fernet
`
	if got := b.String(); got != want {
		t.Errorf("sample =\n%s\nwant\n%s", got, want)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if len(line) > sampleWidth && strings.Contains(line, " ") && !strings.HasPrefix(line, "#expiration") {
			t.Errorf("line longer than %d columns: %q", sampleWidth, line)
		}
	}
}

func TestSampleLoadsAndUncommentsToDefaults(t *testing.T) {
	s := sampleSchema()
	var b strings.Builder
	if err := s.WriteSample(&b); err != nil {
		t.Fatal(err)
	}
	if _, warns, err := loadText(s, src("sample.conf", b.String())); err != nil || len(warns) != 0 {
		t.Fatalf("sample does not load cleanly: %v %v", err, warns)
	}
	// Uncommenting every default that exists gives back the defaults.
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# ") && line != "#" && !strings.HasSuffix(line, "<None>") {
			line = line[1:]
		}
		out = append(out, line)
	}
	c, warns, err := loadText(s, src("uncommented.conf", strings.Join(out, "\n")))
	if err != nil || len(warns) != 0 {
		t.Fatalf("uncommented sample: %v %v", err, warns)
	}
	def := s.Defaults()
	if c.String("DEFAULT", "padded") != def.String("DEFAULT", "padded") ||
		strings.Join(c.Multi("DEFAULT", "pci_alias"), "|") != "a|b" ||
		c.Int("token", "expiration") != 3600 || c.Float("DEFAULT", "ratio") != 1.5 {
		t.Error("uncommented sample does not reproduce the defaults")
	}
}

func TestWrapHelp(t *testing.T) {
	tests := []struct {
		help  string
		width int
		want  []string
	}{
		{"", 10, nil},
		{"one two three", 7, []string{"one two", "three"}},
		{"  spaced\n  out  ", 20, []string{"spaced out"}},
		{"averyveryverylongword x", 5, []string{"averyveryverylongword", "x"}},
		{"a\n\n\nb", 10, []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		got := wrapHelp(tt.help, tt.width)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("wrapHelp(%q, %d) = %q, want %q", tt.help, tt.width, got, tt.want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteSampleError(t *testing.T) {
	if err := sampleSchema().WriteSample(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v", err)
	}
}
