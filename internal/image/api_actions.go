package image

import (
	"net/http"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// deactivate is POST /v2/images/{id}/actions/deactivate: an active image keeps its data but
// only admins may download it.
func (s *Service) deactivate(w http.ResponseWriter, r *http.Request) error {
	return s.toggle(w, r, "deactivate", StatusActive, StatusDeactivated)
}

// reactivate is POST /v2/images/{id}/actions/reactivate.
func (s *Service) reactivate(w http.ResponseWriter, r *http.Request) error {
	return s.toggle(w, r, "reactivate", StatusDeactivated, StatusActive)
}

// toggle moves an image between active and deactivated; asking for the status it already has
// is fine, any other status is a 403 as in Glance (its domain raises Forbidden).
func (s *Service) toggle(w http.ResponseWriter, r *http.Request, rule, from, to string) error {
	a, err := s.loadFor(r, rule)
	if err != nil {
		return err
	}
	switch a.img.Status {
	case to:
	case from:
		if err := s.store.SetStatus(r.Context(), a.img.ID, from, to, s.now()); err != nil {
			return err
		}
	default:
		return httpapi.Forbidden("Not allowed to %s image in status '%s'", rule, a.img.Status)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// addTag is PUT /v2/images/{id}/tags/{tag}.
func (s *Service) addTag(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "modify_image")
	if err != nil {
		return err
	}
	tag := r.PathValue("tag")
	if tag == "" || len(tag) > 255 {
		return httpapi.BadRequest("A tag is a string of 1 to 255 characters.")
	}
	if err := s.store.AddTag(r.Context(), a.img.ID, tag, s.opts.TagQuota, s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteTag is DELETE /v2/images/{id}/tags/{tag}.
func (s *Service) deleteTag(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "modify_image")
	if err != nil {
		return err
	}
	if err := s.store.DeleteTag(r.Context(), a.img.ID, r.PathValue("tag"), s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
