package identity

import (
	"net/http"
	"os"
	"testing"
)

// TestPolicyFileAppliesWithoutRestart overrides a rule in the policy file of a running service,
// then deletes the file: the override applies and the default returns, with no restart.
func TestPolicyFileAppliesWithoutRestart(t *testing.T) {
	file := tempFile(t, "policy.yaml")
	e := newTestEnv(t, func(o *Options) { o.PolicyFile = file })
	e.call("GET", "/v3/projects", e.admin, nil).must(t, http.StatusOK)

	if err := os.WriteFile(file, []byte(`"identity:list_projects": "role:nobody-has-this"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.policy.Reload(); err != nil {
		t.Fatal(err)
	}
	res := e.call("GET", "/v3/projects", e.admin, nil).must(t, http.StatusForbidden)
	if res.errorMessage() == "" {
		t.Error("403 without a message")
	}

	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.policy.Reload(); err != nil {
		t.Fatal(err)
	}
	e.call("GET", "/v3/projects", e.admin, nil).must(t, http.StatusOK)
}
