package placement

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

// provider is a resource provider as stored.
type provider struct {
	UUID, Name           string
	Generation           int64
	ParentUUID, RootUUID string // ParentUUID is "" for a root
	CreatedAt, UpdatedAt time.Time
}

// providerCols are the columns scanProvider reads, in order.
const providerCols = "uuid, name, generation, parent_uuid, root_uuid, created_at, updated_at"

func scanProvider(r db.Scanner) (provider, error) {
	var p provider
	var parent sql.NullString
	var created, updated sql.NullInt64
	err := r.Scan(&p.UUID, &p.Name, &p.Generation, &parent, &p.RootUUID, &created, &updated)
	p.ParentUUID = parent.String
	p.CreatedAt, p.UpdatedAt = db.FromMicros(created), db.FromMicros(updated)
	return p, err
}

// providerNotFound is Placement's 404 for an unknown provider.
func providerNotFound(uuid string) *apiError {
	return newError(404, codeProviderNotFound, "No resource provider with uuid %s found", uuid)
}

// getProvider loads one provider, or gives a 404.
func getProvider(ctx context.Context, q db.Querier, uuid string) (provider, error) {
	p, err := scanProvider(q.QueryRow(ctx, "SELECT "+providerCols+" FROM placement_provider WHERE uuid = ?", uuid))
	if errors.Is(err, sql.ErrNoRows) {
		return p, providerNotFound(uuid)
	}
	return p, err
}

// bumpProvider increments a provider's generation, which also locks its row until the
// transaction ends: every writer of a provider's inventory, traits, aggregates or allocations
// goes through here, so they serialize per provider. With want >= 0 the generation must be
// want, else the 409 concurrent_update. It returns the new generation.
func bumpProvider(ctx context.Context, tx *db.Tx, uuid string, want int64, now time.Time) (int64, error) {
	query := "UPDATE placement_provider SET generation = generation + 1, updated_at = ? WHERE uuid = ?"
	args := []any{db.Micros(now), uuid}
	if want >= 0 {
		query += " AND generation = ?"
		args = append(args, want)
	}
	res, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n == 0 {
		if _, err := getProvider(ctx, tx, uuid); err != nil {
			return 0, err
		}
		return 0, staleProvider(uuid)
	}
	var gen int64
	err = tx.QueryRow(ctx, "SELECT generation FROM placement_provider WHERE uuid = ?", uuid).Scan(&gen)
	return gen, err
}

// inventory is one resource class's inventory on a provider.
type inventory struct {
	Total, Reserved, MinUnit, MaxUnit, StepSize int64
	Ratio                                       float64
}

// capacity is what may be allocated in all: (total - reserved) * allocation_ratio, truncated
// (and bounded, for the huge ratios Placement accepts).
func (i inventory) capacity() int64 {
	c := float64(i.Total-i.Reserved) * i.Ratio
	if c >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(c)
}

// fits reports whether amount more can be allocated over used.
func (i inventory) fits(used, amount int64) bool {
	return float64(used+amount) <= float64(i.Total-i.Reserved)*i.Ratio
}

// unitOK reports whether one allocation of amount respects min_unit, max_unit and step_size.
func (i inventory) unitOK(amount int64) bool {
	return amount >= i.MinUnit && amount <= i.MaxUnit && i.StepSize > 0 && amount%i.StepSize == 0
}

// loadInventories returns a provider's inventories by resource class.
func loadInventories(ctx context.Context, q db.Querier, uuid string) (map[string]inventory, error) {
	out := map[string]inventory{}
	err := db.EachRow(ctx, q, `SELECT resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio
		FROM placement_inventory WHERE provider_uuid = ?`, []any{uuid}, func(r db.Scanner) error {
		var rc string
		var inv inventory
		if err := r.Scan(&rc, &inv.Total, &inv.Reserved, &inv.MinUnit, &inv.MaxUnit, &inv.StepSize, &inv.Ratio); err != nil {
			return err
		}
		out[rc] = inv
		return nil
	})
	return out, err
}

// loadUsages returns what is allocated of each resource class on a provider.
func loadUsages(ctx context.Context, q db.Querier, uuid string) (map[string]int64, error) {
	out := map[string]int64{}
	err := db.EachRow(ctx, q, `SELECT resource_class, SUM(used) FROM placement_allocation
		WHERE provider_uuid = ? GROUP BY resource_class`, []any{uuid}, func(r db.Scanner) error {
		var rc string
		var used int64
		if err := r.Scan(&rc, &used); err != nil {
			return err
		}
		out[rc] = used
		return nil
	})
	return out, err
}

// unknownNames returns those of names that are neither standard nor stored in table.
func unknownNames(ctx context.Context, q db.Querier, table string, names []string, standard func(string) bool) ([]string, error) {
	var custom []string
	for _, n := range names {
		if !standard(n) {
			custom = append(custom, n)
		}
	}
	if len(custom) == 0 {
		return nil, nil
	}
	found, err := db.QueryStrings(ctx, q, "SELECT name FROM "+table+" WHERE name IN ("+placeholders(len(custom))+")", anys(custom)...)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range custom {
		if !slices.Contains(found, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// unknownClasses returns the names that are not resource classes.
func unknownClasses(ctx context.Context, q db.Querier, names []string) ([]string, error) {
	return unknownNames(ctx, q, "placement_resource_class", names, isStandardClass)
}

// unknownTraits returns the names that are not traits.
func unknownTraits(ctx context.Context, q db.Querier, names []string) ([]string, error) {
	return unknownNames(ctx, q, "placement_trait", names, isStandardTrait)
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// bumpTopology records, in the writing transaction, that providers, trees, inventories,
// traits or aggregates changed, so that every placement process drops its cached topology.
// Writers call it last, to hold the row's lock as briefly as possible.
func bumpTopology(ctx context.Context, tx *db.Tx) error {
	_, err := tx.Exec(ctx, "UPDATE placement_topology SET version = version + 1 WHERE id = 1")
	return err
}
