package db

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MySQL/MariaDB server error numbers.
const (
	mysqlDupKey           = 1022 // ER_DUP_KEY
	mysqlDupEntry         = 1062 // ER_DUP_ENTRY
	mysqlDupEntryWithName = 1586 // ER_DUP_ENTRY_WITH_KEY_NAME
	mysqlNoReferencedRow  = 1216 // ER_NO_REFERENCED_ROW
	mysqlRowIsReferenced  = 1217 // ER_ROW_IS_REFERENCED
	mysqlRowIsReferenced2 = 1451 // ER_ROW_IS_REFERENCED_2
	mysqlNoReferencedRow2 = 1452 // ER_NO_REFERENCED_ROW_2
	mysqlDeadlock         = 1213 // ER_LOCK_DEADLOCK (also Galera certification failures)
)

// PostgreSQL SQLSTATE codes.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// IsDuplicate reports whether err (or an error it wraps) is a unique or
// primary key violation on any of the supported engines.
//
// On PostgreSQL the failed statement aborts its transaction: to insert
// "unless it exists" inside a transaction, check first or use a portable
// upsert rather than recovering from the error.
func IsDuplicate(err error) bool {
	if code, ok := sqliteCode(err); ok {
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
			code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY ||
			code == sqlite3.SQLITE_CONSTRAINT_ROWID
	}
	if n, ok := mysqlNumber(err); ok {
		return n == mysqlDupEntry || n == mysqlDupEntryWithName || n == mysqlDupKey
	}
	return pgCode(err) == pgUniqueViolation
}

// IsForeignKey reports whether err (or an error it wraps) is a foreign key
// violation: a row referring to a missing parent, or a parent deleted while
// still referred to.
func IsForeignKey(err error) bool {
	if code, ok := sqliteCode(err); ok {
		return code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	if n, ok := mysqlNumber(err); ok {
		return n == mysqlRowIsReferenced2 || n == mysqlNoReferencedRow2 ||
			n == mysqlRowIsReferenced || n == mysqlNoReferencedRow
	}
	return pgCode(err) == pgForeignKeyViolation
}

// IsRetryable reports whether err (or an error it wraps) means the
// transaction lost a race and running it again may succeed: a serialization
// failure or deadlock (PostgreSQL, MySQL) or a busy/locked database (SQLite).
func IsRetryable(err error) bool {
	if code, ok := sqliteCode(err); ok {
		primary := code & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	}
	if n, ok := mysqlNumber(err); ok {
		return n == mysqlDeadlock
	}
	code := pgCode(err)
	return code == pgSerializationFailure || code == pgDeadlockDetected
}

// sqliteCode returns the extended result code of an SQLite error.
func sqliteCode(err error) (int, bool) {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// mysqlNumber returns the server error number of a MySQL error.
func mysqlNumber(err error) (uint16, bool) {
	var e *mysql.MySQLError
	if errors.As(err, &e) {
		return e.Number, true
	}
	return 0, false
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
