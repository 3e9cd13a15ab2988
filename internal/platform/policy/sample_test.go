package policy

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWriteSample(t *testing.T) {
	rules := []Rule{
		{
			Name:        "identity:create_user",
			Check:       "rule:admin_required",
			Description: "Create a user.",
			Operations:  []Operation{{Method: "POST", Path: "/v3/users"}},
			ScopeTypes:  []string{"system", "domain"},
		},
		{
			Name:  "admin_required",
			Check: "role:admin or is_admin:1",
		},
		{
			Name:  "identity:get_user",
			Check: `user_id:"x" or rule:admin_required`,
			Description: "Show user details. This description is long enough that it has to be " +
				"wrapped over more than one line of the sample file.\n\nSecond paragraph.\n" +
				"    literal block line",
			Operations: []Operation{
				{Method: "GET", Path: "/v3/users/{user_id}"},
				{Method: "HEAD", Path: "/v3/users/{user_id}"},
				{Method: "", Path: "/ignored"},
			},
			ScopeTypes: []string{"system", "domain", "project"},
		},
	}
	want := `# Create a user.
# POST  /v3/users
# Intended scope(s): system, domain
#"identity:create_user": "rule:admin_required"

#
#"admin_required": "role:admin or is_admin:1"

# Show user details. This description is long enough that it has to be
# wrapped over more than one line of the sample file.
#
# Second paragraph.
#    literal block line
# GET  /v3/users/{user_id}
# HEAD  /v3/users/{user_id}
# Intended scope(s): system, domain, project
#"identity:get_user": "user_id:\"x\" or rule:admin_required"

`
	var buf bytes.Buffer
	if err := WriteSample(&buf, rules); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != want {
		t.Errorf("WriteSample:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if len(line) > sampleWidth && !strings.HasPrefix(line, `#"`) {
			t.Errorf("line longer than %d: %q", sampleWidth, line)
		}
	}
}

// TestWriteSampleUncommented checks that uncommenting the rule lines of a
// sample gives a policy file that reproduces the defaults.
func TestWriteSampleUncommented(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSample(&buf, testDefaults); err != nil {
		t.Fatal(err)
	}
	var policy strings.Builder
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, `#"`) {
			policy.WriteString(line[1:] + "\n")
		}
	}
	got, err := decodePolicy([]byte(policy.String()))
	if err != nil {
		t.Fatalf("uncommented sample does not parse: %v\n%s", err, policy.String())
	}
	if len(got) != len(testDefaults) {
		t.Fatalf("uncommented sample has %d rules, want %d", len(got), len(testDefaults))
	}
	for _, r := range testDefaults {
		if got[r.Name] != r.Check {
			t.Errorf("rule %q = %q, want %q", r.Name, got[r.Name], r.Check)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteSampleError(t *testing.T) {
	err := WriteSample(failingWriter{}, testDefaults)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteSample error = %v, want the writer's error", err)
	}
}
