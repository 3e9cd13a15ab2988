package placement

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/gostack/gostack/internal/platform/db"
)

// consumerWrite is what one consumer's allocations are to become.
type consumerWrite struct {
	Consumer                        string
	ProjectID, UserID, ConsumerType string
	CheckGeneration                 bool                        // 1.28+: Generation must match (nil: no consumer yet)
	Generation                      *int64                      // the consumer generation the caller last saw
	Allocs                          map[string]map[string]int64 // provider → class → amount
}

// consumer is a consumer as stored.
type consumer struct {
	UUID, ProjectID, UserID, ConsumerType string
	Generation                            int64
}

// lockedRead is the suffix that makes a read inside a writing transaction a locking read:
// on MySQL, REPEATABLE READ fixes a transaction's snapshot at its first plain read, which must
// wait until every provider the transaction writes to is locked. PostgreSQL reads committed
// rows per statement and SQLite has one writer, so they need nothing.
func lockedRead(q db.Querier) string {
	if q.Dialect() == db.MySQL {
		return " LOCK IN SHARE MODE"
	}
	return ""
}

// getConsumer loads a consumer; ok is false when there is none.
func getConsumer(ctx context.Context, q db.Querier, id string) (c consumer, ok bool, err error) {
	err = q.QueryRow(ctx, "SELECT uuid, project_id, user_id, consumer_type, generation FROM placement_consumer WHERE uuid = ?", id).
		Scan(&c.UUID, &c.ProjectID, &c.UserID, &c.ConsumerType, &c.Generation)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	return c, err == nil, err
}

// consumerConflict is the 409 for a consumer generation that is not the current one.
func consumerConflict(id string, want *int64, got *int64) *apiError {
	show := func(g *int64) string {
		if g == nil {
			return "None"
		}
		return errf("%d", *g)
	}
	return conflict(codeConcurrentUpdate, "consumer generation conflict - expected %s but got %s for consumer %s; fetch its allocations again and retry.",
		show(want), show(got), id)
}

// lockConsumer takes the consumer's row lock, by creating it or bumping its generation, checks
// the caller's generation when asked to, and records project, user and type. It reports
// whether the consumer is new. A consumer expected to be new is inserted straight away: on
// MySQL an UPDATE that finds no row would take a gap lock, and two such transactions
// inserting into the same gap deadlock.
func lockConsumer(ctx context.Context, tx *db.Tx, w consumerWrite, now time.Time) (bool, error) {
	if w.CheckGeneration && w.Generation == nil {
		err := insertConsumer(ctx, tx, w, now)
		if db.IsDuplicate(err) {
			return false, consumerConflict(w.Consumer, nil, nil)
		}
		return true, err
	}
	query := "UPDATE placement_consumer SET generation = generation + 1, project_id = ?, user_id = ?, consumer_type = ?, updated_at = ? WHERE uuid = ?"
	args := []any{w.ProjectID, w.UserID, w.ConsumerType, db.Micros(now), w.Consumer}
	if w.CheckGeneration {
		query += " AND generation = ?"
		args = append(args, *w.Generation)
	}
	res, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return false, err
	}
	if w.CheckGeneration {
		c, ok, err := getConsumer(ctx, tx, w.Consumer)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, consumerConflict(w.Consumer, w.Generation, nil)
		}
		return false, consumerConflict(w.Consumer, w.Generation, &c.Generation)
	}
	err = insertConsumer(ctx, tx, w, now)
	if db.IsDuplicate(err) {
		return false, conflict(codeConcurrentUpdate, "consumer %s was created by another request at the same time; fetch its allocations and retry.", w.Consumer)
	}
	return true, err
}

// insertConsumer stores a new consumer at generation 1.
func insertConsumer(ctx context.Context, tx *db.Tx, w consumerWrite, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO placement_consumer (uuid, project_id, user_id, consumer_type, generation, created_at, updated_at)
		VALUES (?, ?, ?, ?, 1, ?, ?)`, w.Consumer, w.ProjectID, w.UserID, w.ConsumerType, db.Micros(now), db.Micros(now))
	return err
}

// lockProvider bumps a provider's generation, locking its row, without reading anything: on
// MySQL the first plain read of a transaction fixes its snapshot, so the allocation path reads
// only once every provider it writes to is locked, and then sees their latest allocations.
func lockProvider(ctx context.Context, tx *db.Tx, uuid string, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE placement_provider SET generation = generation + 1, updated_at = ? WHERE uuid = ?", db.Micros(now), uuid)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	return badRequest("Allocation for resource provider '%s' that does not exist.", uuid)
}

// consumerProviders returns the providers a consumer has allocations on.
func consumerProviders(ctx context.Context, tx *db.Tx, id string) ([]string, error) {
	return db.QueryStrings(ctx, tx, "SELECT DISTINCT provider_uuid FROM placement_allocation WHERE consumer_uuid = ?"+lockedRead(tx), id)
}

// writeAllocations replaces the allocations of every consumer in writes, atomically: it locks
// the consumers, then every provider involved (sorted, so concurrent writers cannot
// deadlock), then checks each provider's capacity against what is allocated once the
// consumers' old allocations are gone. A consumer left without allocations is deleted.
func (s *Service) writeAllocations(ctx context.Context, writes []consumerWrite) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.reshapeTx(ctx, tx, writes, nil) })
}

// providerInventories are the inventories a reshape gives one provider, at the generation the
// caller last saw.
type providerInventories struct {
	Generation  int64
	Inventories map[string]inventory
}

// reshapeTx replaces the allocations of writes and the inventories of invs (nil for a plain
// allocation write) in tx: consumers are locked first, then every provider involved in sorted
// order (checking the generation of those whose inventories change), and only then is
// anything read for the capacity checks, which therefore see the latest allocations.
func (s *Service) reshapeTx(ctx context.Context, tx *db.Tx, writes []consumerWrite, invs map[string]providerInventories) error {
	slices.SortFunc(writes, func(a, b consumerWrite) int { return compareStrings(a.Consumer, b.Consumer) })
	now := s.now()
	providers := map[string]bool{} // every provider whose allocations or inventories change
	var existing []string          // consumers that may have allocations to replace
	for _, w := range writes {
		isNew, err := lockConsumer(ctx, tx, w, now)
		if err != nil {
			return err
		}
		if !isNew {
			existing = append(existing, w.Consumer)
			old, err := consumerProviders(ctx, tx, w.Consumer)
			if err != nil {
				return err
			}
			for _, p := range old {
				providers[p] = true
			}
		}
		for p := range w.Allocs {
			providers[p] = true
		}
	}
	for p := range invs {
		providers[p] = true
	}
	for _, p := range mapKeys(providers) {
		var err error
		if pi, ok := invs[p]; ok {
			err = lockProviderAt(ctx, tx, p, pi.Generation, now)
		} else {
			err = lockProvider(ctx, tx, p, now)
		}
		if err != nil {
			return err
		}
	}
	for _, c := range existing {
		if _, err := tx.Exec(ctx, "DELETE FROM placement_allocation WHERE consumer_uuid = ?", c); err != nil {
			return err
		}
	}
	for _, p := range mapKeys(invs) {
		if err := replaceAllInventories(ctx, tx, p, invs[p].Inventories); err != nil {
			return err
		}
	}
	if err := checkCapacity(ctx, tx, writes); err != nil {
		return err
	}
	if err := insertAllocations(ctx, tx, writes, now); err != nil {
		return err
	}
	if len(invs) == 0 {
		return nil
	}
	for _, p := range mapKeys(invs) {
		if err := checkReshapedUsage(ctx, tx, p); err != nil {
			return err
		}
	}
	return bumpTopology(ctx, tx)
}

// lockProviderAt is lockProvider for a provider whose generation must be gen.
func lockProviderAt(ctx context.Context, tx *db.Tx, uuid string, gen int64, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE placement_provider SET generation = generation + 1, updated_at = ? WHERE uuid = ? AND generation = ?",
		db.Micros(now), uuid, gen)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	if _, err := getProvider(ctx, tx, uuid); err != nil {
		return badRequest("Resource provider %s in the reshape does not exist.", uuid)
	}
	return staleProvider(uuid)
}

// replaceAllInventories sets a provider's inventories to invs.
func replaceAllInventories(ctx context.Context, tx *db.Tx, uuid string, invs map[string]inventory) error {
	if _, err := tx.Exec(ctx, "DELETE FROM placement_inventory WHERE provider_uuid = ?", uuid); err != nil {
		return err
	}
	return writeInventories(ctx, tx, uuid, nil, invs, nil)
}

// checkReshapedUsage refuses a reshape that leaves allocations on a provider beyond its new
// inventories.
func checkReshapedUsage(ctx context.Context, tx *db.Tx, p string) error {
	invs, err := lockedInventories(ctx, tx, p)
	if err != nil {
		return err
	}
	used, err := lockedUsages(ctx, tx, p)
	if err != nil {
		return err
	}
	for _, rc := range mapKeys(used) {
		inv, ok := invs[rc]
		if !ok || !inv.fits(used[rc], 0) {
			return conflict(codeInventoryInUse, "Unable to reshape: after the reshape, %d %s would be allocated on resource provider %s beyond its inventory.", used[rc], rc, p)
		}
	}
	return nil
}

// compareStrings orders strings.
func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkCapacity checks every allocation against its provider's inventory: the class must be
// in the inventory, each amount must respect min_unit, max_unit and step_size, and the sum over
// everything allocated must stay within the capacity; each failure is a 409, as Placement's.
func checkCapacity(ctx context.Context, tx *db.Tx, writes []consumerWrite) error {
	want := map[string]map[string]int64{}
	for _, w := range writes {
		for p, res := range w.Allocs {
			if want[p] == nil {
				want[p] = map[string]int64{}
			}
			for rc, n := range res {
				want[p][rc] += n
			}
		}
	}
	for _, p := range mapKeys(want) {
		invs, err := lockedInventories(ctx, tx, p)
		if err != nil {
			return err
		}
		used, err := lockedUsages(ctx, tx, p)
		if err != nil {
			return err
		}
		for _, rc := range mapKeys(want[p]) {
			inv, ok := invs[rc]
			if !ok {
				return conflict(codeDefault, "Unable to allocate inventory: Inventory for '%s' on resource provider '%s' invalid: the provider has no inventory of %s.", rc, p, rc)
			}
			for _, w := range writes {
				if n, ok := w.Allocs[p][rc]; ok && !inv.unitOK(n) {
					return conflict(codeDefault, "Unable to allocate inventory: Unable to create allocation for '%s' on resource provider '%s'. The requested amount would violate inventory constraints: %d is not between min_unit %d and max_unit %d or not a multiple of step_size %d.",
						rc, p, n, inv.MinUnit, inv.MaxUnit, inv.StepSize)
				}
			}
			if !inv.fits(used[rc], want[p][rc]) {
				return conflict(codeDefault, "Unable to allocate inventory: Unable to create allocation for '%s' on resource provider '%s'. The requested amount would exceed the capacity: %d requested, %d used, capacity %d.",
					rc, p, want[p][rc], used[rc], inv.capacity())
			}
		}
	}
	return nil
}

// lockedInventories is loadInventories once the provider is locked: the transaction's first
// plain read, it sees the latest committed rows on every engine.
func lockedInventories(ctx context.Context, tx *db.Tx, p string) (map[string]inventory, error) {
	out := map[string]inventory{}
	err := db.EachRow(ctx, tx, `SELECT resource_class, total, reserved, min_unit, max_unit, step_size, allocation_ratio
		FROM placement_inventory WHERE provider_uuid = ?`, []any{p}, func(r db.Scanner) error {
		var rc string
		var i inventory
		if err := r.Scan(&rc, &i.Total, &i.Reserved, &i.MinUnit, &i.MaxUnit, &i.StepSize, &i.Ratio); err != nil {
			return err
		}
		out[rc] = i
		return nil
	})
	return out, err
}

// lockedUsages is loadUsages once the provider is locked.
func lockedUsages(ctx context.Context, tx *db.Tx, p string) (map[string]int64, error) {
	out := map[string]int64{}
	err := db.EachRow(ctx, tx, `SELECT resource_class, used FROM placement_allocation WHERE provider_uuid = ?`,
		[]any{p}, func(r db.Scanner) error {
			var rc string
			var n int64
			if err := r.Scan(&rc, &n); err != nil {
				return err
			}
			out[rc] += n
			return nil
		})
	return out, err
}

// insertAllocations writes the new allocation rows and deletes consumers left with none.
func insertAllocations(ctx context.Context, tx *db.Tx, writes []consumerWrite, now time.Time) error {
	for _, w := range writes {
		if len(w.Allocs) == 0 {
			if _, err := tx.Exec(ctx, "DELETE FROM placement_consumer WHERE uuid = ?", w.Consumer); err != nil {
				return err
			}
			continue
		}
		for _, p := range mapKeys(w.Allocs) {
			for _, rc := range mapKeys(w.Allocs[p]) {
				if _, err := tx.Exec(ctx, `INSERT INTO placement_allocation (consumer_uuid, provider_uuid, resource_class, used, created_at)
					VALUES (?, ?, ?, ?, ?)`, w.Consumer, p, rc, w.Allocs[p][rc], db.Micros(now)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// deleteConsumerAllocations removes all of a consumer's allocations and the consumer; it
// reports false when the consumer had none.
func (s *Service) deleteConsumerAllocations(ctx context.Context, id string) (bool, error) {
	found := false
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		found = false
		now := s.now()
		res, err := tx.Exec(ctx, "UPDATE placement_consumer SET generation = generation + 1, updated_at = ? WHERE uuid = ?", db.Micros(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		providers, err := consumerProviders(ctx, tx, id)
		if err != nil || len(providers) == 0 {
			return err
		}
		found = true
		slices.Sort(providers)
		for _, p := range providers {
			if err := lockProvider(ctx, tx, p, now); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM placement_allocation WHERE consumer_uuid = ?", id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM placement_consumer WHERE uuid = ?", id)
		return err
	})
	return found, err
}
