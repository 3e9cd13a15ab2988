package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// Portable test migrations, shared by the other tests of this package.
const (
	migWidgets = `-- +goose Up
CREATE TABLE widgets (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT NULL,
    UNIQUE (name)
);
-- +goose Down
DROP TABLE widgets;
`
	migParts = `-- +goose Up
CREATE TABLE parts (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    widget_id VARCHAR(64) NOT NULL,
    "key" VARCHAR(64) NULL,
    FOREIGN KEY (widget_id) REFERENCES widgets (id)
);
-- +goose Down
DROP TABLE parts;
`
	migFlavour = `-- +goose Up
CREATE TABLE flavour (name VARCHAR(32) NOT NULL);
INSERT INTO flavour (name) VALUES ('%s');
-- +goose Down
DROP TABLE flavour;
`
)

// testMigrations has a portable set at the root and a PostgreSQL override.
func testMigrations() db.Migrations {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	flavour := func(name string) *fstest.MapFile {
		return file(strings.Replace(migFlavour, "%s", name, 1))
	}
	return db.Migrations{Service: "testsvc", FS: fstest.MapFS{
		"00001_widgets.sql":          file(migWidgets),
		"00002_parts.sql":            file(migParts),
		"00003_flavour.sql":          flavour("portable"),
		"README.md":                  file("not a migration"),
		"postgres/00001_widgets.sql": file(migWidgets),
		"postgres/00002_parts.sql":   file(migParts),
		"postgres/00003_flavour.sql": flavour("postgres"),
	}}
}

// migrated returns a fresh database with testMigrations applied.
func migrated(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	if err := d.Migrate(context.Background(), testMigrations()); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := testMigrations()
		assertVersion(t, d, m, 0, 3)
		assertVersion(t, d, m, 0, 3) // SchemaVersion changes nothing
		err := d.CheckSchema(ctx, m)
		want := `testsvc database schema is at version 0 but this gostack needs 3: run "gostack db sync"`
		if !errors.Is(err, db.ErrSchemaOutOfDate) || err.Error() != want {
			t.Fatalf("CheckSchema before Migrate = %v, want %q", err, want)
		}

		if err := d.Migrate(ctx, m); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		assertVersion(t, d, m, 3, 3)
		if err := d.CheckSchema(ctx, m); err != nil {
			t.Fatalf("CheckSchema after Migrate: %v", err)
		}
		if err := d.Migrate(ctx, m); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}

		wantFlavour := "portable"
		if d.Dialect() == db.Postgres {
			wantFlavour = "postgres"
		}
		var flavour string
		if err := d.QueryRow(ctx, "SELECT name FROM flavour").Scan(&flavour); err != nil {
			t.Fatal(err)
		}
		if flavour != wantFlavour {
			t.Errorf("migrations came from %q, want %q", flavour, wantFlavour)
		}

		// A second service keeps its own version in the same database.
		other := db.Migrations{Service: "othersvc", FS: fstest.MapFS{
			"00001_other.sql": {Data: []byte("-- +goose Up\nCREATE TABLE other (id INTEGER NOT NULL);\n-- +goose Down\nDROP TABLE other;\n")},
		}}
		assertVersion(t, d, other, 0, 1)
		if err := d.Migrate(ctx, other); err != nil {
			t.Fatal(err)
		}
		assertVersion(t, d, other, 1, 1)
		assertVersion(t, d, m, 3, 3)

		// A binary older than the database says so.
		older := db.Migrations{Service: "testsvc", FS: fstest.MapFS{
			"00001_widgets.sql": {Data: []byte(migWidgets)},
		}}
		err = d.CheckSchema(ctx, older)
		var se *db.SchemaError
		if !errors.Is(err, db.ErrSchemaOutOfDate) || !errors.As(err, &se) || se.Current != 3 || se.Latest != 1 {
			t.Errorf("CheckSchema with older migrations = %v", err)
		}
	})
}

func assertVersion(t *testing.T, d *db.DB, m db.Migrations, wantCurrent, wantLatest int64) {
	t.Helper()
	current, latest, err := d.SchemaVersion(context.Background(), m)
	if err != nil {
		t.Fatalf("SchemaVersion(%s): %v", m.Service, err)
	}
	if current != wantCurrent || latest != wantLatest {
		t.Errorf("SchemaVersion(%s) = %d, %d; want %d, %d", m.Service, current, latest, wantCurrent, wantLatest)
	}
}

func TestMigrateErrors(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	bad := fstest.MapFS{"00001_bad.sql": {Data: []byte("-- +goose Up\nCREATE TABLE (;\n")}}
	tests := []struct {
		name string
		m    db.Migrations
	}{
		{"no service", db.Migrations{FS: testMigrations().FS}},
		{"service not an identifier", db.Migrations{Service: "x; DROP TABLE y", FS: testMigrations().FS}},
		{"no file system", db.Migrations{Service: "svc"}},
		{"no migrations", db.Migrations{Service: "svc", FS: fstest.MapFS{}}},
		{"bad SQL", db.Migrations{Service: "svc", FS: bad}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Migrate(ctx, tt.m); err == nil {
				t.Error("Migrate succeeded")
			}
			if tt.name != "bad SQL" {
				if _, _, err := d.SchemaVersion(ctx, tt.m); err == nil {
					t.Error("SchemaVersion succeeded")
				}
				if err := d.CheckSchema(ctx, tt.m); err == nil || errors.Is(err, db.ErrSchemaOutOfDate) {
					t.Errorf("CheckSchema = %v, want a plain error", err)
				}
			}
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		errs := make(chan error, 3)
		for range 3 {
			go func() { errs <- d.Migrate(context.Background(), testMigrations()) }()
		}
		for range 3 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		assertVersion(t, d, testMigrations(), 3, 3)
	})
}
