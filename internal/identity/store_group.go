package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gostack/gostack/internal/platform/db"
)

const groupColumns = "id, domain_id, name, description, extra"

func scanGroup(r db.Scanner) (Group, error) {
	var g Group
	var desc, extra sql.NullString
	if err := r.Scan(&g.ID, &g.DomainID, &g.Name, &desc, &extra); err != nil {
		return g, err
	}
	g.Description = desc.String
	var err error
	g.Extra, err = decodeJSON(extra)
	return g, err
}

// GroupFilter selects groups in ListGroups; empty fields match all.
type GroupFilter struct {
	DomainID string
	Name     string
	UserID   string // groups this user belongs to
}

func groupConflict(g Group) string {
	return fmt.Sprintf("Duplicate entry found with name %s at domain ID %s", g.Name, g.DomainID)
}

// CreateGroup stores a new group.
func (s *Store) CreateGroup(ctx context.Context, g Group) error {
	extra, err := encodeJSON(g.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO identity_group ("+groupColumns+") VALUES (?, ?, ?, ?, ?)",
			g.ID, g.DomainID, g.Name, nullString(g.Description), extra)
		return conflict(err, "group", groupConflict(g))
	})
}

// GetGroup returns a group by id.
func (s *Store) GetGroup(ctx context.Context, id string) (Group, error) {
	return queryOne(ctx, s.db, "group", id, scanGroup, "SELECT "+groupColumns+" FROM identity_group WHERE id = ?", id)
}

// GetGroupByName returns a group by name within a domain.
func (s *Store) GetGroupByName(ctx context.Context, domainID, name string) (Group, error) {
	return queryOne(ctx, s.db, "group", name, scanGroup,
		"SELECT "+groupColumns+" FROM identity_group WHERE domain_id = ? AND name = ?", domainID, name)
}

// ListGroups returns the groups that match f, ordered by name.
func (s *Store) ListGroups(ctx context.Context, f GroupFilter) ([]Group, error) {
	var w db.Where
	w.Eq("domain_id", f.DomainID)
	w.Eq("name", f.Name)
	if f.UserID != "" {
		w.Add("id IN (SELECT group_id FROM user_group_membership WHERE user_id = ?)", f.UserID)
	}
	return db.QueryAll(ctx, s.db, scanGroup, "SELECT "+groupColumns+" FROM identity_group"+w.String()+" ORDER BY name, id", w.Args...)
}

// UpdateGroup rewrites a group's mutable attributes.
func (s *Store) UpdateGroup(ctx context.Context, g Group) error {
	extra, err := encodeJSON(g.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE identity_group SET name = ?, description = ?, extra = ? WHERE id = ?",
			g.Name, nullString(g.Description), extra, g.ID)
		return mustAffect(res, conflict(err, "group", groupConflict(g)), "group", g.ID)
	})
}

// DeleteGroup removes a group with its memberships and assignments.
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error { return deleteGroupTx(ctx, tx, id) })
}

func deleteGroupTx(ctx context.Context, tx *db.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM user_group_membership WHERE group_id = ?",
		"DELETE FROM assignment WHERE actor_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM identity_group WHERE id = ?", id)
	return mustAffect(res, err, "group", id)
}

// AddGroupMember puts a user into a group; adding a member twice is not an error.
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID string) error {
	if in, err := s.IsGroupMember(ctx, groupID, userID); err != nil || in {
		return err
	}
	return s.insertOnce(ctx, "INSERT INTO user_group_membership (user_id, group_id) VALUES (?, ?)", userID, groupID)
}

// RemoveGroupMember takes a user out of a group.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM user_group_membership WHERE user_id = ? AND group_id = ?", userID, groupID)
		return mustAffect(res, err, "membership", fmt.Sprintf("user %s in group %s", userID, groupID))
	})
}

// IsGroupMember reports whether a user belongs to a group.
func (s *Store) IsGroupMember(ctx context.Context, groupID, userID string) (bool, error) {
	return db.Exists(ctx, s.db, "SELECT 1 FROM user_group_membership WHERE user_id = ? AND group_id = ?", userID, groupID)
}

// UserGroupIDs returns the ids of the groups a user belongs to.
func (s *Store) UserGroupIDs(ctx context.Context, userID string) ([]string, error) {
	return db.QueryStrings(ctx, s.db, "SELECT group_id FROM user_group_membership WHERE user_id = ?", userID)
}
