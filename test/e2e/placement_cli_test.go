package e2e

import (
	"strings"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
)

// TestPlacementCLI drives the placement API with the real openstack CLI and its osc-placement
// plugin: a provider with inventory and traits, an allocation, usages and candidates.
func TestPlacementCLI(t *testing.T) {
	t.Parallel()
	c := startCloud(t, db.SQLite)
	v := []string{"--os-placement-api-version", "1.39"}
	pl := func(args ...string) []string { return append(append([]string{}, v...), args...) }

	var rp map[string]any
	openstackJSON(t, c.env, &rp, pl("resource", "provider", "create", "compute1")...)
	id, _ := rp["uuid"].(string)
	if id == "" || rp["name"] != "compute1" || rp["generation"] != 0.0 {
		t.Fatalf("resource provider create: %v", rp)
	}
	c.openstack(t, pl("resource", "provider", "inventory", "set", id,
		"--resource", "VCPU=8", "--resource", "VCPU:allocation_ratio=4.0", "--resource", "MEMORY_MB=4096", "--resource", "DISK_GB=40")...)
	inv := c.openstack(t, pl("resource", "provider", "inventory", "list", id)...)
	for _, want := range []string{"VCPU", "MEMORY_MB", "DISK_GB", "4.0"} {
		if !strings.Contains(inv, want) {
			t.Errorf("inventory list lacks %s:\n%s", want, inv)
		}
	}
	c.openstack(t, pl("trait", "create", "CUSTOM_FAST")...)
	c.openstack(t, pl("resource", "provider", "trait", "set", id, "--trait", "HW_CPU_X86_AVX2", "--trait", "CUSTOM_FAST")...)
	if out := c.openstack(t, pl("resource", "provider", "trait", "list", id)...); !strings.Contains(out, "CUSTOM_FAST") {
		t.Errorf("trait list:\n%s", out)
	}
	if out := c.openstack(t, pl("trait", "list")...); !strings.Contains(out, "HW_CPU_X86_AVX2") {
		t.Errorf("trait list lacks the standard traits")
	}
	if out := c.openstack(t, pl("resource", "class", "list")...); !strings.Contains(out, "MEMORY_MB") {
		t.Errorf("resource class list:\n%s", out)
	}

	cand := c.openstack(t, pl("allocation", "candidate", "list", "--resource", "VCPU=2", "--resource", "MEMORY_MB=512", "--required", "CUSTOM_FAST")...)
	if !strings.Contains(cand, id) {
		t.Errorf("allocation candidate list lacks %s:\n%s", id, cand)
	}
	if out := c.openstack(t, pl("allocation", "candidate", "list", "--resource", "VCPU=33")...); strings.Contains(out, id) {
		t.Errorf("33 VCPUs fit in 8×4.0:\n%s", out)
	}

	consumer := "a0b15655-3b4b-4b71-9f4c-1b2f8e3c1a11"
	c.openstack(t, pl("resource", "provider", "allocation", "set", consumer,
		"--allocation", "rp="+id+",VCPU=2,MEMORY_MB=512",
		"--project-id", "a0b15655-3b4b-4b71-9f4c-1b2f8e3c1a12", "--user-id", "a0b15655-3b4b-4b71-9f4c-1b2f8e3c1a13",
		"--consumer-type", "INSTANCE")...)
	if out := c.openstack(t, pl("resource", "provider", "usage", "show", id)...); !strings.Contains(out, "512") {
		t.Errorf("usage show:\n%s", out)
	}
	if out := openstackFails(t, c.env, pl("resource", "provider", "inventory", "delete", id, "--resource-class", "VCPU")...); !strings.Contains(out, "409") && !strings.Contains(strings.ToLower(out), "in use") {
		t.Errorf("deleting inventory in use: %s", out)
	}
	c.openstack(t, pl("resource", "provider", "allocation", "delete", consumer)...)
	c.openstack(t, pl("resource", "provider", "delete", id)...)
	if out := openstackFails(t, c.env, pl("resource", "provider", "show", id)...); !strings.Contains(out, "404") && !strings.Contains(strings.ToLower(out), "no resource provider") {
		t.Errorf("show after delete: %s", out)
	}
}
