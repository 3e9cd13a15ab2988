package db

import (
	"database/sql"
	"time"
)

// Micros converts t to the stored form of a time: BIGINT microseconds since
// the epoch. The zero time becomes nil, which is stored as NULL.
func Micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// FromMicros converts a stored time back to a UTC time.Time; NULL becomes
// the zero time.
func FromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}
