package db

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"},
		{"SELECT '?' , ?", "SELECT '?' , $1"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{`SELECT "we?rd" FROM t WHERE x = ?`, `SELECT "we?rd" FROM t WHERE x = $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"SELECT ? /* what? */, ?", "SELECT $1 /* what? */, $2"},
		{`SELECT E'a\'?', ?`, `SELECT E'a\'?', $1`},
		{`SELECT name'a\', ?`, `SELECT name'a\', $1`}, // backslash is no escape outside E''
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
		{"SELECT ? -- trailing?", "SELECT $1 -- trailing?"},
		{"SELECT ? /* open?", "SELECT $1 /* open?"},
	}
	for _, tt := range tests {
		if got := Postgres.Rebind(tt.in); got != tt.want {
			t.Errorf("Postgres.Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, d := range []Dialect{SQLite, MySQL} {
			if got := d.Rebind(tt.in); got != tt.in {
				t.Errorf("%s.Rebind(%q) = %q, want it unchanged", d, tt.in, got)
			}
		}
	}
}

func TestIsSelect(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"SELECT 1", true},
		{"  \n\tselect * from t", true},
		{"-- comment\nSelect 1", true},
		{"/* c */ SELECT(1)", true},
		{"SELECT", true},
		{"SELECTED", false},
		{"selector FROM t", false},
		{"INSERT INTO t VALUES (1) RETURNING id", false},
		{"WITH x AS (SELECT 1) SELECT * FROM x", false},
		{"UPDATE t SET a = 1", false},
		{"", false},
		{"-- only a comment", false},
	}
	for _, tt := range tests {
		if got := isSelect(tt.in); got != tt.want {
			t.Errorf("isSelect(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
