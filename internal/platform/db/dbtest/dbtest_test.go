package dbtest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gostack/gostack/internal/platform/db"
)

func TestDialects(t *testing.T) {
	got := fmt.Sprint(Dialects())
	if got != "[sqlite mysql postgres]" {
		t.Errorf("Dialects() = %s", got)
	}
}

// tableCount counts the tables of the database d is connected to.
func tableCount(t *testing.T, d *db.DB) int {
	t.Helper()
	q := map[db.Dialect]string{
		db.SQLite:   "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
		db.MySQL:    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
		db.Postgres: "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
	}[d.Dialect()]
	var n int
	if err := d.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// databaseName is the name of the database d is connected to.
func databaseName(t *testing.T, d *db.DB) string {
	t.Helper()
	q := "SELECT DATABASE()"
	if d.Dialect() == db.Postgres {
		q = "SELECT current_database()"
	}
	var name string
	if err := d.QueryRow(context.Background(), q).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestForEachGivesFreshDatabasesThatAreDropped(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[db.Dialect]string{}
	// Parallel subtests finish after ForEach returns: check at cleanup.
	t.Cleanup(func() {
		if len(seen) != 2 {
			t.Fatalf("ran on %v, want mysql and postgres", seen)
		}
		for dialect, name := range seen {
			admin, err := servers[dialect].connect()
			if err != nil {
				t.Fatal(err)
			}
			q := "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?"
			if dialect == db.Postgres {
				q = "SELECT COUNT(*) FROM pg_database WHERE datname = ?"
			}
			var n int
			if err := admin.QueryRow(ctx, q, name).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s database %s still exists after the test (%d, %v)", dialect, name, n, err)
			}
		}
	})
	ForEach(t, func(t *testing.T, d *db.DB) {
		t.Parallel()
		if n := tableCount(t, d); n != 0 {
			t.Errorf("fresh database has %d tables", n)
		}
		if _, err := d.Exec(ctx, "CREATE TABLE marker (id INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if d.Dialect() != db.SQLite {
			name := databaseName(t, d)
			if !strings.HasPrefix(name, dbPrefix) {
				t.Errorf("database %q lacks prefix %q", name, dbPrefix)
			}
			mu.Lock()
			seen[d.Dialect()] = name
			mu.Unlock()
		}
	})
}

func TestOpenTwiceGivesSeparateDatabases(t *testing.T) {
	for _, dialect := range Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			a, b := Open(t, dialect), Open(t, dialect)
			if _, err := a.Exec(context.Background(), "CREATE TABLE only_in_a (id INTEGER)"); err != nil {
				t.Fatal(err)
			}
			if n := tableCount(t, b); n != 0 {
				t.Errorf("second database sees %d tables", n)
			}
		})
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and stops
// the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUnreachableServerFailsWithHowToStartIt(t *testing.T) {
	tests := []struct {
		name   string
		server *server
		want   []string
	}{
		{"mysql", &server{
			dialect: db.MySQL, name: "MariaDB/MySQL", env: "GOSTACK_TEST_UNSET_MYSQL",
			def:   "mysql+pymysql://root:hunter2@127.0.0.1:1/?connect_timeout=2",
			start: servers[db.MySQL].start,
		}, []string{"MariaDB/MySQL test server is not available", "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd", "$GOSTACK_TEST_UNSET_MYSQL"}},
		{"postgres", &server{
			dialect: db.Postgres, name: "PostgreSQL", env: "GOSTACK_TEST_UNSET_POSTGRES",
			def:   "postgresql://postgres:hunter2@127.0.0.1:1/postgres?connect_timeout=2",
			start: servers[db.Postgres].start,
		}, []string{"PostgreSQL test server is not available", "pg_ctlcluster --skip-systemctl-redirect 15 main start"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fatalRecorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				createOnServer(rec, tt.server)
				t.Error("createOnServer returned")
			}()
			<-done
			for _, want := range tt.want {
				if !strings.Contains(rec.msg, want) {
					t.Errorf("message %q lacks %q", rec.msg, want)
				}
			}
			if strings.Contains(rec.msg, "hunter2") {
				t.Errorf("message %q reveals the password", rec.msg)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{DefaultMySQL, "mysql+pymysql://root@127.0.0.1:3306/gostack_t_x"},
		{DefaultPostgres, "postgresql://postgres@127.0.0.1:5432/gostack_t_x"},
		{"postgresql://u:p@h/db?sslmode=disable", "postgresql://u:p@h/gostack_t_x?sslmode=disable"},
	}
	for _, tt := range tests {
		if got, err := withDatabase(tt.in, "gostack_t_x"); err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := withDatabase("mysql://u:hunter2@h:port/", "x"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: %v", err)
	}
}
