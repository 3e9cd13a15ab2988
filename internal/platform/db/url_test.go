package db

import (
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		dialect Dialect
		driver  string
		dsn     []string // substrings the DSN must contain
		path    string   // SQLite file
	}{
		{"sqlite:////var/lib/gostack/keystone.db", SQLite, "sqlite",
			[]string{"file:/var/lib/gostack/keystone.db?", "_journal_mode=WAL", "_txlock=immediate", "_busy_timeout=5000", "_foreign_keys=1"},
			"/var/lib/gostack/keystone.db"},
		{"sqlite:///relative/nova.db", SQLite, "sqlite", []string{"file:relative/nova.db?"}, "relative/nova.db"},
		{"sqlite:////tmp/odd?name#.db", "", "", nil, ""}, // parameters are refused, see TestParseURLErrors
		{"sqlite://", SQLite, "sqlite", []string{"file:/gostack-memory-", "vfs=memdb", "_txlock=immediate"}, ""},
		{"sqlite:///:memory:", SQLite, "sqlite", []string{"vfs=memdb"}, ""},
		{"sqlite+pysqlite:////x/y.db", SQLite, "sqlite", []string{"file:/x/y.db?"}, "/x/y.db"},
		{"mysql+pymysql://keystone:s3cret@controller/keystone", MySQL, "mysql",
			[]string{"keystone:s3cret@tcp(controller:3306)/keystone", "charset=utf8mb4", "collation=utf8mb4_bin", "sql_mode=%27TRADITIONAL%2CANSI_QUOTES%27"}, ""},
		{"mysql+pymysql://nova:pw@10.0.0.11:3307/nova?charset=utf8", MySQL, "mysql", []string{"nova:pw@tcp(10.0.0.11:3307)/nova"}, ""},
		{"mysql://root@127.0.0.1:3306/", MySQL, "mysql", []string{"root@tcp(127.0.0.1:3306)/"}, ""},
		{"mysql+mysqldb://u:p@/db?unix_socket=/run/mysqld/mysqld.sock", MySQL, "mysql", []string{"u:p@unix(/run/mysqld/mysqld.sock)/db"}, ""},
		{"mysql+pymysql://u:p%40ss@[::1]/db?connect_timeout=3&plugin=dbcounter", MySQL, "mysql", []string{"u:p@ss@tcp([::1]:3306)/db", "timeout=3s"}, ""},
		{"postgresql://keystone:s3cret@controller/keystone", Postgres, "pgx",
			[]string{"postgres://keystone:s3cret@controller/keystone?", "connect_timeout=10"}, ""},
		{"postgresql+psycopg2://u:p@db.example:5433/nova?sslmode=disable", Postgres, "pgx",
			[]string{"postgres://u:p@db.example:5433/nova?", "sslmode=disable"}, ""},
		{"postgres://postgres@127.0.0.1:5432/postgres?connect_timeout=2", Postgres, "pgx", []string{"connect_timeout=2"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg, err := parseURL(tt.url)
			if tt.dialect == "" {
				if err == nil {
					t.Fatalf("parseURL(%q) succeeded, want an error", tt.url)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			if cfg.dialect != tt.dialect || cfg.driver != tt.driver || cfg.path != tt.path {
				t.Errorf("got dialect %q driver %q path %q, want %q %q %q", cfg.dialect, cfg.driver, cfg.path, tt.dialect, tt.driver, tt.path)
			}
			for _, want := range tt.dsn {
				if !strings.Contains(cfg.dsn, want) {
					t.Errorf("dsn %q lacks %q", cfg.dsn, want)
				}
			}
			d, drv, dsn, err := ParseURL(tt.url)
			if err != nil || d != tt.dialect || drv != tt.driver || dsn == "" {
				t.Errorf("ParseURL(%q) = %q, %q, %q, %v", tt.url, d, drv, dsn, err)
			}
		})
	}
}

func TestParseURLSQLiteReader(t *testing.T) {
	cfg, err := parseURL("sqlite:////data/x.db")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.readDSN, "_query_only=1") || strings.Contains(cfg.readDSN, "_txlock") {
		t.Errorf("reader DSN %q should be query-only without a txlock", cfg.readDSN)
	}
	mem1, _ := parseURL("sqlite://")
	mem2, _ := parseURL("sqlite://")
	if mem1.dsn == mem2.dsn {
		t.Errorf("two in-memory URLs share DSN %q", mem1.dsn)
	}
	name := func(dsn string) string { return dsn[:strings.Index(dsn, "?")] }
	if name(mem1.dsn) != name(mem1.readDSN) {
		t.Errorf("writer %q and reader %q open different in-memory databases", mem1.dsn, mem1.readDSN)
	}
}

func TestParseURLMySQLConfig(t *testing.T) {
	_, _, dsn, err := ParseURL("mysql+pymysql://u:p@h/d?charset=utf8mb4")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("driver rejects DSN %q: %v", dsn, err)
	}
	if cfg.ParseTime || cfg.Params["sql_mode"] != "'TRADITIONAL,ANSI_QUOTES'" || cfg.Collation != "utf8mb4_bin" {
		t.Errorf("config = parseTime %v, sql_mode %q, collation %q", cfg.ParseTime, cfg.Params["sql_mode"], cfg.Collation)
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		url  string
		want string // substring of the error
	}{
		{"", "not a connection URL"},
		{"/var/lib/x.db", "not a connection URL"},
		{"oracle://scott:tiger@db/orcl", `unsupported scheme "oracle"`},
		{"mongodb://u:hunter2@h/db", "unsupported scheme"},
		{"mysql+py-mysql://u:p@h/db", "bad driver"},
		{"sqlite://host/x.db", "no host"},
		{"sqlite:////tmp/x.db?timeout=20", "no parameters"},
		{"sqlite:////tmp/dir/", "directory"},
		{"mysql+pymysql://u:hunter2@h/db?charset=latin1", "charset"},
		{"mysql+pymysql://u:hunter2@h/db?ssl_ca=/x", `parameter "ssl_ca"`},
		{"mysql+pymysql://u:hunter2@h/db?connect_timeout=soon", "connect_timeout"},
		{"mysql+pymysql://u:hunter2@h:port/db", "cannot parse"},
		{"mysql+pymysql://u:hunter2@h/a/b", "slash"},
		{"postgresql://u:hunter2@h/a/b", "slash"},
		{"postgresql://u:hunter2@h:99999x/db", "cannot parse"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, _, _, err := ParseURL(tt.url)
			if err == nil {
				t.Fatalf("ParseURL(%q) succeeded", tt.url)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q lacks %q", msg, tt.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error %q reveals the password", msg)
			}
			if tt.url != "" && !strings.Contains(msg, RedactURL(tt.url)) {
				t.Errorf("error %q does not name the URL", msg)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mysql+pymysql://keystone:s3cret@controller/keystone", "mysql+pymysql://keystone:***@controller/keystone"},
		{"postgresql://u:p@ss:w/rd@h:5432/db?sslmode=require", "postgresql://u:***@h:5432/db?sslmode=require"},
		{"postgresql://u@h/db?password=s3cret&sslmode=disable", "postgresql://u@h/db?password=***&sslmode=disable"},
		{"mysql://root@127.0.0.1:3306/", "mysql://root@127.0.0.1:3306/"},
		{"mysql://u:@h/db", "mysql://u:***@h/db"},
		{"sqlite:////var/lib/x.db", "sqlite:////var/lib/x.db"},
		{"sqlite://", "sqlite://"},
		{"not a url", "not a url"},
		{"mysql://u:p@h:port/db", "mysql://u:***@h:port/db"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
