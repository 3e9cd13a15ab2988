package identity

import (
	"context"
	"strings"
)

// catalogService is an enabled service with its enabled endpoints, ready to render.
type catalogService struct {
	service   CatalogService
	endpoints []Endpoint
}

func loadCatalog(ctx context.Context, s *Store) ([]catalogService, error) {
	services, err := s.ListServices(ctx, "", "")
	if err != nil {
		return nil, err
	}
	endpoints, err := s.ListEndpoints(ctx, EndpointFilter{})
	if err != nil {
		return nil, err
	}
	byService := map[string][]Endpoint{}
	for _, e := range endpoints {
		if e.Enabled {
			byService[e.ServiceID] = append(byService[e.ServiceID], e)
		}
	}
	out := []catalogService{}
	for _, svc := range services {
		if svc.Enabled {
			out = append(out, catalogService{service: svc, endpoints: byService[svc.ID]})
		}
	}
	return out, nil
}

// substituteURL fills the project placeholders Keystone accepts in endpoint URLs. It reports
// false when the URL needs a project and there is none, so the endpoint is left out.
func substituteURL(url, projectID string) (string, bool) {
	if !strings.ContainsAny(url, "$%") {
		return url, true
	}
	placeholders := []string{"$(project_id)s", "$(tenant_id)s", "%(project_id)s", "%(tenant_id)s"}
	for _, p := range placeholders {
		if strings.Contains(url, p) {
			if projectID == "" {
				return "", false
			}
			url = strings.ReplaceAll(url, p, projectID)
		}
	}
	return url, true
}

// renderCatalog builds the token catalog: services with endpoints, URLs substituted.
func renderCatalog(services []catalogService, projectID string) []map[string]any {
	out := make([]map[string]any, 0, len(services))
	for _, cs := range services {
		eps := make([]map[string]any, 0, len(cs.endpoints))
		for _, e := range cs.endpoints {
			url, ok := substituteURL(e.URL, projectID)
			if !ok {
				continue
			}
			eps = append(eps, map[string]any{
				"id": e.ID, "interface": e.Interface, "region_id": nullable(e.RegionID),
				"region": nullable(e.RegionID), "url": url,
			})
		}
		out = append(out, map[string]any{
			"id": cs.service.ID, "type": cs.service.Type, "name": cs.service.Name, "endpoints": eps,
		})
	}
	return out
}

// nullable renders "" as JSON null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
