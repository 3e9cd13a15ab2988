package image

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// glanceTime is how Glance writes times: seconds, UTC, a Z.
func glanceTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// view renders an image as Glance's API does: core fields (null when unset), custom properties
// at the top level, and the links (see imageDoc).
func (s *Service) view(img Image) imageDoc { return imageDoc{img: img, opts: &s.opts} }

// caller returns the authenticated caller (the auth middleware guarantees one).
func caller(r *http.Request) *auth.Context {
	c, ok := auth.FromContext(r.Context())
	if !ok {
		return &auth.Context{}
	}
	return c
}

// isAdmin reports whether the caller passes context_is_admin.
func (s *Service) isAdmin(c *auth.Context) bool {
	return s.policy.Allowed("context_is_admin", nil, c.Credentials())
}

// enforce checks a policy rule, giving oslo.policy's 403.
func (s *Service) enforce(c *auth.Context, rule string, target map[string]string) error {
	if s.policy.Allowed(rule, target, c.Credentials()) {
		return nil
	}
	return httpapi.Forbidden("Policy doesn't allow %s to be performed.", rule)
}

// access is an image as one caller sees it.
type access struct {
	img    Image
	member *Member // the caller's membership, when the image is shared with its project
}

// target is the policy target of the image for this caller.
func (a access) target() map[string]string {
	t := map[string]string{"project_id": a.img.Owner, "owner": a.img.Owner, "visibility": a.img.Visibility, "image_id": a.img.ID}
	if a.member != nil {
		t["member_id"] = a.member.MemberID
	}
	return t
}

// load returns an image the caller may see: an admin sees every image; others see public and
// community images, their project's own, and images shared with their project. Anything else
// is a 404, as if it did not exist.
func (s *Service) load(ctx context.Context, c *auth.Context, id string) (access, error) {
	img, err := s.store.Get(ctx, id)
	if err != nil {
		return access{}, err
	}
	a := access{img: img}
	if c.ProjectID != "" && img.Owner != c.ProjectID && img.Visibility == "shared" { // only shared images have members
		m, err := s.store.GetMember(ctx, id, c.ProjectID)
		if err == nil {
			a.member = &m
		} else if !isNotFound(err) {
			return access{}, err
		}
	}
	if s.isAdmin(c) || img.Visibility == "public" || img.Visibility == "community" ||
		(img.Owner != "" && img.Owner == c.ProjectID) || (a.member != nil && img.Visibility == "shared") {
		return a, nil
	}
	return access{}, imageNotFound(id)
}

// loadFor loads an image and checks a policy rule on it: a 404 when the caller cannot see it,
// a 403 when it can but may not do this.
func (s *Service) loadFor(r *http.Request, rule string) (access, error) {
	c := caller(r)
	a, err := s.load(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return a, err
	}
	return a, s.enforce(c, rule, a.target())
}

func isNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// apiError maps the service's errors to API errors; it is applied to every handler's error.
func apiError(err error) error {
	var nf *NotFoundError
	var conflict *ConflictError
	var quota *quotaError
	var marker *markerError
	switch {
	case errors.As(err, &marker):
		return httpapi.BadRequest("%s", marker.Error())
	case errors.As(err, &nf):
		return httpapi.NotFound("%s", nf.Message)
	case errors.As(err, &conflict):
		return httpapi.Conflict("%s", conflict.Message)
	case errors.As(err, &quota):
		return httpapi.RequestTooLarge("%s", quota.Error())
	}
	return err
}

// errProtected is the 403 for deleting a protected image.
func errProtected(id string) error {
	return httpapi.Forbidden("Image %s is protected and cannot be deleted.", id)
}
