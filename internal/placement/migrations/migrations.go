// Package migrations holds the placement service's versioned database schema.
package migrations

import (
	"embed"

	"github.com/gostack/gostack/internal/platform/db"
)

//go:embed *.sql
var files embed.FS

// Set is the placement schema, applied by `gostack db sync`.
var Set = db.Migrations{Service: "placement", FS: files}
