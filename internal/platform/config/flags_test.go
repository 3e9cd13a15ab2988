package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestSourcesFlags(t *testing.T) {
	var s Sources
	fs := flag.NewFlagSet("gostack", flag.ContinueOnError)
	s.RegisterFlags(fs)
	args := []string{"--config-file", "/etc/a.conf", "--config-dir=/etc/a.d", "-config-file=b.conf", "rest"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := Sources{Files: []string{"/etc/a.conf", "b.conf"}, Dirs: []string{"/etc/a.d"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Sources = %+v, want %+v", s, want)
	}
	if s.Empty() || !(Sources{}).Empty() {
		t.Error("Empty is wrong")
	}
	if fs.Arg(0) != "rest" {
		t.Errorf("args = %q", fs.Args())
	}
}

func TestSourcesLoad(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "gostack.conf", "[DEFAULT]\nv = from-file\n")
	c, _, err := Sources{Files: []string{p}}.Load(precedenceSchema())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String("DEFAULT", "v"); got != "from-file" {
		t.Errorf("v = %q", got)
	}
}

func TestSearchSources(t *testing.T) {
	root := t.TempDir()
	home, etcProject, etc := filepath.Join(root, "home"), filepath.Join(root, "etc", "gostack"), filepath.Join(root, "etc")
	for _, d := range []string{home, etcProject, filepath.Join(etc, "gostack.conf.d")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, etcProject, "gostack.conf", "")
	writeFile(t, etc, "gostack.conf", "")
	dirs := []string{filepath.Join(home, ".gostack"), home, etcProject, etc}

	got := searchSources(dirs, "gostack")
	want := Sources{
		Files: []string{filepath.Join(etcProject, "gostack.conf")},
		Dirs:  []string{filepath.Join(etc, "gostack.conf.d")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("searchSources = %+v, want %+v", got, want)
	}

	writeFile(t, home, "gostack.conf", "")
	if got := searchSources(dirs, "gostack"); got.Files[0] != filepath.Join(home, "gostack.conf") {
		t.Errorf("home file should win, got %+v", got)
	}
	if got := searchSources(dirs, "other"); !got.Empty() {
		t.Errorf("nothing should be found, got %+v", got)
	}
}

func TestDefaultSourcesUsesHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.Mkdir(filepath.Join(home, ".gostack-test-project"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, filepath.Join(home, ".gostack-test-project"), "gostack-test-project.conf", "")
	if got := DefaultSources("gostack-test-project"); len(got.Files) != 1 || got.Files[0] != p {
		t.Errorf("DefaultSources = %+v, want %s", got, p)
	}
}

func TestWithServiceFile(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "gostack.conf")
	other := filepath.Join(t.TempDir(), "extra.conf")
	for p, text := range map[string]string{
		shared:                                "[DEFAULT]\nbind_port = 1\n",
		other:                                 "[DEFAULT]\n",
		filepath.Join(dir, "glance-api.conf"): "[DEFAULT]\nbind_port = 9393\n",
	} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := Sources{Files: []string{shared, other}}
	got := s.WithServiceFile("glance-api.conf")
	want := []string{shared, other, filepath.Join(dir, "glance-api.conf")}
	if !slices.Equal(got.Files, want) {
		t.Fatalf("files = %v, want %v", got.Files, want)
	}
	if len(s.Files) != 2 {
		t.Fatalf("the original sources changed: %v", s.Files)
	}
	schema := NewSchema()
	schema.Register("DEFAULT", Opt{Name: "bind_port", Type: Port})
	cfg, _, err := got.Load(schema)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Int("DEFAULT", "bind_port") != 9393 {
		t.Errorf("the service file does not win: bind_port = %d", cfg.Int("DEFAULT", "bind_port"))
	}
	if none := s.WithServiceFile("nova.conf"); !slices.Equal(none.Files, s.Files) {
		t.Errorf("a missing service file was added: %v", none.Files)
	}
}
