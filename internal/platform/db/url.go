package db

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// urlConfig is a parsed connection URL.
type urlConfig struct {
	dialect Dialect
	driver  string // database/sql driver name
	dsn     string // driver DSN; on SQLite the writer's
	readDSN string // SQLite only: DSN of the read-only pool
	path    string // SQLite only: database file; "" when in memory
}

// sqliteParams are the DSN parameters of every SQLite connection; the
// writer adds WAL and immediate transactions, readers are query-only.
const (
	sqliteParams       = "_busy_timeout=5000&_foreign_keys=1&_pragma=mmap_size(268435456)"
	sqliteWriterParams = sqliteParams + "&_txlock=immediate"
	sqliteReaderParams = sqliteParams + "&_query_only=1"
)

// defaultConnectTimeout bounds how long Open waits for a database server.
const defaultConnectTimeout = 10 * time.Second

// schemeDriver matches the SQLAlchemy "+driver" suffix of a scheme.
var schemeDriver = regexp.MustCompile(`^[a-z0-9_]+$`)

// ParseURL turns a SQLAlchemy-style connection URL, as written in the
// [database] connection option of keystone.conf or nova.conf, into the
// dialect, the database/sql driver name and its DSN:
//
//	sqlite:////abs/path/file.db   sqlite:///relative/path.db   sqlite://  (in memory)
//	mysql+pymysql://user:pass@host[:port]/dbname[?charset=utf8][&unix_socket=/path]
//	postgresql://user:pass@host[:port]/dbname   (also postgresql+psycopg2://, postgres://)
//
// Each in-memory SQLite URL gets a fresh database name, so two Opens of
// "sqlite://" are two separate databases. Errors name the URL with its
// password redacted.
func ParseURL(rawURL string) (dialect Dialect, driver, dsn string, err error) {
	cfg, err := parseURL(rawURL)
	if err != nil {
		return "", "", "", err
	}
	return cfg.dialect, cfg.driver, cfg.dsn, nil
}

// parseURL is ParseURL with the details Open needs.
func parseURL(raw string) (urlConfig, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return urlConfig{}, urlError(raw, "not a connection URL (want e.g. sqlite:////var/lib/gostack/gostack.db)")
	}
	base, driver, hasDriver := strings.Cut(strings.ToLower(scheme), "+")
	if hasDriver && !schemeDriver.MatchString(driver) {
		return urlConfig{}, urlError(raw, fmt.Sprintf("bad driver %q in scheme", driver))
	}
	var (
		cfg urlConfig
		err error
	)
	switch base {
	case "sqlite":
		cfg, err = parseSQLite(rest)
	case "mysql", "mariadb":
		cfg, err = parseMySQL(raw)
	case "postgresql", "postgres":
		cfg, err = parsePostgres(raw)
	default:
		return urlConfig{}, urlError(raw, fmt.Sprintf("unsupported scheme %q (want sqlite, mysql+pymysql or postgresql)", scheme))
	}
	if err != nil {
		return urlConfig{}, urlError(raw, err.Error())
	}
	return cfg, nil
}

// urlError reports a bad connection URL without revealing its password.
func urlError(raw, why string) error {
	return fmt.Errorf("db: bad database connection URL %q: %s", RedactURL(raw), why)
}

// parseSQLite handles what follows "sqlite://".
func parseSQLite(rest string) (urlConfig, error) {
	if strings.ContainsAny(rest, "?#") {
		return urlConfig{}, errors.New("sqlite URLs take no parameters")
	}
	cfg := urlConfig{dialect: SQLite, driver: "sqlite"}
	if rest != "" && rest[0] != '/' {
		return urlConfig{}, errors.New("sqlite URLs have no host: use sqlite:////absolute/path.db or sqlite:///relative/path.db")
	}
	path := strings.TrimPrefix(rest, "/")
	if path == "" || path == ":memory:" {
		name := "file:/gostack-memory-" + randomHex(8) + "?vfs=memdb&"
		cfg.dsn = name + sqliteWriterParams
		cfg.readDSN = name + sqliteReaderParams
		return cfg, nil
	}
	if strings.HasSuffix(path, "/") {
		return urlConfig{}, fmt.Errorf("sqlite path %q is a directory, not a database file", path)
	}
	name := "file:" + sqlitePathEscaper.Replace(path) + "?"
	cfg.path = path
	cfg.dsn = name + sqliteWriterParams + "&_journal_mode=WAL"
	cfg.readDSN = name + sqliteReaderParams
	return cfg, nil
}

// sqlitePathEscaper escapes the characters that end a path in an SQLite URI.
var sqlitePathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// parseMySQL builds a go-sql-driver/mysql DSN: utf8mb4 with binary
// collation, strict ANSI-quoting sql_mode, no time parsing.
func parseMySQL(raw string) (urlConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return urlConfig{}, fmt.Errorf("cannot parse: %s", redactedParseError(err))
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(cfg.DBName, "/") {
		return urlConfig{}, fmt.Errorf("database name %q contains a slash", cfg.DBName)
	}
	cfg.Net, cfg.Addr = "tcp", hostPort(u, "localhost", "3306")
	cfg.Timeout = defaultConnectTimeout
	cfg.ParseTime = false
	// RowsAffected counts matched rows, as on SQLite and PostgreSQL, not only changed ones.
	cfg.ClientFoundRows = true
	cfg.Params = map[string]string{"sql_mode": "'TRADITIONAL,ANSI_QUOTES'"}
	if err := cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_bin")); err != nil {
		return urlConfig{}, err
	}
	for key, values := range u.Query() {
		if err := applyMySQLParam(cfg, key, values[len(values)-1]); err != nil {
			return urlConfig{}, err
		}
	}
	return urlConfig{dialect: MySQL, driver: "mysql", dsn: cfg.FormatDSN()}, nil
}

// applyMySQLParam applies one query parameter of a MySQL URL.
func applyMySQLParam(cfg *mysql.Config, key, value string) error {
	switch key {
	case "charset":
		if v := strings.ToLower(value); v != "utf8" && v != "utf8mb4" {
			return fmt.Errorf("charset %q is not supported: gostack always uses utf8mb4", value)
		}
	case "unix_socket":
		cfg.Net, cfg.Addr = "unix", value
	case "plugin":
		// SQLAlchemy engine plugins (e.g. devstack's dbcounter) do not apply.
	case "connect_timeout", "read_timeout", "write_timeout":
		secs, err := strconv.Atoi(value)
		if err != nil || secs < 0 {
			return fmt.Errorf("%s=%q is not a number of seconds", key, value)
		}
		d := time.Duration(secs) * time.Second
		switch key {
		case "connect_timeout":
			cfg.Timeout = d
		case "read_timeout":
			cfg.ReadTimeout = d
		default:
			cfg.WriteTimeout = d
		}
	default:
		return fmt.Errorf("parameter %q is not supported (known: charset, unix_socket, connect_timeout, read_timeout, write_timeout)", key)
	}
	return nil
}

// parsePostgres builds a pgx URL DSN; query parameters (sslmode,
// connect_timeout, host=/socket/dir …) pass through to pgx.
func parsePostgres(raw string) (urlConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return urlConfig{}, fmt.Errorf("cannot parse: %s", redactedParseError(err))
	}
	if strings.Contains(strings.TrimPrefix(u.Path, "/"), "/") {
		return urlConfig{}, fmt.Errorf("database name %q contains a slash", strings.TrimPrefix(u.Path, "/"))
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", strconv.Itoa(int(defaultConnectTimeout/time.Second)))
	}
	dsn := url.URL{Scheme: "postgres", User: u.User, Host: u.Host, Path: u.Path, RawQuery: q.Encode()}
	return urlConfig{dialect: Postgres, driver: "pgx", dsn: dsn.String()}, nil
}

// hostPort returns the URL's host:port with defaults filled in.
func hostPort(u *url.URL, defHost, defPort string) string {
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = defHost
	}
	if port == "" {
		port = defPort
	}
	return net.JoinHostPort(host, port)
}

// redactedParseError describes a url.Parse failure without echoing the URL,
// which may hold a password.
func redactedParseError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "malformed URL"
}

// RedactURL returns rawURL with the password of its user information and any
// "password" query parameter replaced by ***. It works on malformed URLs too.
func RedactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return rawURL
	}
	query := ""
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest, query = rest[:i], rest[i:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + ":***" + rest[at:]
		}
	}
	return scheme + "://" + rest + queryPassword.ReplaceAllString(query, "${1}***")
}

// queryPassword matches the value of a password query parameter.
var queryPassword = regexp.MustCompile(`([?&]password=)[^&#]*`)
