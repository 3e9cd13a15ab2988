package db

import (
	"database/sql"
	"testing"
	"time"
)

func TestMicros(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name string
		in   time.Time
		want any
	}{
		{"zero is NULL", time.Time{}, nil},
		{"epoch", time.Unix(0, 0), int64(0)},
		{"sub-microsecond truncated", time.Unix(1, 1999), int64(1_000_001)},
		{"zone ignored", time.Date(2024, 5, 1, 12, 0, 0, 0, berlin), time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMicro()},
		{"before epoch", time.Unix(-1, 0), int64(-1_000_000)},
	}
	for _, tt := range tests {
		if got := Micros(tt.in); got != tt.want {
			t.Errorf("%s: Micros(%v) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestFromMicros(t *testing.T) {
	if got := FromMicros(sql.NullInt64{}); !got.IsZero() {
		t.Errorf("FromMicros(NULL) = %v, want the zero time", got)
	}
	now := time.Now()
	got := FromMicros(sql.NullInt64{Int64: Micros(now).(int64), Valid: true})
	if want := now.Truncate(time.Microsecond).UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("round trip of %v = %v (%v), want %v in UTC", now, got, got.Location(), want)
	}
}
