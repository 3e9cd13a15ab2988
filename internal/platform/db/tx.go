package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// txAttempts is how many times InTx runs a transaction that keeps losing
// races before it gives up.
const txAttempts = 5

// txBackoff is the base pause before the first retry; it doubles each time.
const txBackoff = 10 * time.Millisecond

// Tx is a transaction started by [DB.InTx]. It implements Querier.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// Dialect reports which SQL engine the transaction runs on.
func (t *Tx) Dialect() Dialect { return t.dialect }

// SQL returns the underlying database/sql transaction.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// Exec runs a statement that returns no rows.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.dialect.Rebind(query), args...)
}

// Query runs a statement that returns rows.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.dialect.Rebind(query), args...)
}

// QueryRow runs a statement that returns at most one row; errors are
// deferred to Scan.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.dialect.Rebind(query), args...)
}

// InTx runs fn in a transaction: it commits when fn returns nil and rolls
// back otherwise, returning fn's error unchanged. When fn or the commit fails
// because the transaction lost a race ([IsRetryable]: serialization failure,
// deadlock, SQLITE_BUSY) the whole of fn runs again, a few times, after a
// short randomized pause; no other error is retried. fn may therefore run
// more than once and should have no effects outside the transaction. A panic
// in fn rolls back and is re-raised.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = d.runTx(ctx, fn)
		if err == nil || !IsRetryable(err) || attempt == txAttempts {
			return err
		}
		if werr := sleepCtx(ctx, retryPause(attempt)); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// runTx runs fn once in a transaction.
func (d *DB) runTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback() // fn's error (or panic) is what matters
		}
	}()
	if err := fn(&Tx{tx: sqlTx, dialect: d.dialect}); err != nil {
		return err
	}
	committed = true // a failed Commit has ended the transaction too
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// retryPause is the randomized pause before retry number attempt (1-based).
func retryPause(attempt int) time.Duration {
	base := txBackoff << (attempt - 1)
	return base/2 + rand.N(base)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
