package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
	"github.com/gostack/gostack/internal/platform/db/dbtest"
)

// insertWidget adds a widget named name through q.
func insertWidget(ctx context.Context, q db.Querier, id, name string) error {
	_, err := q.Exec(ctx, "INSERT INTO widgets (id, name, created_at) VALUES (?, ?, ?)", id, name, db.Micros(time.Now()))
	return err
}

// countWidgets counts the widgets visible to q.
func countWidgets(t *testing.T, q db.Querier) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), "SELECT COUNT(*) FROM widgets").Scan(&n); err != nil {
		t.Fatalf("count widgets: %v", err)
	}
	return n
}

func TestExecQueryRebinding(t *testing.T) {
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		res, err := d.Exec(ctx, "INSERT INTO widgets (id, name, created_at, deleted_at) VALUES (?, 'why?', ?, ?)", "w1", 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Errorf("RowsAffected = %d, %v", n, err)
		}
		for i, name := range []string{"b", "c", "d"} {
			if err := insertWidget(ctx, d, fmt.Sprintf("w%d", i+2), name); err != nil {
				t.Fatal(err)
			}
		}
		// A quoted keyword identifier works on every dialect.
		if _, err := d.Exec(ctx, `INSERT INTO parts (id, widget_id, "key") VALUES (?, ?, ?)`, "p1", "w1", "k?"); err != nil {
			t.Fatal(err)
		}
		rows, err := d.Query(ctx, "SELECT id, name FROM widgets WHERE name <> '?' AND id IN (?, ?) /* ? */ ORDER BY id", "w1", "w3")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			got = append(got, id+"="+name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if strings.Join(got, ",") != "w1=why?,w3=c" {
			t.Errorf("rows = %v", got)
		}
		var key string
		if err := d.QueryRow(ctx, `SELECT "key" FROM parts WHERE widget_id = ?`, "w1").Scan(&key); err != nil || key != "k?" {
			t.Errorf(`"key" = %q, %v`, key, err)
		}
		if err := d.QueryRow(ctx, "SELECT id FROM widgets WHERE id = ?", "nope").Scan(&key); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing row: %v, want sql.ErrNoRows", err)
		}
	})
}

func TestBinaryCollationAndUnicode(t *testing.T) {
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		for i, name := range []string{"Alice", "alice", "ALICE", "🐙 octo", "Ünïcödé"} {
			if err := insertWidget(ctx, d, fmt.Sprint(i), name); err != nil {
				t.Fatalf("insert %q: %v", name, err)
			}
		}
		var name string
		if err := d.QueryRow(ctx, "SELECT name FROM widgets WHERE name = ?", "alice").Scan(&name); err != nil || name != "alice" {
			t.Errorf("case-sensitive lookup = %q, %v", name, err)
		}
		if err := d.QueryRow(ctx, "SELECT name FROM widgets WHERE id = ?", "3").Scan(&name); err != nil || name != "🐙 octo" {
			t.Errorf("4-byte UTF-8 = %q, %v", name, err)
		}
	})
}

func TestMySQLDatabaseCharsetFixedByMigrate(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.MySQL)
	var name string
	if err := d.QueryRow(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, "ALTER DATABASE "+name+" CHARACTER SET latin1 COLLATE latin1_swedish_ci"); err != nil {
		t.Fatal(err)
	}
	migrated(t, d)
	var collation string
	err := d.QueryRow(ctx, "SELECT table_collation FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?", "widgets").Scan(&collation)
	if err != nil || collation != "utf8mb4_bin" {
		t.Errorf("widgets collation = %q, %v; want utf8mb4_bin", collation, err)
	}
}

func TestBoolAndMicrosRoundTrip(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.FixedZone("X", -7*3600))
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		insert := "INSERT INTO widgets (id, name, enabled, created_at, deleted_at) VALUES (?, ?, ?, ?, ?)"
		if _, err := d.Exec(ctx, insert, "on", "on", true, db.Micros(created), db.Micros(time.Time{})); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, insert, "off", "off", false, db.Micros(created), db.Micros(created)); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "INSERT INTO widgets (id, name, enabled, created_at) VALUES ('lit', 'lit', FALSE, 0)"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			id      string
			enabled bool
			deleted time.Time
		}{
			{"on", true, time.Time{}},
			{"off", false, created},
			{"lit", false, time.Time{}},
		}
		for _, tt := range tests {
			var (
				enabled            bool
				nullEnabled        sql.NullBool
				createdAt, deleted sql.NullInt64
			)
			// With arguments (MySQL binary protocol) …
			err := d.QueryRow(ctx, "SELECT enabled, enabled, created_at, deleted_at FROM widgets WHERE id = ?", tt.id).
				Scan(&enabled, &nullEnabled, &createdAt, &deleted)
			if err != nil {
				t.Fatalf("%s: %v", tt.id, err)
			}
			if enabled != tt.enabled || !nullEnabled.Valid || nullEnabled.Bool != tt.enabled {
				t.Errorf("%s: enabled = %v / %v, want %v", tt.id, enabled, nullEnabled, tt.enabled)
			}
			if got := db.FromMicros(deleted); !got.Equal(tt.deleted.Truncate(time.Microsecond)) {
				t.Errorf("%s: deleted_at = %v, want %v", tt.id, got, tt.deleted)
			}
			// … and without (MySQL text protocol).
			var plain bool
			if err := d.QueryRow(ctx, "SELECT enabled FROM widgets WHERE id = '"+tt.id+"'").Scan(&plain); err != nil || plain != tt.enabled {
				t.Errorf("%s: enabled without args = %v, %v", tt.id, plain, err)
			}
		}
		var c sql.NullInt64
		if err := d.QueryRow(ctx, "SELECT created_at FROM widgets WHERE id = ?", "on").Scan(&c); err != nil {
			t.Fatal(err)
		}
		got := db.FromMicros(c)
		if want := created.Truncate(time.Microsecond); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("created_at = %v, want %v in UTC", got, want)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM widgets WHERE enabled = ?", true).Scan(&n); err != nil || n != 1 {
			t.Errorf("WHERE enabled = true: %d, %v", n, err)
		}
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM widgets WHERE NOT enabled").Scan(&n); err != nil || n != 2 {
			t.Errorf("WHERE NOT enabled: %d, %v", n, err)
		}
	})
}

func TestErrorClassification(t *testing.T) {
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		if err := insertWidget(ctx, d, "w1", "one"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "INSERT INTO parts (id, widget_id) VALUES (?, ?)", "p1", "w1"); err != nil {
			t.Fatal(err)
		}
		_, missingParent := d.Exec(ctx, "INSERT INTO parts (id, widget_id) VALUES (?, ?)", "p2", "nope")
		_, parentInUse := d.Exec(ctx, "DELETE FROM widgets WHERE id = ?", "w1")
		_, notNull := d.Exec(ctx, "INSERT INTO widgets (id, name, created_at) VALUES (?, NULL, 0)", "w4")
		tests := []struct {
			name      string
			err       error
			dup, fk   bool
			retryable bool
		}{
			{"duplicate primary key", insertWidget(ctx, d, "w1", "other"), true, false, false},
			{"duplicate unique", insertWidget(ctx, d, "w2", "one"), true, false, false},
			{"wrapped duplicate", fmt.Errorf("store: %w", insertWidget(ctx, d, "w1", "x")), true, false, false},
			{"missing parent", missingParent, false, true, false},
			{"parent in use", parentInUse, false, true, false},
			{"not null", notNull, false, false, false},
			{"nil", nil, false, false, false},
			{"plain", errors.New("boom"), false, false, false},
		}
		for _, tt := range tests {
			if tt.name != "nil" && tt.name != "plain" && tt.err == nil {
				t.Errorf("%s: statement succeeded", tt.name)
				continue
			}
			if got := db.IsDuplicate(tt.err); got != tt.dup {
				t.Errorf("%s: IsDuplicate(%v) = %v", tt.name, tt.err, got)
			}
			if got := db.IsForeignKey(tt.err); got != tt.fk {
				t.Errorf("%s: IsForeignKey(%v) = %v", tt.name, tt.err, got)
			}
			if got := db.IsRetryable(tt.err); got != tt.retryable {
				t.Errorf("%s: IsRetryable(%v) = %v", tt.name, tt.err, got)
			}
		}
	})
}

var errSentinel = errors.New("sentinel")

func TestInTx(t *testing.T) {
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		// Commit.
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if tx.Dialect() != d.Dialect() {
				t.Errorf("tx dialect %q", tx.Dialect())
			}
			if err := insertWidget(ctx, tx, "a", "a"); err != nil {
				return err
			}
			if n := countWidgets(t, tx); n != 1 {
				t.Errorf("tx sees %d widgets, want 1", n)
			}
			return insertWidget(ctx, tx, "b", "b")
		})
		if err != nil || countWidgets(t, d) != 2 {
			t.Fatalf("commit: %v, %d widgets", err, countWidgets(t, d))
		}

		// Rollback on error, returned unchanged, fn run once.
		calls := 0
		err = d.InTx(ctx, func(tx *db.Tx) error {
			calls++
			if err := insertWidget(ctx, tx, "c", "c"); err != nil {
				return err
			}
			return errSentinel
		})
		if err != errSentinel || calls != 1 || countWidgets(t, d) != 2 {
			t.Errorf("rollback: err %v, %d calls, %d widgets", err, calls, countWidgets(t, d))
		}

		// A database error that is no race is not retried either.
		calls = 0
		err = d.InTx(ctx, func(tx *db.Tx) error {
			calls++
			return insertWidget(ctx, tx, "a", "dup")
		})
		if !db.IsDuplicate(err) || calls != 1 {
			t.Errorf("duplicate: err %v, %d calls", err, calls)
		}

		// A panic rolls back and propagates.
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Errorf("recovered %v, want kaboom", r)
				}
			}()
			_ = d.InTx(ctx, func(tx *db.Tx) error {
				if err := insertWidget(ctx, tx, "p", "p"); err != nil {
					return err
				}
				panic("kaboom")
			})
		}()
		if n := countWidgets(t, d); n != 2 {
			t.Errorf("after panic: %d widgets, want 2", n)
		}

		// The database is still usable for writes after all that.
		if err := insertWidget(ctx, d, "z", "z"); err != nil {
			t.Errorf("write after transactions: %v", err)
		}

		// A cancelled context fails the transaction without running fn.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		if err := d.InTx(cancelled, func(*db.Tx) error { called = true; return nil }); err == nil || called {
			t.Errorf("cancelled context: err %v, fn called %v", err, called)
		}
	})
}

// raceLoss makes the server report a serialization failure or deadlock.
var raceLoss = map[db.Dialect]string{
	db.MySQL:    "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'deadlock for the test'",
	db.Postgres: "DO $$ BEGIN RAISE EXCEPTION 'serialization failure for the test' USING ERRCODE = '40001'; END $$",
}

func TestInTxRetriesLostRaces(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []db.Dialect{db.MySQL, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			d := migrated(t, dbtest.Open(t, dialect))
			calls := 0
			err := d.InTx(ctx, func(tx *db.Tx) error {
				calls++
				if err := insertWidget(ctx, tx, "w", "w"); err != nil {
					return err
				}
				if calls < 3 {
					_, err := tx.Exec(ctx, raceLoss[dialect])
					return fmt.Errorf("wrapped: %w", err)
				}
				return nil
			})
			if err != nil || calls != 3 || countWidgets(t, d) != 1 {
				t.Errorf("err %v after %d calls, %d widgets; want success after 3 calls and 1 widget", err, calls, countWidgets(t, d))
			}

			calls = 0
			err = d.InTx(ctx, func(tx *db.Tx) error {
				calls++
				_, err := tx.Exec(ctx, raceLoss[dialect])
				return err
			})
			if !db.IsRetryable(err) || calls != 5 {
				t.Errorf("always losing: err %v after %d calls, want a retryable error after 5", err, calls)
			}
		})
	}
}

func TestSQLiteBusyIsRetryable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		s, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first, second := open(), open()
	tx, err := first.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = second.Begin()
	if err == nil || !db.IsRetryable(err) || db.IsDuplicate(err) {
		t.Errorf("second writer: %v, want a retryable SQLITE_BUSY", err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	const writers, inserts = 8, 50
	ctx := context.Background()
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		migrated(t, d)
		var wg sync.WaitGroup
		errs := make(chan error, writers*inserts)
		for w := range writers {
			wg.Go(func() {
				for i := range inserts {
					id := fmt.Sprintf("w%d-%d", w, i)
					errs <- d.InTx(ctx, func(tx *db.Tx) error {
						if err := insertWidget(ctx, tx, id, id); err != nil {
							return err
						}
						_, err := tx.Exec(ctx, "UPDATE widgets SET enabled = ? WHERE id = ?", i%2 == 0, id)
						return err
					})
				}
			})
		}
		// Readers keep reading meanwhile.
		stop := make(chan struct{})
		var readers sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					var n int
					if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM widgets").Scan(&n); err != nil {
						errs <- fmt.Errorf("reader: %w", err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := countWidgets(t, d); n != writers*inserts {
			t.Errorf("%d widgets, want %d", n, writers*inserts)
		}
	})
}

func TestSQLiteReadersDoNotWaitForWriter(t *testing.T) {
	ctx := context.Background()
	d := migrated(t, dbtest.Open(t, db.SQLite))
	if err := insertWidget(ctx, d, "a", "a"); err != nil {
		t.Fatal(err)
	}
	err := d.InTx(ctx, func(tx *db.Tx) error {
		if err := insertWidget(ctx, tx, "b", "b"); err != nil {
			return err
		}
		readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var n int
		// Outside the transaction: sees the committed state, without blocking.
		if err := d.QueryRow(readCtx, "SELECT COUNT(*) FROM widgets").Scan(&n); err != nil || n != 1 {
			t.Errorf("reader during write: %d, %v; want 1", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writing while iterating rows works too.
	rows, err := d.Query(ctx, "SELECT id FROM widgets ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(ctx, "UPDATE widgets SET enabled = FALSE WHERE id = ?", id); err != nil {
			t.Errorf("update while reading: %v", err)
		}
	}
	rows.Close()
	// Statements that write but return rows go to the writer.
	var id string
	if err := d.QueryRow(ctx, "INSERT INTO widgets (id, name, created_at) VALUES (?, ?, 0) RETURNING id", "r", "r").Scan(&id); err != nil || id != "r" {
		t.Errorf("INSERT … RETURNING = %q, %v", id, err)
	}
}

func TestSQLiteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deep", "er", "gostack.db")
	d, err := db.Open(ctx, "sqlite:///"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	pragmas := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000"}
	for name, want := range pragmas {
		var got string
		if err := d.SQL().QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", name, got, err, want)
		}
	}
	if d.Dialect() != db.SQLite || d.String() != "sqlite:///"+path {
		t.Errorf("Dialect %q String %q", d.Dialect(), d.String())
	}
}

func TestSQLiteInMemory(t *testing.T) {
	ctx := context.Background()
	open := func() *db.DB {
		d, err := db.Open(ctx, "sqlite://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return migrated(t, d)
	}
	first, second := open(), open()
	if err := insertWidget(ctx, first, "a", "a"); err != nil {
		t.Fatal(err)
	}
	// Writer and readers share one database; other Opens do not.
	if n := countWidgets(t, first); n != 1 {
		t.Errorf("first sees %d widgets, want 1", n)
	}
	if n := countWidgets(t, second); n != 0 {
		t.Errorf("second sees %d widgets, want 0", n)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if n := countWidgets(t, first); n != 1 {
				t.Errorf("concurrent reader sees %d widgets", n)
			}
		})
	}
	wg.Wait()
}

func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tests := []struct {
		url  string
		want string
	}{
		{"oracle://u:hunter2@h/db", "unsupported scheme"},
		{"mysql+pymysql://root:hunter2@127.0.0.1:1/x?connect_timeout=2", "mysql+pymysql://root:***@127.0.0.1:1/x"},
		{"postgresql://postgres:hunter2@127.0.0.1:1/x?connect_timeout=2", "postgresql://postgres:***@127.0.0.1:1/x"},
		{"sqlite:////proc/no/such/dir/x.db", "sqlite:////proc/no/such/dir/x.db"},
	}
	for _, tt := range tests {
		d, err := db.Open(ctx, tt.url)
		if err == nil {
			d.Close()
			t.Errorf("Open(%q) succeeded", tt.url)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error %q, want it to contain %q and no password", tt.url, err, tt.want)
		}
	}
}
