package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gostack/gostack/internal/platform/db"
)

// AssignmentFilter selects assignments; empty fields match all.
type AssignmentFilter struct {
	Types     []string
	ActorIDs  []string
	TargetIDs []string
	RoleID    string
	Inherited *bool
}

func scanAssignment(r db.Scanner) (Assignment, error) {
	var a Assignment
	return a, r.Scan(&a.Type, &a.ActorID, &a.TargetID, &a.RoleID, &a.Inherited)
}

// Grant stores an assignment; granting the same assignment twice is not an error and writes
// nothing the second time.
func (s *Store) Grant(ctx context.Context, a Assignment) error {
	if found, err := s.HasAssignment(ctx, a); err != nil || found {
		return err
	}
	return s.insertOnce(ctx, "INSERT INTO assignment (type, actor_id, target_id, role_id, inherited) VALUES (?, ?, ?, ?, ?)",
		a.Type, a.ActorID, a.TargetID, a.RoleID, a.Inherited)
}

// Revoke removes an assignment.
func (s *Store) Revoke(ctx context.Context, a Assignment) error {
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM assignment WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?",
			a.Type, a.ActorID, a.TargetID, a.RoleID, a.Inherited)
		return mustAffect(res, err, "role assignment", fmt.Sprintf("role %s for %s on %s", a.RoleID, a.ActorID, a.TargetID))
	})
}

// HasAssignment reports whether exactly this assignment exists.
func (s *Store) HasAssignment(ctx context.Context, a Assignment) (bool, error) {
	return db.Exists(ctx, s.db, "SELECT 1 FROM assignment WHERE type = ? AND actor_id = ? AND target_id = ? AND role_id = ? AND inherited = ?",
		a.Type, a.ActorID, a.TargetID, a.RoleID, a.Inherited)
}

// ListAssignments returns the assignments that match f.
func (s *Store) ListAssignments(ctx context.Context, f AssignmentFilter) ([]Assignment, error) {
	var w db.Where
	for _, in := range []struct {
		column string
		values []string
	}{{"type", f.Types}, {"actor_id", f.ActorIDs}, {"target_id", f.TargetIDs}} {
		if in.values == nil {
			continue
		}
		if len(in.values) == 0 {
			return nil, nil
		}
		w.Add(in.column+" IN ("+placeholders(len(in.values))+")", stringArgs(in.values)...)
	}
	w.Eq("role_id", f.RoleID)
	if f.Inherited != nil {
		w.Add("inherited = ?", *f.Inherited)
	}
	return db.QueryAll(ctx, s.db, scanAssignment,
		"SELECT type, actor_id, target_id, role_id, inherited FROM assignment"+w.String()+" ORDER BY type, actor_id, target_id, role_id", w.Args...)
}

// AddRevocation stores a revocation event.
func (s *Store) AddRevocation(ctx context.Context, e RevocationEvent) error {
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO revocation_event (id, user_id, project_id, domain_id, role_id, audit_id, audit_chain_id, issued_before, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, nullString(e.UserID), nullString(e.ProjectID), nullString(e.DomainID), nullString(e.RoleID),
			nullString(e.AuditID), nullString(e.AuditChainID), db.Micros(e.IssuedBefore), db.Micros(e.RevokedAt))
		return err
	})
}

// Revocations returns every stored revocation event.
func (s *Store) Revocations(ctx context.Context) ([]RevocationEvent, error) {
	return db.QueryAll(ctx, s.db, func(r db.Scanner) (RevocationEvent, error) {
		var e RevocationEvent
		var user, project, domain, role, audit, chain sql.NullString
		var issued, revoked sql.NullInt64
		err := r.Scan(&e.ID, &user, &project, &domain, &role, &audit, &chain, &issued, &revoked)
		e.UserID, e.ProjectID, e.DomainID, e.RoleID = user.String, project.String, domain.String, role.String
		e.AuditID, e.AuditChainID = audit.String, chain.String
		e.IssuedBefore, e.RevokedAt = db.FromMicros(issued), db.FromMicros(revoked)
		return e, err
	}, "SELECT id, user_id, project_id, domain_id, role_id, audit_id, audit_chain_id, issued_before, revoked_at FROM revocation_event")
}

// PruneRevocations deletes events older than the oldest token that could still be valid.
func (s *Store) PruneRevocations(ctx context.Context, before int64) error {
	_, err := s.db.Exec(ctx, "DELETE FROM revocation_event WHERE revoked_at < ?", before)
	return err
}
