package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/config"
)

// loadStores writes conf to a file, loads it with LoadConfig and builds the
// stores under a fresh state dir.
func loadStores(t *testing.T, conf string) (*Stores, string, error) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	conf = strings.ReplaceAll(conf, "@DIR@", dir)
	file := filepath.Join(dir, "glance-api.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := config.NewSchema()
	RegisterOptions(s)
	cfg, _, err := LoadConfig(s, []string{file}, nil)
	if err != nil {
		return nil, dir, err
	}
	st, err := FromConfig(cfg, state)
	return st, dir, err
}

func backendSummary(s *Stores) []string {
	var out []string
	for _, b := range s.Backends() {
		d := b.Type()
		if f, ok := b.Driver.(*File); ok {
			d += " " + f.Dir()
		}
		if b.Description != "" {
			d += " (" + b.Description + ")"
		}
		out = append(out, b.Name+": "+d)
	}
	return out
}

func TestFromConfig(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		want     []string // "name: type [dir] [(description)]", @DIR@ and @STATE@ expanded
		wantDef  string
		wantErrs []string // substrings of the error, if one is expected
	}{
		{
			name:    "empty config: legacy defaults in the state dir",
			conf:    "",
			want:    []string{"file: file @STATE@/images/file", "http: http"},
			wantDef: "file",
		},
		{
			name: "legacy stores and default_store with aliases",
			conf: "[glance_store]\nstores = filesystem, https\ndefault_store = filesystem\n" +
				"filesystem_store_datadir = @DIR@/glance/images\n",
			want:    []string{"file: file @DIR@/glance/images", "http: http"},
			wantDef: "file",
		},
		{
			name:    "legacy http only",
			conf:    "[glance_store]\nstores = http\ndefault_store = http\n",
			want:    []string{"http: http"},
			wantDef: "http",
		},
		{
			name:     "legacy default_store not enabled",
			conf:     "[glance_store]\nstores = http\ndefault_store = file\n",
			wantErrs: []string{"default_store", `"file"`},
		},
		{
			name:     "legacy unknown type",
			conf:     "[glance_store]\nstores = file, swift\n",
			wantErrs: []string{`"swift"`, "unknown store type"},
		},
		{
			name: "enabled_backends with sections",
			conf: "[DEFAULT]\nenabled_backends = fast:file, cheap:file, web:http\n" +
				"[glance_store]\ndefault_backend = fast\n" +
				"[fast]\nfilesystem_store_datadir = @DIR@/fast\nstore_description = Fast SSDs\n" +
				"[cheap]\nstore_description = Cheap disks\n",
			want: []string{
				"cheap: file @STATE@/images/cheap (Cheap disks)",
				"fast: file @DIR@/fast (Fast SSDs)",
				"web: http",
			},
			wantDef: "fast",
		},
		{
			name: "enabled_backends under [glance_store] (deprecated place)",
			conf: "[glance_store]\nenabled_backends = one:file\ndefault_backend = one\n" +
				"[one]\nfilesystem_store_datadir = @DIR@/one\n",
			want:    []string{"one: file @DIR@/one"},
			wantDef: "one",
		},
		{
			name:     "enabled_backends unknown type",
			conf:     "[DEFAULT]\nenabled_backends = a:file, b:cinder\n[glance_store]\ndefault_backend = a\n",
			wantErrs: []string{`"cinder"`, "unknown store type", "b"},
		},
		{
			name:     "enabled_backends without default_backend",
			conf:     "[DEFAULT]\nenabled_backends = a:file\n",
			wantErrs: []string{"default_backend is required"},
		},
		{
			name:     "default_backend not enabled",
			conf:     "[DEFAULT]\nenabled_backends = a:file\n[glance_store]\ndefault_backend = b\n",
			wantErrs: []string{`"b"`, "not one of"},
		},
		{
			name:     "malformed item",
			conf:     "[DEFAULT]\nenabled_backends = a\n[glance_store]\ndefault_backend = a\n",
			wantErrs: []string{`"a"`, "name:type"},
		},
		{
			name:     "duplicate name",
			conf:     "[DEFAULT]\nenabled_backends = a:file, a:http\n[glance_store]\ndefault_backend = a\n",
			wantErrs: []string{"twice"},
		},
		{
			name:     "reserved name",
			conf:     "[DEFAULT]\nenabled_backends = os_glance_staging_store:file\n[glance_store]\ndefault_backend = a\n",
			wantErrs: []string{"reserved"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, dir, err := loadStores(t, tt.conf)
			if len(tt.wantErrs) > 0 {
				if err == nil {
					t.Fatalf("no error, want one mentioning %q", tt.wantErrs)
				}
				for _, w := range tt.wantErrs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "@STATE@", filepath.Join(dir, "state"))
				want = append(want, strings.ReplaceAll(w, "@DIR@", dir))
			}
			if got := backendSummary(st); !slices.Equal(got, want) {
				t.Errorf("backends\n got %q\nwant %q", got, want)
			}
			if st.Default().Name != tt.wantDef {
				t.Errorf("default = %q, want %q", st.Default().Name, tt.wantDef)
			}
		})
	}
}

func TestRegisterOptionsSample(t *testing.T) {
	s := config.NewSchema()
	RegisterOptions(s)
	cfg := s.Defaults()
	cfg.Set("DEFAULT", OptBackends, "x:file,y:http")
	if err := RegisterBackendOptions(s, cfg); err != nil {
		t.Fatal(err)
	}
	if err := RegisterBackendOptions(s, cfg); err != nil { // idempotent
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteSample(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"[glance_store]", "#stores = file,http", "#default_store = file",
		"enabled_backends", "[x]", "[y]", "filesystem_store_datadir", "store_description"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("sample lacks %q", w)
		}
	}
}

func TestStoresSelection(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	st, err := Open([]BackendConfig{
		{Name: "a", Type: "file", Options: map[string]string{OptDataDir: dirA}},
		{Name: "b", Type: "file", Options: map[string]string{OptDataDir: dirB}},
		{Name: "web", Type: "http"},
	}, "b", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	loc, n, err := st.Default().Add(ctx, "img", strings.NewReader("hello"), -1)
	if err != nil || n != 5 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if loc.Metadata["store"] != "b" || loc.URL != "file://"+filepath.Join(dirB, "img") {
		t.Errorf("location = %+v", loc)
	}
	for url, want := range map[string]string{
		loc.URL:                          "b",
		"file://" + dirA + "/img":        "a",
		"https://example.com/cirros.img": "web",
		"file:///elsewhere/img":          "",
		"rbd://fsid/images/img/snap":     "",
	} {
		b, ok := st.ForLocation(url)
		if b.Name != want || ok != (want != "") {
			t.Errorf("ForLocation(%q) = %q, %v; want %q", url, b.Name, ok, want)
		}
	}
	if b, ok := st.Get("web"); !ok || !b.ReadOnly() {
		t.Error("Get(web) should be the read-only http backend")
	}
	if _, ok := st.Get("nope"); ok {
		t.Error("Get(nope) found a backend")
	}
	if _, _, err := st.Default().Add(ctx, "img", strings.NewReader("x"), -1); err == nil ||
		!strings.Contains(err.Error(), `store "b"`) {
		t.Errorf("duplicate Add error = %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	h := NewHTTP(HTTPOptions{})
	for name, tc := range map[string]struct {
		backends []Backend
		def      string
	}{
		"no name":         {[]Backend{{Driver: h}}, ""},
		"no driver":       {[]Backend{{Name: "a"}}, "a"},
		"duplicate":       {[]Backend{{Name: "a", Driver: h}, {Name: "a", Driver: h}}, "a"},
		"missing default": {[]Backend{{Name: "a", Driver: h}}, "b"},
	} {
		if _, err := New(tc.backends, tc.def); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := Open([]BackendConfig{{Name: "a", Type: "file"}}, "a", ""); err == nil {
		t.Error("file backend without data dir or state dir succeeded")
	}
	if got := Types(); !slices.Equal(got, []string{"file", "http"}) {
		t.Errorf("Types() = %v", got)
	}
}
