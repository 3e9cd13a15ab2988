package image

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

const memberColumns = "image_id, member, status, created_at, updated_at"

func scanMember(r db.Scanner) (Member, error) {
	var m Member
	var created, updated sql.NullInt64
	err := r.Scan(&m.ImageID, &m.MemberID, &m.Status, &created, &updated)
	m.CreatedAt, m.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	return m, err
}

func memberNotFound(imageID, member string) error {
	return &NotFoundError{Message: fmt.Sprintf("%s is not a member of image %s", member, imageID)}
}

// GetMember returns one member of an image.
func (s *Store) GetMember(ctx context.Context, imageID, member string) (Member, error) {
	m, err := scanMember(s.db.QueryRow(ctx, "SELECT "+memberColumns+" FROM image_member WHERE image_id = ? AND member = ?", imageID, member))
	if errors.Is(err, sql.ErrNoRows) {
		return m, memberNotFound(imageID, member)
	}
	return m, err
}

// ListMembers returns an image's members, oldest first.
func (s *Store) ListMembers(ctx context.Context, imageID string) ([]Member, error) {
	return db.QueryAll(ctx, s.db, scanMember, "SELECT "+memberColumns+" FROM image_member WHERE image_id = ? ORDER BY created_at, member", imageID)
}

// AddMember shares an image with a project, unless the image already has max members
// (max < 0: no limit) or the project is already a member (409).
func (s *Store) AddMember(ctx context.Context, m Member, max int) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := checkCount(ctx, tx, "image_member", m.ImageID, max, "image members"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO image_member ("+memberColumns+") VALUES (?, ?, ?, ?, ?)",
			m.ImageID, m.MemberID, m.Status, db.Micros(m.CreatedAt), db.Micros(m.UpdatedAt))
		if db.IsDuplicate(err) {
			return &ConflictError{Message: fmt.Sprintf("Member %s already exists for image %s", m.MemberID, m.ImageID)}
		}
		return err
	})
}

// checkCount fails with a quotaError when an image already has max rows in table.
func checkCount(ctx context.Context, tx *db.Tx, table, imageID string, max int, what string) error {
	if max < 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+table+" WHERE image_id = ?", imageID).Scan(&n); err != nil {
		return err
	}
	if n >= max {
		return &quotaError{what: what, limit: int64(max), attempted: int64(n + 1)}
	}
	return nil
}

// SetMemberStatus accepts, rejects or resets a membership.
func (s *Store) SetMemberStatus(ctx context.Context, imageID, member, status string, now time.Time) error {
	res, err := s.db.Exec(ctx, "UPDATE image_member SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?",
		status, db.Micros(now), imageID, member)
	return affected(res, err, memberNotFound(imageID, member))
}

// DeleteMember stops sharing an image with a project.
func (s *Store) DeleteMember(ctx context.Context, imageID, member string) error {
	res, err := s.db.Exec(ctx, "DELETE FROM image_member WHERE image_id = ? AND member = ?", imageID, member)
	return affected(res, err, memberNotFound(imageID, member))
}

// AddTag adds a tag (adding one twice is fine), within max tags per image.
func (s *Store) AddTag(ctx context.Context, imageID, tag string, max int, now time.Time) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		has, err := db.Exists(ctx, tx, "SELECT 1 FROM image_tag WHERE image_id = ? AND value = ?", imageID, tag)
		if err != nil || has {
			return err
		}
		if err := checkCount(ctx, tx, "image_tag", imageID, max, "image tags"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO image_tag (image_id, value) VALUES (?, ?)", imageID, tag); err != nil {
			return err
		}
		return touch(ctx, tx, imageID, now)
	})
}

// DeleteTag removes a tag; a tag the image does not have is a 404.
func (s *Store) DeleteTag(ctx context.Context, imageID, tag string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM image_tag WHERE image_id = ? AND value = ?", imageID, tag)
		if err := affected(res, err, &NotFoundError{Message: fmt.Sprintf("Tag %s not found", tag)}); err != nil {
			return err
		}
		return touch(ctx, tx, imageID, now)
	})
}

// touch bumps an image's updated_at.
func touch(ctx context.Context, tx *db.Tx, imageID string, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE image SET updated_at = ? WHERE id = ?", db.Micros(now), imageID)
	return affected(res, err, imageNotFound(imageID))
}

// affected returns notFound when a statement touched no row.
func affected(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}
