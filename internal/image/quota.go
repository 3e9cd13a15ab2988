package image

import (
	"context"
	"fmt"
	"net/http"
)

// quotaError is a request that would take a project or an image over a limit (413).
type quotaError struct {
	what      string
	limit     int64
	attempted int64
	unit      string // "" or " bytes"
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("Quota exceeded for %s: the limit is %d%s and this request would make it %d%s.",
		e.what, e.limit, e.unit, e.attempted, e.unit)
}

// over returns a quotaError when usage plus delta exceeds limit (limit < 0: unlimited).
func over(what string, limit, usage, delta int64, unit string) error {
	if limit >= 0 && usage+delta > limit {
		return &quotaError{what: what, limit: limit, attempted: usage + delta, unit: unit}
	}
	return nil
}

// checkCreate enforces the project's image count.
func (s *Service) checkCreate(ctx context.Context, owner string) error {
	if s.opts.Limits.Count < 0 || owner == "" {
		return nil
	}
	u, err := s.store.Usage(ctx, owner)
	if err != nil {
		return err
	}
	return over("images of project "+owner, s.opts.Limits.Count, u.Count, 1, "")
}

// uploadRoom returns how many bytes an upload (or a stage) may store for the owner: the
// image size cap, and what is left of the project's stored (or staged) quota; a declared
// length over that is refused at once. A new upload or stage (starting) must also fit in
// the project's count of concurrent uploads.
func (s *Service) uploadRoom(ctx context.Context, owner string, staging, starting bool, declared int64) (int64, error) {
	room := s.opts.SizeCap
	u, err := s.store.Usage(ctx, owner)
	if err != nil {
		return 0, err
	}
	if starting {
		if err := over("concurrent uploads of project "+owner, s.opts.Limits.Uploading, u.Uploading, 1, ""); err != nil {
			return 0, err
		}
	}
	limit, used, what := s.opts.Limits.Size, u.Size, "image data of project "+owner
	if staging {
		limit, used, what = s.opts.Limits.Staged, u.Staged, "staged image data of project "+owner
	}
	if limit >= 0 {
		if err := over(what, limit, used, max(declared, 0), " bytes"); err != nil {
			return 0, err
		}
		room = min(room, limit-used)
	}
	if declared > s.opts.SizeCap {
		return 0, &quotaError{what: "the size of one image", limit: s.opts.SizeCap, attempted: declared, unit: " bytes"}
	}
	return room, nil
}

// usageInfo is GET /v2/info/usage: the caller's project's usage against its limits.
func (s *Service) usageInfo(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	u, err := s.store.Usage(r.Context(), c.ProjectID)
	if err != nil {
		return err
	}
	l := s.opts.Limits
	entry := func(limit, usage int64) map[string]int64 { return map[string]int64{"limit": limit, "usage": usage} }
	s.api.WriteJSON(w, http.StatusOK, map[string]any{"usage": map[string]any{
		"image_count_total":     entry(l.Count, u.Count),
		"image_size_total":      entry(mibLimit(l.Size), u.Size>>20),
		"image_stage_total":     entry(mibLimit(l.Staged), u.Staged>>20),
		"image_count_uploading": entry(l.Uploading, u.Uploading),
	}})
	return nil
}

func mibLimit(bytes int64) int64 {
	if bytes < 0 {
		return -1
	}
	return bytes >> 20
}
