package placement

import (
	"net/http"

	"github.com/gostack/gostack/internal/platform/db"
)

// providerUsages is GET /resource_providers/{uuid}/usages: what is allocated of each class
// of its inventory.
func (s *Service) providerUsages(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, ruleProviderUsages, nil); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := getProvider(ctx, s.db, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	invs, err := loadInventories(ctx, s.db, p.UUID)
	if err != nil {
		return err
	}
	used, err := loadUsages(ctx, s.db, p.UUID)
	if err != nil {
		return err
	}
	out := map[string]int64{}
	for rc := range invs {
		out[rc] = used[rc]
	}
	for rc, n := range used {
		out[rc] = n
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"usages": out, "resource_provider_generation": p.Generation})
	return nil
}

// totalUsages is GET /usages?project_id=…[&user_id=…][&consumer_type=…] (1.9+): a
// project's (or user's) usage over all providers; from 1.38 grouped by consumer type with a
// consumer_count each.
func (s *Service) totalUsages(w http.ResponseWriter, r *http.Request) error {
	if err := requireVersion(r, 9); err != nil {
		return err
	}
	q := r.URL.Query()
	allowed := []string{"project_id", "user_id"}
	if atLeast(r, 38) {
		allowed = append(allowed, "consumer_type")
	}
	if err := checkQuery(q, allowed, allowed); err != nil {
		return err
	}
	project := q.Get("project_id")
	if project == "" {
		return newError(http.StatusBadRequest, codeQueryMissingValue, "Invalid query string parameters: 'project_id' is a required property.")
	}
	if err := s.enforce(r, ruleTotalUsages, map[string]string{"project_id": project, "user_id": q.Get("user_id")}); err != nil {
		return err
	}
	var where db.Where
	where.Eq("c.project_id", project)
	where.Eq("c.user_id", q.Get("user_id"))
	ctype := q.Get("consumer_type")
	switch ctype {
	case "", "all":
	case "unknown":
		where.Add("c.consumer_type = ''")
	default:
		if !consumerTypePattern.MatchString(ctype) {
			return newError(http.StatusBadRequest, codeQueryBadValue, "Invalid query string parameters: consumer_type %q must be upper-case letters, digits and _.", ctype)
		}
		where.Eq("c.consumer_type", ctype)
	}
	groups := map[string]map[string]int64{}
	counts := map[string]map[string]bool{}
	err := db.EachRow(r.Context(), s.db, `SELECT c.uuid, c.consumer_type, a.resource_class, a.used FROM placement_allocation a
		JOIN placement_consumer c ON c.uuid = a.consumer_uuid`+where.String(), where.Args, func(sc db.Scanner) error {
		var cid, t, rc string
		var n int64
		if err := sc.Scan(&cid, &t, &rc, &n); err != nil {
			return err
		}
		key := consumerTypeName(t)
		if ctype == "all" || !atLeast(r, 38) {
			key = "all"
		}
		if groups[key] == nil {
			groups[key], counts[key] = map[string]int64{}, map[string]bool{}
		}
		groups[key][rc] += n
		counts[key][cid] = true
		return nil
	})
	if err != nil {
		return err
	}
	if !atLeast(r, 38) {
		usages := groups["all"]
		if usages == nil {
			usages = map[string]int64{}
		}
		s.writeJSON(w, r, http.StatusOK, map[string]any{"usages": usages})
		return nil
	}
	out := map[string]any{}
	for key, usages := range groups {
		g := map[string]any{"consumer_count": len(counts[key])}
		for rc, n := range usages {
			g[rc] = n
		}
		out[key] = g
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"usages": out})
	return nil
}
