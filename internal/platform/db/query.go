package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// Scanner is what *sql.Row and *sql.Rows share.
type Scanner interface{ Scan(dest ...any) error }

// QueryAll runs query and collects one T per row with scan.
func QueryAll[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
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

// QueryStrings returns the first column of every row.
func QueryStrings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	return QueryAll(ctx, q, func(r Scanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	}, query, args...)
}

// Exists reports whether query returns a row.
func Exists(ctx context.Context, q Querier, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Where builds the WHERE clause of a query from conditions joined by AND.
type Where struct {
	conds []string
	Args  []any // the arguments of the conditions, in order
}

// Eq adds "column = value" when value is not empty.
func (w *Where) Eq(column, value string) {
	if value != "" {
		w.Add(column+" = ?", value)
	}
}

// Add adds a raw condition with its arguments.
func (w *Where) Add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.Args = append(w.Args, args...)
}

// String renders " WHERE a AND b", or "" when there is no condition.
func (w *Where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// After returns the keyset condition "the row comes after the marker row" for an ORDER BY over
// exprs (desc[i] says whether exprs[i] sorts descending), given the marker's values of exprs:
// (e1 > v1) OR (e1 = v1 AND e2 > v2) OR … with < for descending keys. Paging this way costs the
// same however deep the page is. The last expression should be unique (the id).
func After(exprs []string, desc []bool, vals []any) (string, []any) {
	var ors []string
	var args []any
	for i := range exprs {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, exprs[j]+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if desc[i] {
			op = " < ?"
		}
		ands = append(ands, exprs[i]+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// EachRow runs query and calls fn for each row.
func EachRow(ctx context.Context, q Querier, query string, args []any, fn func(Scanner) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
