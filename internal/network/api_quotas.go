package network

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
	"github.com/gostack/gostack/internal/platform/policy"
)

// quotaResources are the resources with quotas, by Neutron's names.
var quotaResources = []string{"network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule"}

// quotaTables are where each resource is counted.
var quotaTables = map[string]string{"network": "net_network", "subnet": "net_subnet", "port": "net_port",
	"router": "net_router", "floatingip": "net_floatingip",
	"security_group": "net_security_group", "security_group_rule": "net_security_group_rule"}

// quotaPolicies are the default rules of quotas.
func quotaPolicies() []policy.Rule {
	one := "/v2.0/quotas/{project_id}"
	return []policy.Rule{
		netRule("get_quota", adminOrReader, "Show a project's quotas.", "GET", one),
		netRule("update_quota", adminOnly, "Set a project's quotas.", "PUT", one),
		netRule("delete_quota", adminOnly, "Reset a project's quotas to the defaults.", "DELETE", one),
	}
}

// quotaRoutes registers the quota API.
func (s *Service) quotaRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler) {
	mux.Handle("GET /v2.0/quotas", authed(s.listQuotas))
	mux.Handle("GET /v2.0/quotas/{project}", authed(s.showQuota(false)))
	mux.Handle("GET /v2.0/quotas/{project}/details", authed(s.showQuota(true)))
	mux.Handle("GET /v2.0/quotas/{project}/default", authed(s.showDefaultQuota))
	mux.Handle("PUT /v2.0/quotas/{project}", authed(s.updateQuota))
	mux.Handle("DELETE /v2.0/quotas/{project}", authed(s.deleteQuota))
}

// limits returns a project's limits: the defaults overridden by what was set.
func (s *Service) limits(ctx context.Context, q db.Querier, project string) (map[string]int, error) {
	out := map[string]int{}
	for r, l := range s.opts.Quotas {
		out[r] = l
	}
	err := db.EachRow(ctx, q, "SELECT resource, hard_limit FROM net_quota WHERE project_id = ?", []any{project}, func(r db.Scanner) error {
		var res string
		var limit int
		if err := r.Scan(&res, &limit); err != nil {
			return err
		}
		out[res] = limit
		return nil
	})
	return out, err
}

// used counts a project's resources of one kind.
func used(ctx context.Context, q db.Querier, project, resource string) (int, error) {
	table, ok := quotaTables[resource]
	if !ok {
		return 0, nil
	}
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE project_id = ?", project).Scan(&n)
	return n, err
}

// checkQuota refuses, inside the creating transaction, a create that would take the project
// over its limit for the resource: Neutron's 409 OverQuota.
func (s *Service) checkQuota(ctx context.Context, tx *db.Tx, project, resource string, delta int) error {
	limits, err := s.limits(ctx, tx, project)
	if err != nil {
		return err
	}
	limit := limits[resource]
	if limit < 0 {
		return nil
	}
	n, err := used(ctx, tx, project, resource)
	if err != nil {
		return err
	}
	if n+delta > limit {
		return &ConflictError{Type: "OverQuota", Message: fmt.Sprintf("Quota exceeded for resources: ['%s'].", resource)}
	}
	return nil
}

// listQuotas is GET /v2.0/quotas: the projects with quotas set (admin).
func (s *Service) listQuotas(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(caller(r), "update_quota", nil); err != nil {
		return err
	}
	projects, err := db.QueryStrings(r.Context(), s.db, "SELECT DISTINCT project_id FROM net_quota ORDER BY project_id")
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, p := range projects {
		l, err := s.limits(r.Context(), s.db, p)
		if err != nil {
			return err
		}
		q := quotaBody(l)
		q["project_id"], q["tenant_id"] = p, p
		out = append(out, q)
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"quotas": out})
	return nil
}

func quotaBody(l map[string]int) map[string]any {
	out := map[string]any{}
	for r, v := range l {
		out[r] = v
	}
	return out
}

// showQuota is GET /v2.0/quotas/{project}[/details].
func (s *Service) showQuota(details bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		project := r.PathValue("project")
		if err := s.enforce(caller(r), "get_quota", map[string]string{"project_id": project}); err != nil {
			return err
		}
		l, err := s.limits(r.Context(), s.db, project)
		if err != nil {
			return err
		}
		if !details {
			s.api.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaBody(l)})
			return nil
		}
		out := map[string]any{}
		for _, res := range quotaResources {
			n, err := used(r.Context(), s.db, project, res)
			if err != nil {
				return err
			}
			out[res] = map[string]int{"limit": l[res], "used": n, "reserved": 0}
		}
		s.api.WriteJSON(w, http.StatusOK, map[string]any{"quota": out})
		return nil
	}
}

// showDefaultQuota is GET /v2.0/quotas/{project}/default.
func (s *Service) showDefaultQuota(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(caller(r), "get_quota", map[string]string{"project_id": r.PathValue("project")}); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaBody(s.opts.Quotas)})
	return nil
}

// updateQuota is PUT /v2.0/quotas/{project} (admin): `openstack quota set --networks 5 P`.
func (s *Service) updateQuota(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("project")
	if err := s.enforce(caller(r), "update_quota", map[string]string{"project_id": project}); err != nil {
		return err
	}
	body, err := decodeResource(r, "quota")
	if err != nil {
		return err
	}
	set := map[string]int{}
	a := attrs{body: body, what: "quota"}
	for _, res := range quotaResources {
		if _, ok := body[res]; ok {
			v := 0
			a.integer(res, &v, -1, 1<<31-1)
			set[res] = v
		}
	}
	a.integer("check_limit", new(int), 0, 1) // accepted, as Neutron's quota-check-limit
	if err := a.finish(append(slices.Clone(quotaResources), "check_limit", "force", "rbac_policy", "subnetpool")...); err != nil {
		return err
	}
	err = s.db.InTx(r.Context(), func(tx *db.Tx) error {
		for res, v := range set {
			if _, err := tx.Exec(r.Context(), "DELETE FROM net_quota WHERE project_id = ? AND resource = ?", project, res); err != nil {
				return err
			}
			if _, err := tx.Exec(r.Context(), "INSERT INTO net_quota (project_id, resource, hard_limit) VALUES (?, ?, ?)", project, res, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	l, err := s.limits(r.Context(), s.db, project)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaBody(l)})
	return nil
}

// deleteQuota is DELETE /v2.0/quotas/{project}: back to the defaults.
func (s *Service) deleteQuota(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("project")
	if err := s.enforce(caller(r), "delete_quota", map[string]string{"project_id": project}); err != nil {
		return err
	}
	if _, err := s.db.Exec(r.Context(), "DELETE FROM net_quota WHERE project_id = ?", project); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
