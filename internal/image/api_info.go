package image

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// apiVersions are the Images API versions, newest first; the newest is CURRENT.
var apiVersions = []string{"2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10", "2.9", "2.8", "2.7", "2.6",
	"2.5", "2.4", "2.3", "2.2", "2.1", "2.0"}

// versions answers the version discovery URLs with Glance's version list.
func (s *Service) versions(status int) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		base := strings.TrimRight(s.opts.PublicEndpoint, "/")
		if base == "" {
			base = httpapi.BaseURL(r)
		}
		list := make([]map[string]any, len(apiVersions))
		for i, v := range apiVersions {
			st := "SUPPORTED"
			if i == 0 {
				st = "CURRENT"
			}
			list[i] = map[string]any{"id": "v" + v, "status": st,
				"links": []httpapi.Link{{Rel: "self", Href: base + "/v2/"}}}
		}
		s.api.WriteJSON(w, status, map[string]any{"versions": list})
		return nil
	}
}

// getSchema is GET /v2/schemas/{name}.
func (s *Service) getSchema(w http.ResponseWriter, r *http.Request) error {
	o := schemaOptions{DiskFormats: s.opts.DiskFormats, ContainerFormats: s.opts.ContainerFormats}
	var doc map[string]any
	switch r.PathValue("name") {
	case "image":
		doc = imageSchema(o)
	case "images":
		doc = imagesSchema(o)
	case "member":
		doc = memberSchema()
	case "members":
		doc = membersSchema()
	case "task":
		doc = taskSchema()
	case "tasks":
		doc = tasksSchema()
	default:
		return httpapi.NotFound("No schema named %q; there are image, images, member, members, task and tasks.", r.PathValue("name"))
	}
	s.api.WriteJSON(w, http.StatusOK, doc)
	return nil
}

// importInfo is GET /v2/info/import.
func (s *Service) importInfo(w http.ResponseWriter, r *http.Request) error {
	methods := append([]string{}, s.opts.ImportMethods...)
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"import-methods": map[string]any{
		"description": "Import methods available.", "type": "array", "value": methods}})
	return nil
}

// storesInfo is GET /v2/info/stores.
func (s *Service) storesInfo(w http.ResponseWriter, r *http.Request) error {
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"stores": s.storeList(false)})
	return nil
}

// storesDetail is GET /v2/info/stores/detail (admin): the stores with their types.
func (s *Service) storesDetail(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(caller(r), "stores_info_detail", nil); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"stores": s.storeList(true)})
	return nil
}

func (s *Service) storeList(detail bool) []map[string]any {
	def := s.stores.Default().Name
	var out []map[string]any
	for _, b := range s.stores.Backends() {
		desc := b.Description
		if desc == "" {
			desc = fmt.Sprintf("%s store", b.Type())
		}
		e := map[string]any{"id": b.Name, "description": desc}
		if b.Name == def {
			e["default"] = true
		}
		if b.ReadOnly() {
			e["read-only"] = "true"
		}
		if detail {
			e["type"] = b.Type()
			e["weight"] = 0
			e["properties"] = map[string]any{}
		}
		out = append(out, e)
	}
	return out
}
