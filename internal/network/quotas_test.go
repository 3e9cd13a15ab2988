package network

import (
	"net/http"
	"testing"
)

func TestQuotas(t *testing.T) {
	e := newTestEnv(t)
	q := e.call("GET", "/v2.0/quotas/"+e.demo, e.member, nil).Must(t, http.StatusOK).Obj("quota")
	if q["network"] != 100.0 || q["port"] != 500.0 || q["security_group"] != 10.0 {
		t.Errorf("default quotas: %v", q)
	}
	e.call("GET", "/v2.0/quotas/"+e.otherP, e.member, nil).Must(t, http.StatusForbidden)
	e.call("PUT", "/v2.0/quotas/"+e.demo, e.member, map[string]any{"quota": map[string]any{"network": 1}}).Must(t, http.StatusForbidden)
	set := e.call("PUT", "/v2.0/quotas/"+e.demo, e.admin, map[string]any{"quota": map[string]any{"network": 1}}).Must(t, http.StatusOK).Obj("quota")
	if set["network"] != 1.0 {
		t.Errorf("after quota set: %v", set)
	}
	e.network(e.member, map[string]any{"name": "one"})
	over := e.call("POST", "/v2.0/networks", e.member, map[string]any{"network": map[string]any{"name": "two"}}).Must(t, http.StatusConflict)
	if neutronType(over) != "OverQuota" {
		t.Errorf("over quota: %s", over.Raw)
	}
	e.network(e.other, map[string]any{"name": "other projects count alone"})
	details := e.call("GET", "/v2.0/quotas/"+e.demo+"/details", e.member, nil).Must(t, http.StatusOK).Obj("quota")
	if n := details["network"].(map[string]any); n["used"] != 1.0 || n["limit"] != 1.0 {
		t.Errorf("details: %v", details)
	}
	if got := e.call("GET", "/v2.0/quotas", e.admin, nil).Must(t, http.StatusOK).List("quotas"); len(got) != 1 || got[0]["project_id"] != e.demo {
		t.Errorf("quota list: %v", got)
	}
	e.call("PUT", "/v2.0/quotas/"+e.demo, e.admin, map[string]any{"quota": map[string]any{"network": "lots"}}).Must(t, http.StatusBadRequest)
	e.call("PUT", "/v2.0/quotas/"+e.demo, e.admin, map[string]any{"quota": map[string]any{"widgets": 3}}).Must(t, http.StatusBadRequest)
	e.call("DELETE", "/v2.0/quotas/"+e.demo, e.admin, nil).Must(t, http.StatusNoContent)
	e.network(e.member, map[string]any{"name": "two"})
}

func TestSecurityGroupQuota(t *testing.T) {
	e := newTestEnv(t)
	e.call("PUT", "/v2.0/quotas/"+e.demo, e.admin, map[string]any{"quota": map[string]any{"security_group": 2}}).Must(t, http.StatusOK)
	// the default group counts: one more fits, the next does not
	e.call("POST", "/v2.0/security-groups", e.member, map[string]any{"security_group": map[string]any{"name": "web"}}).Must(t, http.StatusCreated)
	over := e.call("POST", "/v2.0/security-groups", e.member, map[string]any{"security_group": map[string]any{"name": "db"}}).Must(t, http.StatusConflict)
	if neutronType(over) != "OverQuota" {
		t.Errorf("security group over quota: %s", over.Raw)
	}
}
