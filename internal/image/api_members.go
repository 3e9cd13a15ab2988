package image

import (
	"net/http"
	"slices"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

func memberView(m Member) map[string]any {
	return map[string]any{"image_id": m.ImageID, "member_id": m.MemberID, "status": m.Status,
		"created_at": glanceTime(m.CreatedAt), "updated_at": glanceTime(m.UpdatedAt), "schema": "/v2/schemas/member"}
}

// addMember is POST /v2/images/{id}/members: the owner shares a shared image with a project.
func (s *Service) addMember(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Member *string `json:"member"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Member == nil || *body.Member == "" || len(*body.Member) > 255 || !textOK(*body.Member) {
		return httpapi.BadRequest("The body must name the project to share with: {\"member\": \"<project id>\"}.")
	}
	a, err := s.loadFor(r, "add_member")
	if err != nil {
		return err
	}
	if a.img.Visibility != "shared" {
		return httpapi.Forbidden("Only shared images have members.")
	}
	if *body.Member == a.img.Owner {
		return httpapi.Conflict("The owner of image %s cannot be one of its members.", a.img.ID)
	}
	now := s.now()
	m := Member{ImageID: a.img.ID, MemberID: *body.Member, Status: MemberPending, CreatedAt: now, UpdatedAt: now}
	if err := s.store.AddMember(r.Context(), m, s.opts.MemberQuota); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, memberView(m))
	return nil
}

// listMembers is GET /v2/images/{id}/members: the owner sees every member, a member only itself.
func (s *Service) listMembers(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "get_members")
	if err != nil {
		return err
	}
	members, err := s.store.ListMembers(r.Context(), a.img.ID)
	if err != nil {
		return err
	}
	c := caller(r)
	seeAll := a.img.Owner == c.ProjectID || s.isAdmin(c)
	views := []map[string]any{}
	for _, m := range members {
		if seeAll || m.MemberID == c.ProjectID {
			views = append(views, memberView(m))
		}
	}
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"members": views, "schema": "/v2/schemas/members"})
	return nil
}

// showMember is GET /v2/images/{id}/members/{member}.
func (s *Service) showMember(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "get_member")
	if err != nil {
		return err
	}
	c := caller(r)
	member := r.PathValue("member")
	if a.img.Owner != c.ProjectID && member != c.ProjectID && !s.isAdmin(c) {
		return memberNotFound(a.img.ID, member)
	}
	m, err := s.store.GetMember(r.Context(), a.img.ID, member)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, memberView(m))
	return nil
}

// updateMember is PUT /v2/images/{id}/members/{member}: the member project accepts or rejects.
func (s *Service) updateMember(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Status *string `json:"status"`
	}
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Status == nil || !slices.Contains(memberStatuses, *body.Status) {
		return httpapi.BadRequest("The body must give the membership's status: pending, accepted or rejected.")
	}
	a, err := s.load(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	member := r.PathValue("member")
	target := a.target()
	target["member_id"] = member
	if err := s.enforce(caller(r), "modify_member", target); err != nil {
		return err
	}
	if err := s.store.SetMemberStatus(r.Context(), a.img.ID, member, *body.Status, s.now()); err != nil {
		return err
	}
	m, err := s.store.GetMember(r.Context(), a.img.ID, member)
	if err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, memberView(m))
	return nil
}

// deleteMember is DELETE /v2/images/{id}/members/{member}.
func (s *Service) deleteMember(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "delete_member")
	if err != nil {
		return err
	}
	if err := s.store.DeleteMember(r.Context(), a.img.ID, r.PathValue("member")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
