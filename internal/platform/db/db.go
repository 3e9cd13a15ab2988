// Package db opens gostack's SQL databases and gives every service the same
// small toolkit on top of database/sql: SQLAlchemy-style connection URLs,
// portable placeholders, transactions with retry, error classification,
// time helpers and goose migrations.
//
// Three engines are supported: SQLite (the embedded default, pure Go
// modernc.org/sqlite), MariaDB/MySQL and PostgreSQL. Stores write one set of
// SQL for all three:
//
//   - placeholders are always "?"; the DB rewrites them to $1, $2 … for
//     PostgreSQL (see [Dialect.Rebind]);
//   - times are BIGINT microseconds since the epoch, UTC ([Micros],
//     [FromMicros]);
//   - booleans are BOOLEAN columns written with Go bools or the TRUE/FALSE
//     literals; scanning them into bool works on every engine;
//   - identifiers that clash with keywords are quoted with double quotes
//     (MySQL connections run with sql_mode TRADITIONAL,ANSI_QUOTES), and
//     string literals always use single quotes;
//   - foreign keys are table constraints, FOREIGN KEY (col) REFERENCES t (id):
//     MySQL silently ignores the inline "col … REFERENCES t (id)" form;
//   - generated keys come from the application (UUIDs) or RETURNING, not
//     from sql.Result.LastInsertId, which PostgreSQL does not provide.
//
// String comparison is binary (case-sensitive) on every engine: MySQL
// connections and the tables created by [DB.Migrate] use utf8mb4_bin, the
// same semantics SQLite and PostgreSQL have by default.
//
// SQLite is opened in WAL mode with foreign keys on and a 5 s busy timeout.
// All writes and transactions go through a single connection, so writers in
// this process queue up instead of failing with SQLITE_BUSY; statements that
// begin with SELECT run on a separate pool of read-only connections and stay
// concurrent. Inside [DB.InTx] always use the *Tx: on SQLite the writer is
// held by the transaction, so a write through the DB would wait for it.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Dialect names a SQL engine.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	MySQL    Dialect = "mysql"
	Postgres Dialect = "postgres"
)

// Querier is what DB and Tx have in common; store code takes a Querier so
// that it runs the same inside and outside a transaction. Queries use "?"
// placeholders on every dialect.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// DB is an open database. It is safe for concurrent use and implements
// Querier.
type DB struct {
	dialect Dialect
	url     string  // redacted, for messages
	rw      *sql.DB // every statement; on SQLite only writes and transactions
	ro      *sql.DB // SQLite only: read-only pool for SELECT statements
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Open parses a SQLAlchemy-style connection URL (see [ParseURL]), opens the
// database and checks that it answers. For SQLite it creates the parent
// directory of the database file.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	d := &DB{dialect: cfg.dialect, url: RedactURL(rawURL)}
	if cfg.dialect == SQLite {
		err = d.openSQLite(ctx, cfg)
	} else {
		err = d.openServer(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// MaxOpenConns bounds each MySQL or PostgreSQL connection pool.
var MaxOpenConns = 55

// openServer opens a MySQL or PostgreSQL connection pool.
func (d *DB) openServer(ctx context.Context, cfg urlConfig) error {
	pool, err := sql.Open(cfg.driver, cfg.dsn)
	if err != nil {
		return fmt.Errorf("db: open %s: %w", d.url, err)
	}
	// oslo.db's default pool: 5 kept plus 50 overflow. Bounded, so a burst of requests waits
	// for a connection instead of exceeding the server's max_connections.
	pool.SetMaxOpenConns(MaxOpenConns)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxLifetime(time.Hour)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("db: connect to %s: %w", d.url, err)
	}
	d.rw = pool
	return nil
}

// openSQLite opens the single-connection writer and the read-only pool.
func (d *DB) openSQLite(ctx context.Context, cfg urlConfig) error {
	if cfg.path != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.path), 0o750); err != nil {
			return fmt.Errorf("db: create directory for %s: %w", d.url, err)
		}
	}
	rw, err := sql.Open(cfg.driver, cfg.dsn)
	if err != nil {
		return fmt.Errorf("db: open %s: %w", d.url, err)
	}
	rw.SetMaxOpenConns(1)
	rw.SetMaxIdleConns(1)
	rw.SetConnMaxLifetime(0)
	rw.SetConnMaxIdleTime(0)
	if err := rw.PingContext(ctx); err != nil {
		rw.Close()
		return fmt.Errorf("db: open %s: %w", d.url, err)
	}
	ro, err := sql.Open(cfg.driver, cfg.readDSN)
	if err != nil {
		rw.Close()
		return fmt.Errorf("db: open %s: %w", d.url, err)
	}
	ro.SetMaxIdleConns(4)
	if err := ro.PingContext(ctx); err != nil {
		ro.Close()
		rw.Close()
		return fmt.Errorf("db: open %s for reading: %w", d.url, err)
	}
	d.rw, d.ro = rw, ro
	return nil
}

// Dialect reports which SQL engine the database runs on.
func (d *DB) Dialect() Dialect { return d.dialect }

// String returns the connection URL with its password redacted.
func (d *DB) String() string { return d.url }

// SQL returns the underlying pool. On SQLite it is the single writer
// connection, which accepts every statement.
func (d *DB) SQL() *sql.DB { return d.rw }

// Close closes every connection of the database.
func (d *DB) Close() error {
	var errs []error
	if d.ro != nil {
		errs = append(errs, d.ro.Close())
	}
	errs = append(errs, d.rw.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("db: close %s: %w", d.url, err)
	}
	return nil
}

// Exec runs a statement that returns no rows.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.rw.ExecContext(ctx, d.dialect.Rebind(query), args...)
}

// Query runs a statement that returns rows.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.poolFor(query).QueryContext(ctx, d.dialect.Rebind(query), args...)
}

// QueryRow runs a statement that returns at most one row; errors are
// deferred to Scan.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.poolFor(query).QueryRowContext(ctx, d.dialect.Rebind(query), args...)
}

// poolFor picks the read-only SQLite pool for SELECT statements and the
// writer for everything else.
func (d *DB) poolFor(query string) *sql.DB {
	if d.ro != nil && isSelect(query) {
		return d.ro
	}
	return d.rw
}
