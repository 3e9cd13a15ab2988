// Package migrations holds the network service's versioned database schema.
package migrations

import (
	"embed"

	"github.com/gostack/gostack/internal/platform/db"
)

//go:embed *.sql
var files embed.FS

// Set is the network schema, applied by `gostack db sync`.
var Set = db.Migrations{Service: "network", FS: files}
