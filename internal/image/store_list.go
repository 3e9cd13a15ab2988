package image

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// ListQuery selects and orders images for one caller.
type ListQuery struct {
	Project      string // the caller's project
	Admin        bool   // an admin sees every image
	Visibility   string // "", "all", public, private, shared or community
	MemberStatus string // for shared images: pending, accepted (the default), rejected or all
	IDs, Names   []string
	Status       string
	Owner        string
	Tags         []string // every tag must be present
	SizeMin      *int64
	SizeMax      *int64
	Created      []timeCond
	Updated      []timeCond
	Equal        map[string]string // exact matches on core columns (disk_format, checksum …)
	Protected    *bool
	Hidden       *bool // nil means os_hidden = false
	Properties   map[string]string
	Sort         []httpapi.SortKey
	Limit        int
	Marker       string
}

// timeCond is a created_at/updated_at filter such as gte:2024-01-01T00:00:00Z.
type timeCond struct {
	op string // =, <>, >, >=, <, <=
	t  time.Time
}

// sortColumns are the keys images sort by and the SQL expression of each; nullable columns
// are coalesced so that every dialect orders them alike and markers compare simply.
var sortColumns = map[string]string{
	"name": "COALESCE(name, '')", "status": "status", "container_format": "COALESCE(container_format, '')",
	"disk_format": "COALESCE(disk_format, '')", "size": "COALESCE(size, -1)", "virtual_size": "COALESCE(virtual_size, -1)",
	"id": "id", "created_at": "created_at", "updated_at": "updated_at", "visibility": "visibility",
	"owner": "COALESCE(owner, '')", "min_disk": "min_disk", "min_ram": "min_ram",
}

// equalColumns are core columns a list may filter on by exact value.
var equalColumns = []string{"disk_format", "container_format", "checksum", "os_hash_value"}

// List returns one page of the images the query selects, with their children.
func (s *Store) List(ctx context.Context, q ListQuery) ([]Image, error) {
	var w db.Where
	visibilityCond(&w, q)
	filterCond(&w, q)
	keys := append(append([]httpapi.SortKey(nil), q.Sort...), httpapi.SortKey{Key: "id", Desc: lastDesc(q.Sort)})
	if q.Marker != "" {
		if err := s.markerCond(ctx, &w, keys, q.Marker); err != nil {
			return nil, err
		}
	}
	order := make([]string, len(keys))
	for i, k := range keys {
		order[i] = sortColumns[k.Key] + " ASC"
		if k.Desc {
			order[i] = sortColumns[k.Key] + " DESC"
		}
	}
	query := "SELECT " + imageColumns + " FROM image" + w.String() + " ORDER BY " + strings.Join(order, ", ")
	if q.Limit > 0 {
		query += " LIMIT ?"
		w.Args = append(w.Args, q.Limit)
	}
	imgs, err := db.QueryAll(ctx, s.db, scanImage, query, w.Args...)
	if err != nil {
		return nil, err
	}
	return imgs, loadChildren(ctx, s.db, imgs)
}

// lastDesc is the direction of the id tie-breaker: that of the last sort key.
func lastDesc(keys []httpapi.SortKey) bool {
	return len(keys) == 0 || keys[len(keys)-1].Desc
}

// memberCond is "the caller's project is a member with the wanted status".
func memberCond(q ListQuery) (string, []any) {
	cond := "EXISTS (SELECT 1 FROM image_member m WHERE m.image_id = image.id AND m.member = ?"
	args := []any{q.Project}
	if q.MemberStatus != "all" {
		cond += " AND m.status = ?"
		args = append(args, q.MemberStatus)
	}
	return cond + ")", args
}

// visibilityCond restricts the images to what the caller may list, as Glance does: by default
// public images, the project's own, and images shared with it and accepted; community images
// only when asked for.
func visibilityCond(w *db.Where, q ListQuery) {
	if q.Admin {
		switch q.Visibility {
		case "all":
		case "": // as Glance: others' community images only when asked for
			w.Add("(visibility <> 'community' OR owner = ?)", q.Project)
		default:
			w.Add("visibility = ?", q.Visibility)
		}
		return
	}
	member, margs := memberCond(q)
	switch q.Visibility {
	case "public", "community":
		w.Add("visibility = ?", q.Visibility)
	case "private":
		w.Add("visibility = 'private' AND owner = ?", q.Project)
	case "shared":
		w.Add("visibility = 'shared' AND (owner = ? OR "+member+")", append([]any{q.Project}, margs...)...)
	default:
		open := "visibility = 'public'"
		if q.Visibility == "all" {
			open = "visibility IN ('public', 'community')"
		}
		w.Add("("+open+" OR owner = ? OR (visibility = 'shared' AND "+member+"))", append([]any{q.Project}, margs...)...)
	}
}

// filterCond adds the query's filters.
func filterCond(w *db.Where, q ListQuery) {
	in := func(column string, values []string) {
		if len(values) == 0 {
			return
		}
		args := make([]any, len(values))
		for i, v := range values {
			args[i] = v
		}
		w.Add(column+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")+")", args...)
	}
	in("id", q.IDs)
	in("name", q.Names)
	w.Eq("status", q.Status)
	w.Eq("owner", q.Owner)
	for _, c := range equalColumns {
		w.Eq(c, q.Equal[c])
	}
	for _, t := range q.Tags {
		w.Add("EXISTS (SELECT 1 FROM image_tag t WHERE t.image_id = image.id AND t.value = ?)", t)
	}
	for k, v := range q.Properties {
		w.Add("EXISTS (SELECT 1 FROM image_property p WHERE p.image_id = image.id AND p.name = ? AND p.value = ?)", k, v)
	}
	if q.SizeMin != nil {
		w.Add("size >= ?", *q.SizeMin)
	}
	if q.SizeMax != nil {
		w.Add("size <= ?", *q.SizeMax)
	}
	for _, c := range q.Created {
		w.Add("created_at "+c.op+" ?", db.Micros(c.t))
	}
	for _, c := range q.Updated {
		w.Add("updated_at "+c.op+" ?", db.Micros(c.t))
	}
	if q.Protected != nil {
		w.Add("protected = ?", *q.Protected)
	}
	hidden := false
	if q.Hidden != nil {
		hidden = *q.Hidden
	}
	w.Add("os_hidden = ?", hidden)
}

// markerCond continues the listing after the marker image: keyset pagination over the sort
// keys, so every page costs the same however deep it is.
func (s *Store) markerCond(ctx context.Context, w *db.Where, keys []httpapi.SortKey, marker string) error {
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = sortColumns[k.Key]
	}
	vals := make([]any, len(keys))
	ptrs := make([]any, len(keys))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := s.db.QueryRow(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM image WHERE id = ?", marker).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return &markerError{marker: marker}
	}
	if err != nil {
		return err
	}
	desc := make([]bool, len(keys))
	for i, k := range keys {
		desc[i] = k.Desc
	}
	cond, args := db.After(exprs, desc, vals)
	w.Add(cond, args...)
	return nil
}

// markerError is the 400 for a marker that names no image.
type markerError struct{ marker string }

func (e *markerError) Error() string {
	return "Invalid marker. Image " + e.marker + " could not be found."
}
