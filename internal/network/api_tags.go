package network

import (
	"context"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/auth"
	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// uuidFromName is a stable name-based (SHA-1) UUID.
func uuidFromName(name string) string { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)).String() }

// tagOwner finds a taggable resource the caller may update and returns its policy target and
// update rule.
type tagOwner func(ctx context.Context, c *auth.Context, id string) (target map[string]string, rule string, err error)

// tagRoutes registers Neutron's tag API for one collection.
// tagRoutes registers Neutron's tag API for one collection stored in table; owner finds a
// resource the caller may see.
func (s *Service) tagRoutes(mux *http.ServeMux, authed func(httpapi.HandlerFunc) http.Handler, collection, table string, owner tagOwner) {
	base := "/v2.0/" + collection + "/{id}/tags"
	for _, op := range []struct{ method, path, name string }{
		{"GET", base, "list"}, {"PUT", base, "replace"}, {"DELETE", base, "clear"},
		{"GET", base + "/{tag}", "check"}, {"PUT", base + "/{tag}", "add"}, {"DELETE", base + "/{tag}", "remove"},
	} {
		mux.Handle(op.method+" "+op.path, authed(s.tagsHandler(table, op.name, owner)))
	}
}

func (s *Service) tagsHandler(table, op string, owner tagOwner) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		c := caller(r)
		ctx := r.Context()
		id := r.PathValue("id")
		target, rule, err := owner(ctx, c, id)
		if err != nil {
			return err
		}
		tags, err := db.QueryStrings(ctx, s.db, "SELECT tag FROM net_tag WHERE resource_id = ? ORDER BY tag", id)
		if err != nil {
			return err
		}
		tag := r.PathValue("tag")
		switch op {
		case "list":
			s.api.WriteJSON(w, http.StatusOK, map[string]any{"tags": orEmpty(tags)})
			return nil
		case "check":
			if !slices.Contains(tags, tag) {
				return &NotFoundError{Kind: "Tag", ID: tag}
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		if err := s.enforce(c, rule, target); err != nil {
			return err
		}
		status := http.StatusCreated
		switch op {
		case "replace":
			var body struct {
				Tags []string `json:"tags"`
			}
			if err := httpapi.DecodeJSON(r, &body); err != nil {
				return err
			}
			a := attrs{body: map[string]any{"tags": anyList(body.Tags)}}
			a.strList("tags", &tags)
			if a.err != nil {
				return a.err
			}
			status = http.StatusOK
		case "clear":
			tags, status = nil, http.StatusNoContent
		case "add":
			if len(tag) > 255 {
				return invalid("tag '%s' is longer than 255 characters", tag)
			}
			if !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
		case "remove":
			i := slices.Index(tags, tag)
			if i < 0 {
				return &NotFoundError{Kind: "Tag", ID: tag}
			}
			tags, status = slices.Delete(tags, i, i+1), http.StatusNoContent
		}
		err = s.db.InTx(ctx, func(tx *db.Tx) error {
			if err := setTags(ctx, tx, id, tags); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE "+table+" SET revision_number = revision_number + 1 WHERE id = ?", id)
			if err == nil && table == "net_port" {
				err = refreshPortList(ctx, tx, id)
			}
			return err
		})
		if err != nil {
			return err
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		s.api.WriteJSON(w, status, map[string]any{"tags": orEmpty(tags)})
		return nil
	}
}

func anyList(items []string) []any {
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}
