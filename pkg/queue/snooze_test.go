package queue

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestRunPutBackKeepsItsPlace: a run whose job a replica took but could
// not start (here, the replica is shutting down) goes back to the queue
// for another replica where it was, first when it was first, not behind
// every run queued meanwhile. River's snooze made it due a second later,
// behind them all.
func TestRunPutBackKeepsItsPlace(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // takes no job by itself
	ctx := context.Background()
	a := args("nap", nil)
	a.RunID = engine.NewRunID()
	job := taken(t, r, a)
	for range 2 {
		if _, _, err := r.q.Submit(ctx, args("nap", nil)); err != nil {
			t.Fatal(err)
		}
	}
	shut, cancel := context.WithCancel(ctx)
	cancel()
	r.mgr.Shutdown(shut)
	err := r.q.work(ctx, job)
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("work: %v; want the job put back in the queue", err)
	}
	// What River writes of a snoozed job once its worker returned.
	if _, err := r.pg.Pool().Exec(ctx, `UPDATE river_job SET state = 'available', attempt = attempt - 1,
			scheduled_at = now() + make_interval(secs => $2::double precision)
		WHERE id = $1 AND state = 'running'`, job.ID, snooze.Duration.Seconds()); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the run put back to be first in line again", func() bool {
		j, ok, err := r.q.InLine(ctx, a.RunID)
		return err == nil && ok && j.State == "available" && j.Ahead == 0
	})
}
