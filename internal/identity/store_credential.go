package identity

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gostack/gostack/internal/platform/db"
)

const appCredColumns = "id, name, description, user_id, project_id, secret_hash, expires_at, unrestricted, created_at"

func scanAppCred(r db.Scanner) (AppCredential, error) {
	var a AppCredential
	var desc sql.NullString
	var expires, created sql.NullInt64
	err := r.Scan(&a.ID, &a.Name, &desc, &a.UserID, &a.ProjectID, &a.SecretHash, &expires, &a.Unrestricted, &created)
	a.Description, a.ExpiresAt, a.CreatedAt = desc.String, db.FromMicros(expires), db.FromMicros(created)
	return a, err
}

// CreateAppCredential stores an application credential and its roles.
func (s *Store) CreateAppCredential(ctx context.Context, a AppCredential) error {
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO application_credential ("+appCredColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			a.ID, a.Name, nullString(a.Description), a.UserID, a.ProjectID, a.SecretHash, db.Micros(a.ExpiresAt), a.Unrestricted, db.Micros(a.CreatedAt))
		if err != nil {
			return conflict(err, "application_credential", fmt.Sprintf("An application credential with name %s already exists for user %s", a.Name, a.UserID))
		}
		for _, r := range a.RoleIDs {
			if _, err := tx.Exec(ctx, "INSERT INTO application_credential_role (application_credential_id, role_id) VALUES (?, ?)", a.ID, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetAppCredential returns an application credential with its roles.
func (s *Store) GetAppCredential(ctx context.Context, id string) (AppCredential, error) {
	a, err := queryOne(ctx, s.db, "application credential", id, scanAppCred,
		"SELECT "+appCredColumns+" FROM application_credential WHERE id = ?", id)
	if err != nil {
		return a, err
	}
	a.RoleIDs, err = s.appCredRoles(ctx, a.ID)
	return a, err
}

// GetAppCredentialByName returns a user's application credential by name.
func (s *Store) GetAppCredentialByName(ctx context.Context, userID, name string) (AppCredential, error) {
	a, err := queryOne(ctx, s.db, "application credential", name, scanAppCred,
		"SELECT "+appCredColumns+" FROM application_credential WHERE user_id = ? AND name = ?", userID, name)
	if err != nil {
		return a, err
	}
	a.RoleIDs, err = s.appCredRoles(ctx, a.ID)
	return a, err
}

func (s *Store) appCredRoles(ctx context.Context, id string) ([]string, error) {
	return db.QueryStrings(ctx, s.db, "SELECT role_id FROM application_credential_role WHERE application_credential_id = ? ORDER BY role_id", id)
}

// ListAppCredentials returns a user's application credentials, optionally by name.
func (s *Store) ListAppCredentials(ctx context.Context, userID, name string) ([]AppCredential, error) {
	var w db.Where
	w.Eq("user_id", userID)
	w.Eq("name", name)
	creds, err := db.QueryAll(ctx, s.db, scanAppCred, "SELECT "+appCredColumns+" FROM application_credential"+w.String()+" ORDER BY name, id", w.Args...)
	if err != nil {
		return nil, err
	}
	for i := range creds {
		if creds[i].RoleIDs, err = s.appCredRoles(ctx, creds[i].ID); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

// DeleteAppCredential removes an application credential.
func (s *Store) DeleteAppCredential(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM application_credential_role WHERE application_credential_id = ?", id); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM application_credential WHERE id = ?", id)
		return mustAffect(res, err, "application credential", id)
	})
}

const credentialColumns = "id, user_id, project_id, type, encrypted_blob, extra"

// scanCredential reads a credential with its blob still encrypted.
func scanCredential(r db.Scanner) (Credential, error) {
	var c Credential
	var project, extra sql.NullString
	if err := r.Scan(&c.ID, &c.UserID, &project, &c.Type, &c.Blob, &extra); err != nil {
		return c, err
	}
	c.ProjectID = project.String
	var err error
	c.Extra, err = decodeJSON(extra)
	return c, err
}

// CreateCredential stores a credential whose Blob the caller has already encrypted.
func (s *Store) CreateCredential(ctx context.Context, c Credential) error {
	extra, err := encodeJSON(c.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO credential ("+credentialColumns+") VALUES (?, ?, ?, ?, ?, ?)",
			c.ID, c.UserID, nullString(c.ProjectID), c.Type, c.Blob, extra)
		return conflict(err, "credential", "Duplicate ID, "+c.ID)
	})
}

// GetCredential returns a credential with its Blob encrypted.
func (s *Store) GetCredential(ctx context.Context, id string) (Credential, error) {
	return queryOne(ctx, s.db, "credential", id, scanCredential, "SELECT "+credentialColumns+" FROM credential WHERE id = ?", id)
}

// ListCredentials returns credentials (Blobs encrypted), optionally of one user and/or type.
func (s *Store) ListCredentials(ctx context.Context, userID, typ string) ([]Credential, error) {
	var w db.Where
	w.Eq("user_id", userID)
	w.Eq("type", typ)
	return db.QueryAll(ctx, s.db, scanCredential, "SELECT "+credentialColumns+" FROM credential"+w.String()+" ORDER BY id", w.Args...)
}

// UpdateCredential rewrites a credential whose Blob the caller has already encrypted.
func (s *Store) UpdateCredential(ctx context.Context, c Credential) error {
	extra, err := encodeJSON(c.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE credential SET user_id = ?, project_id = ?, type = ?, encrypted_blob = ?, extra = ? WHERE id = ?",
			c.UserID, nullString(c.ProjectID), c.Type, c.Blob, extra, c.ID)
		return mustAffect(res, err, "credential", c.ID)
	})
}

// DeleteCredential removes a credential.
func (s *Store) DeleteCredential(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM credential WHERE id = ?", id)
		return mustAffect(res, err, "credential", id)
	})
}
