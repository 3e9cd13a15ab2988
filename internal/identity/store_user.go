package identity

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

const userColumns = "id, domain_id, name, enabled, default_project_id, options, extra, created_at, last_active_at, failed_auth_count, failed_auth_at"

func scanUser(r db.Scanner) (User, error) {
	var u User
	var defProject, options, extra sql.NullString
	var created, active, failedAt sql.NullInt64
	err := r.Scan(&u.ID, &u.DomainID, &u.Name, &u.Enabled, &defProject, &options, &extra,
		&created, &active, &u.FailedAuthCount, &failedAt)
	if err != nil {
		return u, err
	}
	u.DefaultProjectID = defProject.String
	u.CreatedAt, u.LastActiveAt, u.FailedAuthAt = db.FromMicros(created), db.FromMicros(active), db.FromMicros(failedAt)
	if u.Options, err = decodeJSON(options); err != nil {
		return u, err
	}
	u.Extra, err = decodeJSON(extra)
	return u, err
}

// UserFilter selects users in ListUsers; empty fields match all.
type UserFilter struct {
	DomainID string
	Name     string
	Enabled  *bool
	GroupID  string   // members of this group
	IDs      []string // limit to these ids (nil = no limit)
}

// userAttrs encodes a user's options and extra attributes for storage.
func userAttrs(u User) (options, extra any, err error) {
	if options, err = encodeJSON(u.Options); err != nil {
		return nil, nil, err
	}
	extra, err = encodeJSON(u.Extra)
	return options, extra, err
}

// CreateUser stores a new user and, when pw is not nil, its first password.
func (s *Store) CreateUser(ctx context.Context, u User, pw *Password) error {
	options, extra, err := userAttrs(u)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO identity_user ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, u.DomainID, u.Name, u.Enabled, nullString(u.DefaultProjectID), options, extra,
			db.Micros(u.CreatedAt), db.Micros(u.LastActiveAt), u.FailedAuthCount, db.Micros(u.FailedAuthAt))
		if err != nil {
			return conflict(err, "user", fmt.Sprintf("Duplicate entry found with name %s at domain ID %s", u.Name, u.DomainID))
		}
		if pw == nil {
			return nil
		}
		return insertPassword(ctx, tx, *pw)
	})
}

func insertPassword(ctx context.Context, tx *db.Tx, pw Password) error {
	_, err := tx.Exec(ctx, "INSERT INTO user_password (user_id, created_at, hash, expires_at, self_service) VALUES (?, ?, ?, ?, ?)",
		pw.UserID, db.Micros(pw.CreatedAt), pw.Hash, db.Micros(pw.ExpiresAt), pw.SelfService)
	return err
}

// GetUser returns a user by id, with the expiry of its current password.
func (s *Store) GetUser(ctx context.Context, id string) (User, error) {
	return s.getUser(ctx, id, "SELECT "+userColumns+" FROM identity_user WHERE id = ?", id)
}

// GetUserByName returns a user by name within a domain.
func (s *Store) GetUserByName(ctx context.Context, domainID, name string) (User, error) {
	return s.getUser(ctx, name, "SELECT "+userColumns+" FROM identity_user WHERE domain_id = ? AND name = ?", domainID, name)
}

func (s *Store) getUser(ctx context.Context, id, query string, args ...any) (User, error) {
	u, err := queryOne(ctx, s.db, "user", id, scanUser, query, args...)
	if err != nil {
		return u, err
	}
	pws, err := s.Passwords(ctx, u.ID, 1)
	if err == nil && len(pws) == 1 {
		u.PasswordExpiresAt = pws[0].ExpiresAt
	}
	return u, err
}

// ListUsers returns the users that match f, ordered by name.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	var w db.Where
	w.Eq("domain_id", f.DomainID)
	w.Eq("name", f.Name)
	if f.Enabled != nil {
		w.Add("enabled = ?", *f.Enabled)
	}
	if f.GroupID != "" {
		w.Add("id IN (SELECT user_id FROM user_group_membership WHERE group_id = ?)", f.GroupID)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, nil
		}
		w.Add("id IN ("+placeholders(len(f.IDs))+")", stringArgs(f.IDs)...)
	}
	users, err := db.QueryAll(ctx, s.db, scanUser, "SELECT "+userColumns+" FROM identity_user"+w.String()+" ORDER BY name, id", w.Args...)
	if err != nil {
		return nil, err
	}
	expiry, err := s.passwordExpiries(ctx)
	if err != nil {
		return nil, err
	}
	for i := range users {
		users[i].PasswordExpiresAt = expiry[users[i].ID]
	}
	return users, nil
}

// passwordExpiries maps each user to the expiry of its newest password.
func (s *Store) passwordExpiries(ctx context.Context) (map[string]time.Time, error) {
	type row struct {
		user    string
		expires sql.NullInt64
	}
	rows, err := db.QueryAll(ctx, s.db, func(r db.Scanner) (row, error) {
		var x row
		return x, r.Scan(&x.user, &x.expires)
	}, `SELECT p.user_id, p.expires_at FROM user_password p
	    WHERE p.created_at = (SELECT MAX(created_at) FROM user_password q WHERE q.user_id = p.user_id)`)
	if err != nil {
		return nil, err
	}
	m := make(map[string]time.Time, len(rows))
	for _, x := range rows {
		m[x.user] = db.FromMicros(x.expires)
	}
	return m, nil
}

// UpdateUser rewrites a user's mutable attributes; pw, when not nil, becomes its new password.
func (s *Store) UpdateUser(ctx context.Context, u User, pw *Password) error {
	options, extra, err := userAttrs(u)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE identity_user SET name = ?, enabled = ?, default_project_id = ?, options = ?, extra = ?,
			failed_auth_count = ?, failed_auth_at = ? WHERE id = ?`,
			u.Name, u.Enabled, nullString(u.DefaultProjectID), options, extra, u.FailedAuthCount, db.Micros(u.FailedAuthAt), u.ID)
		err = conflict(err, "user", fmt.Sprintf("Duplicate entry found with name %s at domain ID %s", u.Name, u.DomainID))
		if err := mustAffect(res, err, "user", u.ID); err != nil {
			return err
		}
		if pw == nil {
			return nil
		}
		return insertPassword(ctx, tx, *pw)
	})
}

// SetPassword makes pw the current password of an existing user, keeping the others as history.
func (s *Store) SetPassword(ctx context.Context, pw Password) error {
	return s.write(ctx, func(tx *db.Tx) error {
		found, err := db.Exists(ctx, tx, "SELECT 1 FROM identity_user WHERE id = ?", pw.UserID)
		if err != nil {
			return err
		}
		if !found {
			return &NotFoundError{Kind: "user", ID: pw.UserID}
		}
		return insertPassword(ctx, tx, pw)
	})
}

// Passwords returns a user's newest n passwords, newest first.
func (s *Store) Passwords(ctx context.Context, userID string, n int) ([]Password, error) {
	return db.QueryAll(ctx, s.db, func(r db.Scanner) (Password, error) {
		var p Password
		var created, expires sql.NullInt64
		err := r.Scan(&p.UserID, &created, &p.Hash, &expires, &p.SelfService)
		p.CreatedAt, p.ExpiresAt = db.FromMicros(created), db.FromMicros(expires)
		return p, err
	}, fmt.Sprintf("SELECT user_id, created_at, hash, expires_at, self_service FROM user_password WHERE user_id = ? ORDER BY created_at DESC LIMIT %d", n), userID)
}

// RecordAuthResult updates the lockout counters and last-active time after an authentication
// attempt. It does not bump the generation: it changes no token's validity.
func (s *Store) RecordAuthResult(ctx context.Context, userID string, failures int, failedAt, activeAt time.Time) error {
	set, args := "failed_auth_count = ?, failed_auth_at = ?", []any{failures, db.Micros(failedAt)}
	if !activeAt.IsZero() {
		set += ", last_active_at = ?"
		args = append(args, db.Micros(activeAt))
	}
	_, err := s.db.Exec(ctx, "UPDATE identity_user SET "+set+" WHERE id = ?", append(args, userID)...)
	return err
}

// DeleteUser removes a user with its passwords, memberships, assignments and credentials.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error { return deleteUserTx(ctx, tx, id) })
}

func deleteUserTx(ctx context.Context, tx *db.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM user_password WHERE user_id = ?",
		"DELETE FROM user_group_membership WHERE user_id = ?",
		"DELETE FROM assignment WHERE actor_id = ?",
		"DELETE FROM application_credential_role WHERE application_credential_id IN (SELECT id FROM application_credential WHERE user_id = ?)",
		"DELETE FROM application_credential WHERE user_id = ?",
		"DELETE FROM credential WHERE user_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM identity_user WHERE id = ?", id)
	return mustAffect(res, err, "user", id)
}
