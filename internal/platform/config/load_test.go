package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadText loads in-memory files, in order, with the schema.
func loadText(s *Schema, files ...source) (*Config, []Warning, error) {
	return s.snapshot().load(files)
}

func src(name, text string) source { return source{name: name, data: []byte(text)} }

// writeFile creates dir/name with text and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func warningStrings(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

func precedenceSchema() *Schema {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "v", Default: "default"})
	s.Register("DEFAULT", Opt{Name: "m", Type: MultiString, Default: "d1\nd2"})
	return s
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	confDir := filepath.Join(dir, "conf.d")
	if err := os.Mkdir(confDir, 0o700); err != nil {
		t.Fatal(err)
	}
	f1 := writeFile(t, dir, "one.conf", "[DEFAULT]\nv = file1\nm = a\n")
	f2 := writeFile(t, dir, "two.conf", "[DEFAULT]\nv = file2\nm = b\nm = c\n")
	writeFile(t, confDir, "20-b.conf", "[DEFAULT]\nv = dir-b\n")
	writeFile(t, confDir, "10-a.conf", "[DEFAULT]\nv = dir-a\nm = d\n")
	writeFile(t, confDir, "30-c.txt", "[DEFAULT]\nv = not-a-conf-file\n")
	writeFile(t, confDir, ".40-hidden.conf", "[DEFAULT]\nv = hidden\n")
	if err := os.Mkdir(filepath.Join(confDir, "50-dir.conf"), 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		files  []string
		dirs   []string
		want   string
		source string
		multi  []string
	}{
		{"defaults", nil, nil, "default", "default", []string{"d1", "d2"}},
		{"one file", []string{f1}, nil, "file1", f1 + ":2", []string{"a"}},
		{"later file wins", []string{f1, f2}, nil, "file2", f2 + ":2", []string{"a", "b", "c"}},
		{"order of flags matters", []string{f2, f1}, nil, "file1", f1 + ":2", []string{"b", "c", "a"}},
		{"dir after files, sorted", []string{f1, f2}, []string{confDir}, "dir-b", filepath.Join(confDir, "20-b.conf") + ":2", []string{"a", "b", "c", "d"}},
		{"dir alone", nil, []string{confDir}, "dir-b", filepath.Join(confDir, "20-b.conf") + ":2", []string{"d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, warns, err := precedenceSchema().Load(tt.files, tt.dirs)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warns) != 0 {
				t.Errorf("warnings: %v", warns)
			}
			if got := c.String("DEFAULT", "v"); got != tt.want {
				t.Errorf("v = %q, want %q", got, tt.want)
			}
			if got := c.Source("DEFAULT", "v"); got != tt.source {
				t.Errorf("Source = %q, want %q", got, tt.source)
			}
			if got := c.Multi("DEFAULT", "m"); !slices.Equal(got, tt.multi) {
				t.Errorf("m = %q, want %q", got, tt.multi)
			}
			if err := c.Set("DEFAULT", "v", "set"); err != nil {
				t.Fatal(err)
			}
			if got, src := c.String("DEFAULT", "v"), c.Source("DEFAULT", "v"); got != "set" || src != "set" {
				t.Errorf("after Set: v = %q from %q", got, src)
			}
		})
	}
}

func TestLoadRepeatedKeyLastWins(t *testing.T) {
	c, _, err := loadText(precedenceSchema(), src("t.conf", "[DEFAULT]\nv = 1\nv = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("DEFAULT", "v"); got != "2" {
		t.Errorf("v = %q, want 2", got)
	}
	if got := c.Source("DEFAULT", "v"); got != "t.conf:3" {
		t.Errorf("Source = %q", got)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "ok.conf", "[DEFAULT]\n")
	missing := filepath.Join(dir, "missing.conf")
	tests := []struct {
		name  string
		files []string
		dirs  []string
		want  string
	}{
		{"missing file", []string{ok, missing}, nil, missing},
		{"file is a directory", []string{dir}, nil, dir},
		{"missing dir", nil, []string{filepath.Join(dir, "nope.d")}, filepath.Join(dir, "nope.d")},
		{"dir is a file", nil, []string{ok}, ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := precedenceSchema().Load(tt.files, tt.dirs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}

func TestLoadSyntaxErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.conf", "[DEFAULT]\nv = 1\noops\n")
	_, _, err := precedenceSchema().Load([]string{p}, nil)
	var se *SyntaxError
	if !errors.As(err, &se) || se.File != p || se.Line != 3 {
		t.Fatalf("err = %v, want syntax error at %s:3", err, p)
	}
}

func TestLoadWarnings(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "debug", Type: Bool, Default: "false"})
	s.Register("token", Opt{Name: "expiration", Type: Int, Default: "3600",
		DeprecatedNames: []DeprecatedName{{Section: "DEFAULT", Name: "token_expiration"}, {Name: "ttl"}}})
	s.Register("database", Opt{Name: "connection", Secret: true,
		DeprecatedNames: []DeprecatedName{{Section: "sql"}, {Section: "DEFAULT", Name: "sql_connection"}}})

	tests := []struct {
		name   string
		text   string
		warns  []string
		exp    int
		conn   string
		source string
	}{
		{"clean", "[DEFAULT]\ndebug = true\n[token]\nexpiration = 10\n", nil, 10, "", "k.conf:4"},
		{"unknown option", "[token]\nexpiraton = 10\n",
			[]string{"k.conf:2: [token] expiraton: unknown option"}, 3600, "", "default"},
		{"unknown section reported once", "[tokn]\na = 1\nb = 2\n[DEFAULT]\ndebug = 1\n",
			[]string{"k.conf:1: [tokn]: unknown section"}, 3600, "", "default"},
		{"deprecated name in DEFAULT", "[DEFAULT]\ntoken_expiration = 20\n",
			[]string{"k.conf:2: [DEFAULT] token_expiration: deprecated name; use [token] expiration"}, 20, "", "k.conf:2"},
		{"deprecated name in same section", "[token]\nttl = 30\n",
			[]string{"k.conf:2: [token] ttl: deprecated name; use [token] expiration"}, 30, "", "k.conf:2"},
		{"deprecated section", "[sql]\nconnection = sqlite://\n",
			[]string{"k.conf:2: [sql] connection: deprecated name; use [database] connection"}, 3600, "sqlite://", "default"},
		{"new name wins within a file", "[token]\nexpiration = 1\n[DEFAULT]\ntoken_expiration = 2\n",
			[]string{"k.conf:4: [DEFAULT] token_expiration: deprecated name; use [token] expiration"}, 1, "", "k.conf:2"},
		{"last deprecated wins", "[DEFAULT]\ntoken_expiration = 2\n[token]\nttl = 3\n",
			[]string{
				"k.conf:2: [DEFAULT] token_expiration: deprecated name; use [token] expiration",
				"k.conf:4: [token] ttl: deprecated name; use [token] expiration",
			}, 3, "", "k.conf:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, warns, err := loadText(s, src("k.conf", tt.text))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := warningStrings(warns); !slices.Equal(got, tt.warns) {
				t.Errorf("warnings = %q\nwant       %q", got, tt.warns)
			}
			if got := c.Int("token", "expiration"); got != tt.exp {
				t.Errorf("expiration = %d, want %d", got, tt.exp)
			}
			if got := c.String("database", "connection"); got != tt.conn {
				t.Errorf("connection = %q, want %q", got, tt.conn)
			}
			if got := c.Source("token", "expiration"); got != tt.source {
				t.Errorf("Source = %q, want %q", got, tt.source)
			}
		})
	}
}

func TestLoadDeprecatedAcrossFiles(t *testing.T) {
	s := NewSchema()
	s.Register("token", Opt{Name: "expiration", Type: Int, DeprecatedNames: []DeprecatedName{{Section: "DEFAULT", Name: "token_expiration"}}})
	c, warns, err := loadText(s,
		src("a.conf", "[token]\nexpiration = 1\n"),
		src("b.conf", "[DEFAULT]\ntoken_expiration = 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Int("token", "expiration"); got != 2 {
		t.Errorf("expiration = %d, want 2 (later file wins)", got)
	}
	if len(warns) != 1 || warns[0].File != "b.conf" || warns[0].Line != 2 {
		t.Errorf("warnings = %v", warns)
	}
}

func TestLoadReturnsAllValueErrors(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "a", Type: Int}, Opt{Name: "b", Type: Bool})
	_, _, err := loadText(s, src("t.conf", "[DEFAULT]\na = x\nb = maybe\n"))
	if err == nil {
		t.Fatal("no error")
	}
	want := "t.conf:2: [DEFAULT] a = \"x\": not an integer\n" +
		"t.conf:3: [DEFAULT] b = \"maybe\": not a boolean (use true/false, yes/no, on/off or 1/0)"
	if err.Error() != want {
		t.Errorf("err = %s\nwant  %s", err, want)
	}
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Key != "a" {
		t.Errorf("errors.As = %+v", ve)
	}
}

func TestLoadKeepsWarningsOnError(t *testing.T) {
	s := NewSchema()
	s.Register("DEFAULT", Opt{Name: "a", Type: Int})
	_, warns, err := loadText(s, src("t.conf", "[DEFAULT]\nzz = 1\na = x\n"))
	if err == nil || len(warns) != 1 {
		t.Errorf("err = %v, warns = %v", err, warns)
	}
}
