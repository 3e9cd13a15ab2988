// Package dbtest gives tests fresh, empty databases on every dialect gostack
// supports, so each store is tested against SQLite, MariaDB/MySQL and
// PostgreSQL alike.
//
// SQLite databases live in t.TempDir(). MySQL and PostgreSQL databases are
// created, with a random name, on the servers named by $GOSTACK_TEST_MYSQL
// (default mysql+pymysql://root@127.0.0.1:3306/) and $GOSTACK_TEST_POSTGRES
// (default postgresql://postgres@127.0.0.1:5432/postgres), and dropped when
// the test ends. A server that cannot be reached fails the test, with the
// command that starts it; tests are never skipped.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

// Environment variables naming the test servers.
const (
	MySQLEnv    = "GOSTACK_TEST_MYSQL"
	PostgresEnv = "GOSTACK_TEST_POSTGRES"
)

// Default test servers: the local MariaDB and PostgreSQL.
const (
	DefaultMySQL    = "mysql+pymysql://root@127.0.0.1:3306/"
	DefaultPostgres = "postgresql://postgres@127.0.0.1:5432/postgres"
)

// dbPrefix starts the name of every database dbtest creates.
const dbPrefix = "gostack_t_"

// setupTimeout bounds creating or dropping one test database.
const setupTimeout = 30 * time.Second

// Dialects returns every supported dialect.
func Dialects() []db.Dialect {
	return []db.Dialect{db.SQLite, db.MySQL, db.Postgres}
}

// ForEach runs fn as a subtest named after each dialect, each with its own
// fresh database. The databases are independent, so fn may call
// t.Parallel; parallel subtests finish only after the calling test function
// has returned, so shared fixtures must be released with t.Cleanup, not
// defer.
func ForEach(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, Open(t, dialect))
		})
	}
}

// Open returns a fresh, empty database of dialect d, closed and removed
// when the test ends.
func Open(t testing.TB, d db.Dialect) *db.DB {
	t.Helper()
	return openURL(t, URL(t, d))
}

// URL creates a fresh, empty database of dialect d and returns its URL, for
// handing to another process such as a gostack server under test. The
// database is removed when the test ends; on PostgreSQL every connection to it
// must be closed by then (register the process's stop after calling URL).
func URL(t testing.TB, d db.Dialect) string {
	t.Helper()
	switch d {
	case db.SQLite:
		return "sqlite:///" + filepath.Join(t.TempDir(), "test.db")
	case db.MySQL, db.Postgres:
		return createOnServer(t, serverFor(d))
	default:
		t.Fatalf("dbtest: unknown dialect %q", d)
		return ""
	}
}

// openURL opens url and closes it at cleanup.
func openURL(t testing.TB, url string) *db.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return d
}

// server is a database server that test databases are created on.
type server struct {
	dialect db.Dialect
	name    string // for messages
	env     string
	def     string
	start   string // how to start it

	once  sync.Once
	admin *db.DB // connection used to create and drop databases
	err   error
}

// servers are the MySQL and PostgreSQL test servers, connected on first use.
var servers = map[db.Dialect]*server{
	db.MySQL: {
		dialect: db.MySQL, name: "MariaDB/MySQL", env: MySQLEnv, def: DefaultMySQL,
		start: "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
	},
	db.Postgres: {
		dialect: db.Postgres, name: "PostgreSQL", env: PostgresEnv, def: DefaultPostgres,
		start: "pg_ctlcluster --skip-systemctl-redirect 15 main start",
	},
}

// serverFor returns the test server of a server dialect.
func serverFor(d db.Dialect) *server { return servers[d] }

// url is the server's admin URL.
func (s *server) url() string {
	if v := os.Getenv(s.env); v != "" {
		return v
	}
	return s.def
}

// connect opens the admin connection once per process; it stays open for
// the life of the test binary.
func (s *server) connect() (*db.DB, error) {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		s.admin, s.err = db.Open(ctx, s.url())
	})
	return s.admin, s.err
}

// createOnServer creates a database on s, returns its URL, and drops it at cleanup.
func createOnServer(t testing.TB, s *server) string {
	t.Helper()
	admin, err := s.connect()
	if err != nil {
		t.Fatalf("dbtest: the %s test server is not available (%v).\n"+
			"Start it with:  %s\nor point $%s at another server (default %s).",
			s.name, err, s.start, s.env, db.RedactURL(s.def))
	}
	name := dbPrefix + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	create := "CREATE DATABASE " + name
	if s.dialect == db.MySQL {
		create += " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	}
	if _, err := admin.Exec(ctx, create); err != nil {
		t.Fatalf("dbtest: create %s test database: %v", s.name, err)
	}
	t.Cleanup(func() { s.drop(t, admin, name) })
	url, err := withDatabase(s.url(), name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return url
}

// drop removes a test database; cleanups run in reverse order, so the
// test's own connection is closed by then.
func (s *server) drop(t testing.TB, admin *db.DB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	stmt := "DROP DATABASE IF EXISTS " + name
	if s.dialect == db.Postgres {
		stmt += " WITH (FORCE)"
	}
	if _, err := admin.Exec(ctx, stmt); err != nil {
		t.Errorf("dbtest: drop %s test database %s: %v", s.name, name, err)
	}
}

// withDatabase returns the server URL pointing at database name instead.
func withDatabase(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		// err would repeat the URL, password included.
		return "", fmt.Errorf("bad test server URL %q", db.RedactURL(serverURL))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
