package placement

import (
	"net/http"
)

// versions is GET /: the one major version and its microversion range, unauthenticated.
func (s *Service) versions(w http.ResponseWriter, r *http.Request) error {
	href := s.opts.PublicEndpoint
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"versions": []any{map[string]any{
		"id":          "v1.0",
		"max_version": Microversions.Max.String(),
		"min_version": Microversions.Min.String(),
		"status":      "CURRENT",
		"links":       []any{map[string]any{"rel": "self", "href": href}},
	}}})
	return nil
}
