package image

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/platform/db"
)

// Store is the image service's persistence: the only code that writes SQL for it. Every
// change is one transaction; status changes are conditional on the status they start from,
// so two uploads of one image cannot both begin.
type Store struct {
	db *db.DB
}

// NewStore returns a Store over an already migrated database.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

const imageColumns = "id, name, status, visibility, protected, os_hidden, owner, size, virtual_size, checksum, " +
	"os_hash_algo, os_hash_value, disk_format, container_format, min_disk, min_ram, staged_size, created_at, updated_at"

func scanImage(r db.Scanner) (Image, error) {
	var img Image
	var name, owner, checksum, algo, hash, disk, container sql.NullString
	var size, vsize, staged, created, updated sql.NullInt64
	err := r.Scan(&img.ID, &name, &img.Status, &img.Visibility, &img.Protected, &img.Hidden, &owner, &size, &vsize,
		&checksum, &algo, &hash, &disk, &container, &img.MinDisk, &img.MinRAM, &staged, &created, &updated)
	if err != nil {
		return img, err
	}
	if name.Valid {
		img.Name = &name.String
	}
	img.Owner, img.Checksum, img.HashAlgo, img.HashValue = owner.String, checksum.String, algo.String, hash.String
	img.DiskFormat, img.ContainerFormat = disk.String, container.String
	img.Size, img.VirtualSize, img.StagedSize = nullInt(size), nullInt(vsize), nullInt(staged)
	img.CreatedAt, img.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	img.Properties = map[string]string{}
	return img, nil
}

func nullInt(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullName(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func nullSize(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}

// Create stores a new image with its properties and tags.
func (s *Store) Create(ctx context.Context, img Image) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO image ("+imageColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			img.ID, nullName(img.Name), img.Status, img.Visibility, img.Protected, img.Hidden, nullString(img.Owner),
			nullSize(img.Size), nullSize(img.VirtualSize), nullString(img.Checksum), nullString(img.HashAlgo),
			nullString(img.HashValue), nullString(img.DiskFormat), nullString(img.ContainerFormat), img.MinDisk, img.MinRAM,
			nullSize(img.StagedSize), db.Micros(img.CreatedAt), db.Micros(img.UpdatedAt))
		if db.IsDuplicate(err) {
			return &ConflictError{Message: fmt.Sprintf("An image with identifier %s already exists", img.ID)}
		}
		if err != nil {
			return err
		}
		return writeChildren(ctx, tx, img)
	})
}

// writeChildren inserts an image's properties and tags.
func writeChildren(ctx context.Context, tx *db.Tx, img Image) error {
	for _, k := range slices.Sorted(maps.Keys(img.Properties)) {
		_, err := tx.Exec(ctx, "INSERT INTO image_property (image_id, name, value) VALUES (?, ?, ?)", img.ID, k, img.Properties[k])
		if err := sameToDatabase(err, "property names", k); err != nil {
			return err
		}
	}
	for _, t := range img.Tags {
		_, err := tx.Exec(ctx, "INSERT INTO image_tag (image_id, value) VALUES (?, ?)", img.ID, t)
		if err := sameToDatabase(err, "tags", t); err != nil {
			return err
		}
	}
	return nil
}

// sameToDatabase turns the duplicate key of a property name or tag that differs from another
// only in trailing spaces into a 409: MariaDB's utf8mb4_bin collation pads with spaces.
func sameToDatabase(err error, what, value string) error {
	if db.IsDuplicate(err) {
		return &ConflictError{Message: fmt.Sprintf("The database does not tell apart %s that differ only in trailing spaces, such as %q.", what, value)}
	}
	return err
}

// Get returns an image with its properties, tags and locations.
func (s *Store) Get(ctx context.Context, id string) (Image, error) {
	return getImage(ctx, s.db, id)
}

func getImage(ctx context.Context, q db.Querier, id string) (Image, error) {
	img, err := scanImage(q.QueryRow(ctx, "SELECT "+imageColumns+" FROM image WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return img, imageNotFound(id)
	}
	if err != nil {
		return img, err
	}
	imgs := []Image{img}
	if err := loadChildren(ctx, q, imgs); err != nil {
		return img, err
	}
	return imgs[0], nil
}

// loadChildren fills in the properties, tags and locations of images: one query for the
// properties and tags, and one for the locations of the images that have data.
func loadChildren(ctx context.Context, q db.Querier, imgs []Image) error {
	if len(imgs) == 0 {
		return nil
	}
	byID := make(map[string]*Image, len(imgs))
	ids := make([]any, 0, len(imgs))
	var withData []any
	for i := range imgs {
		byID[imgs[i].ID] = &imgs[i]
		ids = append(ids, imgs[i].ID)
		if imgs[i].Size != nil {
			withData = append(withData, imgs[i].ID)
		}
	}
	in := func(n int) string {
		return " WHERE image_id IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	}
	err := db.EachRow(ctx, q, "SELECT image_id, 0, name, value FROM image_property"+in(len(ids))+
		" UNION ALL SELECT image_id, 1, value, '' FROM image_tag"+in(len(ids)), append(ids, ids...),
		func(r db.Scanner) error {
			var id, k, v string
			var tag int
			if err := r.Scan(&id, &tag, &k, &v); err != nil {
				return err
			}
			if img := byID[id]; tag == 1 {
				img.Tags = append(img.Tags, k)
			} else {
				img.Properties[k] = v
			}
			return nil
		})
	if err != nil {
		return err
	}
	for i := range imgs {
		slices.Sort(imgs[i].Tags)
	}
	if len(withData) == 0 {
		return nil
	}
	return db.EachRow(ctx, q, "SELECT image_id, url, metadata FROM image_location"+in(len(withData))+" ORDER BY position", withData, func(r db.Scanner) error {
		var id, url string
		var meta sql.NullString
		if err := r.Scan(&id, &url, &meta); err != nil {
			return err
		}
		loc := store.Location{URL: url, Metadata: map[string]any{}}
		if meta.Valid && meta.String != "" {
			if err := json.Unmarshal([]byte(meta.String), &loc.Metadata); err != nil {
				return fmt.Errorf("image %s: location metadata: %w", id, err)
			}
		}
		byID[id].Locations = append(byID[id].Locations, loc)
		return nil
	})
}

// Update rewrites an image's mutable attributes, properties and tags, provided its status is
// still the one it was read with (otherwise an upload or status change came in between: 409).
func (s *Store) Update(ctx context.Context, img Image, readStatus string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE image SET name = ?, visibility = ?, protected = ?, os_hidden = ?, owner = ?, "+
			"disk_format = ?, container_format = ?, min_disk = ?, min_ram = ?, updated_at = ? WHERE id = ? AND status = ?",
			nullName(img.Name), img.Visibility, img.Protected, img.Hidden, nullString(img.Owner), nullString(img.DiskFormat),
			nullString(img.ContainerFormat), img.MinDisk, img.MinRAM, db.Micros(img.UpdatedAt), img.ID, readStatus)
		if err := s.mustChange(ctx, tx, res, err, img.ID, readStatus); err != nil {
			return err
		}
		for _, table := range []string{"image_property", "image_tag"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE image_id = ?", img.ID); err != nil {
				return err
			}
		}
		return writeChildren(ctx, tx, img)
	})
}

// mustChange explains an UPDATE … WHERE status = ? that changed nothing: the image is gone
// (404) or its status moved on (409).
func (s *Store) mustChange(ctx context.Context, q db.Querier, res sql.Result, err error, id, from string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var status string
	err = q.QueryRow(ctx, "SELECT status FROM image WHERE id = ?", id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return imageNotFound(id)
	}
	if err != nil {
		return err
	}
	return &ConflictError{Message: fmt.Sprintf("Image %s is %s, not %s: it changed while the request was handled", id, status, from)}
}

// SetStatus moves an image from one status to another.
func (s *Store) SetStatus(ctx context.Context, id, from, to string, now time.Time) error {
	if !canTransition(from, to) {
		return transitionError(from, to)
	}
	res, err := s.db.Exec(ctx, "UPDATE image SET status = ?, updated_at = ? WHERE id = ? AND status = ?", to, db.Micros(now), id, from)
	return s.mustChange(ctx, s.db, res, err, id, from)
}

// SetStaged records the bytes staged for an import (nil: nothing staged) and the status.
func (s *Store) SetStaged(ctx context.Context, id, from, to string, staged *int64, now time.Time) error {
	if !canTransition(from, to) {
		return transitionError(from, to)
	}
	res, err := s.db.Exec(ctx, "UPDATE image SET status = ?, staged_size = ?, updated_at = ? WHERE id = ? AND status = ?",
		to, nullSize(staged), db.Micros(now), id, from)
	return s.mustChange(ctx, s.db, res, err, id, from)
}

// stored is what an upload learned about the data it stored.
type stored struct {
	Size        int64
	VirtualSize int64
	Checksum    string
	HashAlgo    string
	HashValue   string
	Location    store.Location
}

// Activate records uploaded data and makes the image active, provided it is still in status from.
func (s *Store) Activate(ctx context.Context, id, from string, d stored, now time.Time) error {
	meta, err := json.Marshal(d.Location.Metadata)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE image SET status = ?, size = ?, virtual_size = ?, checksum = ?, os_hash_algo = ?, "+
			"os_hash_value = ?, staged_size = NULL, updated_at = ? WHERE id = ? AND status = ?",
			StatusActive, d.Size, d.VirtualSize, d.Checksum, d.HashAlgo, d.HashValue, db.Micros(now), id, from)
		if err := s.mustChange(ctx, tx, res, err, id, from); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO image_location (image_id, position, url, metadata) VALUES (?, ?, ?, ?)",
			id, 0, d.Location.URL, string(meta))
		return err
	})
}

// Delete removes an image and returns it as it was, with its locations, so the caller can
// delete the data. A protected image is a 403, checked in the same transaction.
func (s *Store) Delete(ctx context.Context, id string) (Image, error) {
	var img Image
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if img, err = getImage(ctx, tx, id); err != nil {
			return err
		}
		if img.Protected {
			return errProtected(id)
		}
		for _, table := range []string{"image_location", "image_member", "image_tag", "image_property"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE image_id = ?", id); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, "DELETE FROM image WHERE id = ?", id)
		return err
	})
	return img, err
}

// Usage is what one project's images take, as Glance's quotas count it.
type Usage struct {
	Count     int64 // images
	Size      int64 // bytes of stored image data
	Staged    int64 // bytes staged for imports
	Uploading int64 // images being uploaded, staged or imported
}

// Usage returns what the owner's images use.
func (s *Store) Usage(ctx context.Context, owner string) (Usage, error) {
	var u Usage
	err := s.db.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(staged_size), 0), "+
		"COALESCE(SUM(CASE WHEN status IN ('saving', 'uploading', 'importing') THEN 1 ELSE 0 END), 0) FROM image WHERE owner = ?",
		owner).Scan(&u.Count, &u.Size, &u.Staged, &u.Uploading)
	return u, err
}

// ResetInterrupted returns images whose upload or import was cut off by a stop of the only
// node (status saving or importing) to queued, and returns their ids.
func (s *Store) ResetInterrupted(ctx context.Context, now time.Time) ([]string, error) {
	var ids []string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		ids, err = db.QueryStrings(ctx, tx, "SELECT id FROM image WHERE status IN (?, ?)", StatusSaving, StatusImporting)
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE image SET status = ?, staged_size = NULL, updated_at = ? WHERE status IN (?, ?)",
			StatusQueued, db.Micros(now), StatusSaving, StatusImporting)
		return err
	})
	return ids, err
}
