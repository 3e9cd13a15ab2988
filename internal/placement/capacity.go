package placement

import (
	"context"

	"github.com/gostack/gostack/internal/platform/db"
)

// capacitySnapshot is the inventory and usage of some resource classes on every provider,
// read in two queries: what resource filters and allocation candidates compute against.
type capacitySnapshot struct {
	inv  map[string]map[string]inventory // provider → class → inventory
	used map[string]map[string]int64     // provider → class → allocated
}

// loadCapacity reads the inventories and usages of classes (all classes when nil) on every
// provider.
func loadCapacity(ctx context.Context, q db.Querier, classes []string) (*capacitySnapshot, error) {
	c := &capacitySnapshot{inv: map[string]map[string]inventory{}, used: map[string]map[string]int64{}}
	if classes != nil && len(classes) == 0 {
		return c, nil
	}
	where := ""
	if classes != nil {
		where = " WHERE resource_class IN (" + placeholders(len(classes)) + ")"
	}
	err := db.EachRow(ctx, q, `SELECT provider_uuid, resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio
		FROM placement_inventory`+where, anys(classes), func(r db.Scanner) error {
		var p, rc string
		var i inventory
		if err := r.Scan(&p, &rc, &i.Total, &i.Reserved, &i.MinUnit, &i.MaxUnit, &i.StepSize, &i.Ratio); err != nil {
			return err
		}
		if c.inv[p] == nil {
			c.inv[p] = map[string]inventory{}
		}
		c.inv[p][rc] = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = db.EachRow(ctx, q, `SELECT provider_uuid, resource_class, SUM(used) FROM placement_allocation`+where+`
		GROUP BY provider_uuid, resource_class`, anys(classes), func(r db.Scanner) error {
		var p, rc string
		var n int64
		if err := r.Scan(&p, &rc, &n); err != nil {
			return err
		}
		if c.used[p] == nil {
			c.used[p] = map[string]int64{}
		}
		c.used[p][rc] = n
		return nil
	})
	return c, err
}

// canAllocate reports whether one allocation of amount of rc fits on provider p.
func (c *capacitySnapshot) canAllocate(p, rc string, amount int64) bool {
	i, ok := c.inv[p][rc]
	return ok && i.unitOK(amount) && i.fits(c.used[p][rc], amount)
}
