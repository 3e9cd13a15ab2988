package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

// Migrations are one service's goose SQL migrations (files named
// NNNNN_description.sql with "-- +goose Up" / "-- +goose Down" sections).
//
// The files live at the root of FS and are used for every dialect, unless
// FS has a directory named after the dialect ("sqlite", "mysql",
// "postgres"): then that directory holds the whole set for that dialect and
// the root files are ignored for it.
type Migrations struct {
	Service string // e.g. "identity"; the version table is "<service>_schema_version"
	FS      fs.FS
}

// ErrSchemaOutOfDate is matched (errors.Is) by the error of
// [DB.CheckSchema] when the database schema differs from the one this
// gostack was built for.
var ErrSchemaOutOfDate = errors.New("database schema is out of date")

// SchemaError is the error [DB.CheckSchema] returns; it matches
// ErrSchemaOutOfDate.
type SchemaError struct {
	Service string
	Current int64 // version recorded in the database; 0 when never migrated
	Latest  int64 // newest version this gostack ships
}

// Error says which way the schema is off and what to do about it.
func (e *SchemaError) Error() string {
	if e.Current > e.Latest {
		return fmt.Sprintf("%s database schema is at version %d, newer than this gostack knows (%d): upgrade gostack",
			e.Service, e.Current, e.Latest)
	}
	return fmt.Sprintf(`%s database schema is at version %d but this gostack needs %d: run "gostack db sync"`,
		e.Service, e.Current, e.Latest)
}

// Is makes errors.Is(err, ErrSchemaOutOfDate) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaOutOfDate }

// serviceName is what a Migrations.Service may look like; it becomes part
// of a table name.
var serviceName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// versionTable is the name of the service's goose version table.
func (m Migrations) versionTable() string { return m.Service + "_schema_version" }

// source returns the directory of m.FS that holds the migrations for d.
func (m Migrations) source(d Dialect) (fs.FS, error) {
	if info, err := fs.Stat(m.FS, string(d)); err == nil && info.IsDir() {
		return fs.Sub(m.FS, string(d))
	}
	return m.FS, nil
}

// gooseDialects maps our dialects to goose's.
var gooseDialects = map[Dialect]goose.Dialect{
	SQLite:   goose.DialectSQLite3,
	MySQL:    goose.DialectMySQL,
	Postgres: goose.DialectPostgres,
}

// provider builds a goose provider for m with its own version table.
func (d *DB) provider(m Migrations) (*goose.Provider, error) {
	if !serviceName.MatchString(m.Service) {
		return nil, fmt.Errorf("db: bad migrations service name %q (want lower-case letters, digits, _)", m.Service)
	}
	if m.FS == nil {
		return nil, fmt.Errorf("db: %s migrations: no file system", m.Service)
	}
	src, err := m.source(d.dialect)
	if err != nil {
		return nil, fmt.Errorf("db: %s migrations for %s: %w", m.Service, d.dialect, err)
	}
	p, err := goose.NewProvider(gooseDialects[d.dialect], d.rw, src,
		goose.WithTableName(m.versionTable()),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("db: %s migrations for %s: %w", m.Service, d.dialect, err)
	}
	return p, nil
}

// Migrate applies every pending migration of m. Concurrent Migrates of the
// same service against one MySQL or PostgreSQL database wait for each other.
func (d *DB) Migrate(ctx context.Context, m Migrations) error {
	p, err := d.provider(m)
	if err != nil {
		return err
	}
	unlock, err := d.lockMigrations(ctx, m)
	if err != nil {
		return fmt.Errorf("db: migrate %s schema: %w", m.Service, err)
	}
	defer unlock()
	if d.dialect == MySQL {
		if err := d.useUTF8MB4(ctx); err != nil {
			return fmt.Errorf("db: migrate %s schema: %w", m.Service, err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("db: migrate %s schema: %w", m.Service, err)
	}
	return nil
}

// SchemaVersion reports the schema version recorded in the database
// (0 when m was never applied) and the newest version in m. It changes
// nothing in the database.
func (d *DB) SchemaVersion(ctx context.Context, m Migrations) (current, latest int64, err error) {
	p, err := d.provider(m)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	latest = sources[len(sources)-1].Version
	exists, err := d.tableExists(ctx, m.versionTable())
	if err != nil {
		return 0, latest, fmt.Errorf("db: %s schema version: %w", m.Service, err)
	}
	if !exists {
		return 0, latest, nil
	}
	var v sql.NullInt64
	if err := d.QueryRow(ctx, "SELECT MAX(version_id) FROM "+m.versionTable()).Scan(&v); err != nil {
		return 0, latest, fmt.Errorf("db: %s schema version: %w", m.Service, err)
	}
	return v.Int64, latest, nil
}

// CheckSchema returns nil when the database is at the newest version of m,
// and otherwise a *SchemaError matching ErrSchemaOutOfDate, e.g.
// `identity database schema is at version 0 but this gostack needs 3: run "gostack db sync"`.
func (d *DB) CheckSchema(ctx context.Context, m Migrations) error {
	current, latest, err := d.SchemaVersion(ctx, m)
	if err != nil {
		return err
	}
	if current != latest {
		return &SchemaError{Service: m.Service, Current: current, Latest: latest}
	}
	return nil
}

// tableExists reports whether the current database or schema has a table.
func (d *DB) tableExists(ctx context.Context, table string) (bool, error) {
	var q string
	switch d.dialect {
	case SQLite:
		q = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	case MySQL:
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	default:
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
	}
	var n int
	if err := d.QueryRow(ctx, q, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return n > 0, nil
}

// useUTF8MB4 makes utf8mb4 with binary collation the default of the
// current MySQL database, so tables created by portable migrations store
// any Unicode text and compare it like SQLite and PostgreSQL do.
func (d *DB) useUTF8MB4(ctx context.Context) error {
	var name, charset, collation sql.NullString
	err := d.QueryRow(ctx, "SELECT DATABASE(), @@character_set_database, @@collation_database").
		Scan(&name, &charset, &collation)
	if err != nil {
		return fmt.Errorf("read database character set: %w", err)
	}
	if !name.Valid || (charset.String == "utf8mb4" && collation.String == "utf8mb4_bin") {
		return nil
	}
	quoted := "`" + strings.ReplaceAll(name.String, "`", "``") + "`"
	if _, err := d.Exec(ctx, "ALTER DATABASE "+quoted+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return fmt.Errorf("set database %s to utf8mb4: %w", name.String, err)
	}
	return nil
}

// mysqlLockPoll is how long one GET_LOCK call waits before ctx is checked.
const mysqlLockPoll = 5 * time.Second

// lockMigrations takes a server-side lock private to m's service and this
// database, held on a dedicated connection until the returned func runs.
// SQLite needs none: its migrations run on the single writer connection.
func (d *DB) lockMigrations(ctx context.Context, m Migrations) (unlock func(), err error) {
	if d.dialect == SQLite {
		return func() {}, nil
	}
	conn, err := d.rw.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	var release string
	var arg any
	if d.dialect == Postgres {
		// Advisory locks are scoped to the current database.
		arg = int64(lockKey(m.versionTable()))
		release = "SELECT pg_advisory_unlock($1)"
		_, err = conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", arg)
	} else {
		// GET_LOCK names are server-wide: fold the database name in.
		arg, err = mysqlLockName(ctx, conn, m.versionTable())
		if err == nil {
			err = mysqlGetLock(ctx, conn, arg.(string))
		}
		release = "SELECT RELEASE_LOCK(?)"
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), release, arg); err != nil {
			// Never hand a connection that may still hold the lock back to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// lockKey hashes a lock name to a 64-bit key.
func lockKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("gostack-migrate:" + name))
	return h.Sum64()
}

// mysqlLockName is a GET_LOCK name (at most 64 characters) unique to the
// current database and table.
func mysqlLockName(ctx context.Context, conn *sql.Conn, table string) (string, error) {
	var dbName sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil {
		return "", err
	}
	return fmt.Sprintf("gostack-migrate-%016x", lockKey(dbName.String+"."+table)), nil
}

// mysqlGetLock waits for a MySQL named lock, polling so that ctx is honoured.
func mysqlGetLock(ctx context.Context, conn *sql.Conn, name string) error {
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, int(mysqlLockPoll/time.Second)).Scan(&got)
		switch {
		case err != nil:
			return err
		case !got.Valid:
			return fmt.Errorf("GET_LOCK(%s) failed", name)
		case got.Int64 == 1:
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
