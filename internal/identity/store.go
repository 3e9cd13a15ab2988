package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gostack/gostack/internal/platform/db"
)

// Store is the identity service's persistence: the only code that writes SQL for it.
// Every write runs in one transaction that also bumps the identity generation, which is how
// every node learns that its caches are stale.
type Store struct {
	db      *db.DB
	onWrite func() // called after every committed write
}

// NewStore returns a Store over an already migrated database.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// DB returns the underlying database.
func (s *Store) DB() *db.DB { return s.db }

// write runs fn in a transaction and bumps the generation in the same transaction.
func (s *Store) write(ctx context.Context, fn func(tx *db.Tx) error) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE identity_generation SET value = value + 1 WHERE id = 1")
		return err
	})
	if err == nil && s.onWrite != nil {
		s.onWrite()
	}
	return err
}

// insertOnce inserts a row that may have been inserted concurrently; a duplicate is success.
func (s *Store) insertOnce(ctx context.Context, query string, args ...any) error {
	err := s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, query, args...)
		return err
	})
	if db.IsDuplicate(err) {
		return nil
	}
	return err
}

// Generation returns the count of identity writes committed so far on any node.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := s.db.QueryRow(ctx, "SELECT value FROM identity_generation WHERE id = 1").Scan(&g)
	return g, err
}

// queryAll runs q and collects one T per row with scan.
func queryAll[T any](ctx context.Context, q db.Querier, scan func(db.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs q and scans its single row, turning "no rows" into a NotFoundError.
func queryOne[T any](ctx context.Context, q db.Querier, kind, id string, scan func(db.Scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, &NotFoundError{Kind: kind, ID: id}
	}
	return v, err
}

// mustAffect turns an UPDATE or DELETE that touched nothing into a NotFoundError.
func mustAffect(res sql.Result, err error, kind, id string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &NotFoundError{Kind: kind, ID: id}
	}
	return nil
}

// conflict turns a unique-constraint violation into a ConflictError.
func conflict(err error, kind, message string) error {
	if err != nil && db.IsDuplicate(err) {
		return &ConflictError{Kind: kind, Message: message}
	}
	return err
}

// encodeJSON stores a map as JSON text, or NULL when empty.
func encodeJSON(m map[string]any) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode attributes: %w", err)
	}
	return string(b), nil
}

// decodeJSON reads a JSON text column back into a map.
func decodeJSON(s sql.NullString) (map[string]any, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s.String), &m); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	return m, nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// stringArgs converts ids to query arguments.
func stringArgs(ids []string) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}
