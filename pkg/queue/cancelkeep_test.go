package queue

import (
	"context"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

// TestCancelOfALongRunStaysRequested: the cancel request of a run that
// still runs (or waits) more than an hour later is kept, so that a second
// cancel is not taken (and audited) as the first. It used to be deleted
// after an hour, whatever the run.
func TestCancelOfALongRunStaysRequested(t *testing.T) {
	a := newReplica(t, pgtest.DSN(t), 1, false) // takes no job: the run waits
	ctx := context.Background()
	id, _, err := a.q.Submit(ctx, args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * eventRetention).UnixMilli()
	if _, err := a.pg.Pool().Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, 'oncall', $2)`, id, old); err != nil {
		t.Fatal(err)
	}
	a.q.reap(ctx)
	first, err := a.q.CancelOnce(ctx, id, "someone", func() error { return nil }, nil)
	if err != nil || first {
		t.Errorf("a second cancel: first %v, %v; want it taken as a repeat", first, err)
	}
	// Once the run ended, its request goes.
	if _, err := a.pg.Pool().Exec(ctx, `DELETE FROM river_job WHERE args->>'run_id' = $1`, id); err != nil {
		t.Fatal(err)
	}
	a.q.reap(ctx)
	if _, held := a.q.cancelRequested(ctx, id); held {
		t.Errorf("the cancel request of a run that ended is kept")
	}
}
