package policy

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDefaults resembles a service's in-code defaults.
var testDefaults = []Rule{
	{Name: "context_is_admin", Check: "role:admin"},
	{Name: "admin_or_owner", Check: "is_admin:True or project_id:%(project_id)s"},
	{Name: "admin_api", Check: "is_admin:True"},
	{Name: "is_admin", Check: "role:admin"},
	{
		Name:        "volume:create",
		Check:       "",
		Description: "Create volume.",
		Operations:  []Operation{{Method: "POST", Path: "/volumes"}},
		ScopeTypes:  []string{"project"},
	},
	{
		Name:        "volume:get",
		Check:       "rule:is_admin or project_id:%(project_id)s",
		Description: "Show volume.",
		Operations:  []Operation{{Method: "GET", Path: "/volumes/{volume_id}"}},
		ScopeTypes:  []string{"project"},
	},
}

var (
	memberCreds = Credentials{UserID: "u1", ProjectID: "p1", ProjectDomainID: "default", Roles: []string{"member", "reader"}}
	adminCreds  = Credentials{UserID: "a1", ProjectID: "admin", ProjectDomainID: "default", Roles: []string{"admin", "member", "reader"}}
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newEnforcer(t *testing.T, file string) *Enforcer {
	t.Helper()
	e, err := NewEnforcer(testDefaults, file)
	if err != nil {
		t.Fatalf("NewEnforcer: %v", err)
	}
	return e
}

func TestEnforcerDefaults(t *testing.T) {
	e := newEnforcer(t, "")
	own := map[string]string{"project_id": "p1"}
	other := map[string]string{"project_id": "p2"}
	tests := []struct {
		rule   string
		target map[string]string
		creds  Credentials
		want   bool
	}{
		{"volume:create", nil, memberCreds, true},
		{"volume:create", nil, Credentials{}, true},
		{"volume:get", own, memberCreds, true},
		{"volume:get", other, memberCreds, false},
		{"volume:get", other, adminCreds, true},
		{"admin_or_owner", other, adminCreds, true},
		{"admin_or_owner", other, memberCreds, false},
		{"admin_api", nil, adminCreds, true},
		{"volume:get", nil, memberCreds, false},
		{"context_is_admin", nil, adminCreds, true},
		{"context_is_admin", nil, memberCreds, false},
	}
	for _, tt := range tests {
		err := e.Enforce(tt.rule, tt.target, tt.creds)
		if (err == nil) != tt.want {
			t.Errorf("Enforce(%s, %v, roles %v) = %v, want allowed=%v", tt.rule, tt.target, tt.creds.Roles, err, tt.want)
		}
		if got := e.Allowed(tt.rule, tt.target, tt.creds); got != tt.want {
			t.Errorf("Allowed(%s) = %v, want %v", tt.rule, got, tt.want)
		}
		if err != nil {
			var fe *ForbiddenError
			if !errors.As(err, &fe) || fe.Rule != tt.rule {
				t.Errorf("Enforce(%s) error %v is not a ForbiddenError for the rule", tt.rule, err)
			}
		}
	}
}

func TestForbiddenErrorMessage(t *testing.T) {
	e := newEnforcer(t, "")
	err := e.Enforce("context_is_admin", nil, memberCreds)
	want := "Policy doesn't allow context_is_admin to be performed."
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestEnforceUnknownRule(t *testing.T) {
	e := newEnforcer(t, "")
	err := e.Enforce("volume:explode", nil, adminCreds)
	if !errors.Is(err, ErrUnknownRule) || !strings.Contains(err.Error(), "volume:explode") {
		t.Errorf("Enforce(unknown) = %v, want ErrUnknownRule naming the rule", err)
	}
	var fe *ForbiddenError
	if errors.As(err, &fe) {
		t.Errorf("unknown rule reported as ForbiddenError")
	}
	if e.Allowed("volume:explode", nil, adminCreds) {
		t.Error("Allowed(unknown) = true")
	}
}

func TestNewEnforcerErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, `"volume:create": "role:admin and"`)
	notMap := filepath.Join(dir, "list.yaml")
	writeFile(t, notMap, "- a\n- b\n")
	tests := []struct {
		name     string
		defaults []Rule
		file     string
		want     string
	}{
		{"bad default", []Rule{{Name: "x", Check: "role:a or"}}, "", `default rule "x"`},
		{"duplicate", []Rule{{Name: "x", Check: "@"}, {Name: "x", Check: "!"}}, "", "registered twice"},
		{"unnamed", []Rule{{Check: "@"}}, "", "has no name"},
		{"bad file rule", testDefaults, bad, `rule "volume:create"`},
		{"file not a mapping", testDefaults, notMap, "parse policy file"},
		{"file is a directory", testDefaults, dir, "policy file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEnforcer(tt.defaults, tt.file)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEnforcer error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := NewEnforcer(testDefaults, filepath.Join(dir, "missing.yaml")); err != nil {
		t.Errorf("missing policy file: %v", err)
	}
}

func TestPolicyFileOverride(t *testing.T) {
	tests := []struct {
		name, content string
	}{
		{"yaml", "# operator overrides\n\"volume:create\": \"rule:context_is_admin\"\nvolume:get: 'rule:custom'\ncustom: role:auditor\n"},
		{"json", `{
	"volume:create": "rule:context_is_admin",
	"volume:get": "rule:custom",
	"custom": "role:auditor"
}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "policy."+tt.name)
			writeFile(t, file, tt.content)
			e := newEnforcer(t, file)
			if err := e.Enforce("volume:create", nil, memberCreds); err == nil {
				t.Error("member may create volume despite override")
			}
			if err := e.Enforce("volume:create", nil, adminCreds); err != nil {
				t.Errorf("admin denied: %v", err)
			}
			auditor := Credentials{ProjectID: "p9", Roles: []string{"Auditor"}}
			if err := e.Enforce("volume:get", map[string]string{"project_id": "p1"}, auditor); err != nil {
				t.Errorf("new rule from file not used: %v", err)
			}
			if err := e.Enforce("custom", nil, auditor); err != nil {
				t.Errorf("rule defined only in the file cannot be enforced: %v", err)
			}
			if err := e.Enforce("context_is_admin", nil, adminCreds); err != nil {
				t.Errorf("default not overridden was lost: %v", err)
			}
			if got := e.Rules(); !reflect.DeepEqual(got, testDefaults) {
				t.Errorf("Rules() = %v, want the defaults", got)
			}
		})
	}
}

func TestPolicyFileEmpty(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, file, "# nothing overridden\n")
	e := newEnforcer(t, file)
	if err := e.Enforce("volume:create", nil, memberCreds); err != nil {
		t.Errorf("empty file changed the defaults: %v", err)
	}
}

func TestReloadChangeAndDelete(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := newEnforcer(t, file)
	check := func(step string, want bool) {
		t.Helper()
		if got := e.Allowed("volume:create", nil, memberCreds); got != want {
			t.Errorf("%s: member volume:create allowed = %v, want %v", step, got, want)
		}
	}
	check("no file", true)

	writeFile(t, file, `"volume:create": "rule:context_is_admin"`+"\n")
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("file appears", false)

	writeFile(t, file, `"volume:create": "role:admin and"`+"\n")
	if err := e.Reload(); err == nil || !strings.Contains(err.Error(), "volume:create") {
		t.Errorf("Reload of a bad file = %v, want an error naming the rule", err)
	}
	check("bad file keeps previous rules", false)

	writeFile(t, file, `"volume:create": "role:member"`+"\n")
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("file fixed", true)

	writeFile(t, file, `"volume:create": "!"`+"\n")
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("file changed", false)

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("file deleted restores defaults", true)
}

func TestAutomaticReload(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the stat interval")
	}
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := newEnforcer(t, file)
	if !e.Allowed("volume:create", nil, memberCreds) {
		t.Fatal("default should allow a member")
	}
	writeFile(t, file, `"volume:create": "rule:context_is_admin"`+"\n")
	time.Sleep(statInterval + 100*time.Millisecond)
	if e.Allowed("volume:create", nil, memberCreds) {
		t.Error("new policy file not picked up after the stat interval")
	}

	writeFile(t, file, "\"volume:create\": 'role:admin and'\n") // unparseable: keep previous
	time.Sleep(statInterval + 100*time.Millisecond)
	if e.Allowed("volume:create", nil, memberCreds) {
		t.Error("unparseable file changed the effective rules")
	}
	if !e.Allowed("volume:create", nil, adminCreds) {
		t.Error("unparseable file broke the previous rules")
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	time.Sleep(statInterval + 100*time.Millisecond)
	if !e.Allowed("volume:create", nil, memberCreds) {
		t.Error("deleting the policy file did not restore the defaults")
	}
}

func TestFailureLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	file := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, file, "\"volume:create\": 'role:admin and'\n")
	e := newEnforcer(t, filepath.Join(t.TempDir(), "other.yaml"))
	e.path = file
	for i := 0; i < 3; i++ {
		e.nextStat.Store(0) // force a stat on every call
		e.Allowed("volume:create", nil, memberCreds)
	}
	key := e.failKey
	if key == "" {
		t.Fatal("failure not recorded")
	}
	e.nextStat.Store(0)
	e.Allowed("volume:create", nil, memberCreds)
	if e.failKey != key {
		t.Errorf("failure key changed without a file change: %q → %q", key, e.failKey)
	}
	if !e.Allowed("volume:create", nil, memberCreds) {
		t.Error("unparseable file replaced the defaults")
	}
	if n := strings.Count(logs.String(), "policy file unusable"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestDecodePolicy(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
		wantErr  bool
	}{
		{"yaml", "a: role:x\n\"b\": ''\n", map[string]string{"a": "role:x", "b": ""}, false},
		{"json", "{\n\t\"a\": \"role:x\",\n\t\"b\": \"@\"\n}", map[string]string{"a": "role:x", "b": "@"}, false},
		{"empty", "", nil, false},
		{"comments only", "# nothing\n", nil, false},
		{"nested value", "a:\n  b: c\n", nil, true},
		{"list", "[a, b]", nil, true},
		{"duplicate yaml key", "a: '@'\na: '!'\n", nil, true},
		{"broken json", `{"a": `, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePolicy([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodePolicy error = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && len(got)+len(tt.want) > 0 && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodePolicy = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRulesIsACopy(t *testing.T) {
	e := newEnforcer(t, "")
	r := e.Rules()
	r[4].Operations[0].Path = "/changed"
	r[0].Name = "changed"
	if !reflect.DeepEqual(e.Rules(), testDefaults) {
		t.Error("Rules() exposes the enforcer's defaults")
	}
}

func TestEnforceConcurrentWithReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	e := newEnforcer(t, file)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				e.nextStat.Store(0)
				_ = e.Enforce("volume:get", map[string]string{"project_id": "p1"}, memberCreds)
			}
		}()
	}
	for i := 0; i < 20; i++ {
		writeFile(t, file, `"volume:create": "role:r`+strings.Repeat("x", i)+`"`)
		if err := e.Reload(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func TestEnforceDoesNotAllocate(t *testing.T) {
	e := newEnforcer(t, "")
	target := map[string]string{"project_id": "p1"}
	allocs := testing.AllocsPerRun(100, func() {
		if err := e.Enforce("volume:get", target, memberCreds); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Enforce allocates %.1f times per call", allocs)
	}
}

func BenchmarkEnforce(b *testing.B) {
	file := filepath.Join(b.TempDir(), "policy.yaml")
	e, err := NewEnforcer(testDefaults, file)
	if err != nil {
		b.Fatal(err)
	}
	target := map[string]string{"project_id": "p1"}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Enforce("volume:get", target, memberCreds); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLintWarnsAboutUndefinedAndCyclicRules(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	e, err := NewEnforcer([]Rule{
		{Name: "a", Check: "rule:b"},
		{Name: "b", Check: "rule:a or rule:typo"},
		{Name: "c", Check: "rule:a"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{"undefined=typo", "rule=a", "rule=b"} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "cycle") != 2 {
		t.Errorf("want cycle warnings for a and b only:\n%s", out)
	}
	if e.Allowed("c", nil, adminCreds) {
		t.Error("rule reaching a cycle was allowed")
	}
}
