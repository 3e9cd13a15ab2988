package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gostack/gostack/internal/platform/db"
)

const roleColumns = "id, name, domain_id, description, options"

func scanRole(r db.Scanner) (Role, error) {
	var role Role
	var desc, options sql.NullString
	if err := r.Scan(&role.ID, &role.Name, &role.DomainID, &desc, &options); err != nil {
		return role, err
	}
	if role.DomainID == globalRoleDomain {
		role.DomainID = ""
	}
	role.Description = desc.String
	var err error
	role.Options, err = decodeJSON(options)
	return role, err
}

func roleDomain(domainID string) string {
	if domainID == "" {
		return globalRoleDomain
	}
	return domainID
}

func roleConflict(r Role) string {
	if r.DomainID == "" {
		return "Duplicate entry found with name " + r.Name
	}
	return fmt.Sprintf("Duplicate entry found with name %s at domain ID %s", r.Name, r.DomainID)
}

// CreateRole stores a new role.
func (s *Store) CreateRole(ctx context.Context, r Role) error {
	options, err := encodeJSON(r.Options)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO role ("+roleColumns+") VALUES (?, ?, ?, ?, ?)",
			r.ID, r.Name, roleDomain(r.DomainID), nullString(r.Description), options)
		return conflict(err, "role", roleConflict(r))
	})
}

// GetRole returns a role by id.
func (s *Store) GetRole(ctx context.Context, id string) (Role, error) {
	return queryOne(ctx, s.db, "role", id, scanRole, "SELECT "+roleColumns+" FROM role WHERE id = ?", id)
}

// GetRoleByName returns a global role (domainID "") or a domain's role by name.
func (s *Store) GetRoleByName(ctx context.Context, domainID, name string) (Role, error) {
	return queryOne(ctx, s.db, "role", name, scanRole,
		"SELECT "+roleColumns+" FROM role WHERE name = ? AND domain_id = ?", name, roleDomain(domainID))
}

// ListRoles returns roles by name; domainID "" lists the global roles.
func (s *Store) ListRoles(ctx context.Context, domainID, name string) ([]Role, error) {
	var w db.Where
	w.Add("domain_id = ?", roleDomain(domainID))
	w.Eq("name", name)
	return db.QueryAll(ctx, s.db, scanRole, "SELECT "+roleColumns+" FROM role"+w.String()+" ORDER BY name, id", w.Args...)
}

// AllRoles returns every role, global and domain-specific.
func (s *Store) AllRoles(ctx context.Context) ([]Role, error) {
	return db.QueryAll(ctx, s.db, scanRole, "SELECT "+roleColumns+" FROM role ORDER BY name, id")
}

// UpdateRole rewrites a role's mutable attributes.
func (s *Store) UpdateRole(ctx context.Context, r Role) error {
	options, err := encodeJSON(r.Options)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE role SET name = ?, description = ?, options = ? WHERE id = ?",
			r.Name, nullString(r.Description), options, r.ID)
		return mustAffect(res, conflict(err, "role", roleConflict(r)), "role", r.ID)
	})
}

// DeleteRole removes a role with its assignments and implications.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error { return deleteRoleTx(ctx, tx, id) })
}

func deleteRoleTx(ctx context.Context, tx *db.Tx, id string) error {
	for _, q := range []string{
		"DELETE FROM assignment WHERE role_id = ?",
		"DELETE FROM implied_role WHERE prior_role_id = ?",
		"DELETE FROM implied_role WHERE implied_role_id = ?",
		"DELETE FROM application_credential_role WHERE role_id = ?",
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	res, err := tx.Exec(ctx, "DELETE FROM role WHERE id = ?", id)
	return mustAffect(res, err, "role", id)
}

// CreateImpliedRole records that prior implies implied; doing it twice is a conflict.
func (s *Store) CreateImpliedRole(ctx context.Context, ir ImpliedRole) error {
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO implied_role (prior_role_id, implied_role_id) VALUES (?, ?)", ir.PriorID, ir.ImpliedID)
		return conflict(err, "implied_role", fmt.Sprintf("Duplicate entry found with prior role %s and implied role %s", ir.PriorID, ir.ImpliedID))
	})
}

// DeleteImpliedRole removes an implication.
func (s *Store) DeleteImpliedRole(ctx context.Context, ir ImpliedRole) error {
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM implied_role WHERE prior_role_id = ? AND implied_role_id = ?", ir.PriorID, ir.ImpliedID)
		return mustAffect(res, err, "implied role", ir.PriorID+" implies "+ir.ImpliedID)
	})
}

// ImpliedRoles returns every implication, optionally only those whose prior role is priorID.
func (s *Store) ImpliedRoles(ctx context.Context, priorID string) ([]ImpliedRole, error) {
	var w db.Where
	w.Eq("prior_role_id", priorID)
	return db.QueryAll(ctx, s.db, func(r db.Scanner) (ImpliedRole, error) {
		var ir ImpliedRole
		return ir, r.Scan(&ir.PriorID, &ir.ImpliedID)
	}, "SELECT prior_role_id, implied_role_id FROM implied_role"+w.String()+" ORDER BY prior_role_id, implied_role_id", w.Args...)
}
