package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// ErrUnknownRun is a run the queue has no job for.
var ErrUnknownRun = errors.New("no queued or running run with this id")

// Job is what the queue knows of a run's job.
type Job struct {
	ID     int64
	State  string    // River's: available, running, completed, cancelled, ...
	Queued time.Time // when the run was asked for (the job's creation)
	Args   RunArgs
	// Ahead, from Waiting and InLine only, is how many runs wait to be taken
	// before this one, which no replica has taken yet; 0 once taken.
	Ahead int
}

// Find returns the job of a run.
func (q *Queue) Find(ctx context.Context, runID string) (Job, error) {
	var j Job
	var args []byte
	err := q.cfg.Store.Pool().QueryRow(ctx, findSQL, Kind, runID).Scan(&j.ID, &j.State, &j.Queued, &args)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, ErrUnknownRun
	}
	if err != nil {
		return j, fmt.Errorf("queue: %w", err)
	}
	return j, decodeArgs(args, &j.Args)
}

// findSQL reads the newest job of a run ($2) of kind $1, through
// runIndex.
const findSQL = `SELECT id, state, created_at, args FROM river_job
	WHERE kind = $1 AND args->>'run_id' = $2 ORDER BY id DESC LIMIT 1`

func decodeArgs(b []byte, a *RunArgs) error { return json.Unmarshal(b, a) }

// Cancel asks a run to stop, whichever replica runs it: a run still
// waiting in the queue never starts (it is recorded cancelled here); a
// running one is cancelled by its replica within Poll, its finally steps
// run, and it is recorded cancelled.
func (q *Queue) Cancel(ctx context.Context, runID, by string) error {
	_, err := q.CancelOnce(ctx, runID, by, nil, nil)
	return err
}

// ErrCancelUnconfirmed is the error of a cancel whose request the
// database may or may not have committed: its answer was lost, and it
// could not be asked again. The run's status tells what happened.
var ErrCancelUnconfirmed = errors.New("the database did not confirm the cancel")

// commitBound bounds the commit of a cancel whose audit line is written:
// the caller's context no longer bounds it (see requestCancel).
const commitBound = 10 * time.Second

// CancelOnce is Cancel, but tells whether this call was the first to ask
// the run to stop, through any replica. before (writing the audit line,
// say) runs only for the first, while the request is not yet committed:
// a concurrent CancelOnce for the same run, here or on another replica,
// waits for it, and its error leaves the run uncancelled. A later call
// still sees the cancel through (a queued run recorded cancelled) but
// returns false.
//
// Once before has returned, the request is committed and carried out even
// when ctx ends meanwhile (a client that hung up while its cancel was
// audited). When the database still does not commit it, failed (when not
// nil) is called with the error CancelOnce returns, so that the audit line
// before wrote is followed by one that says the cancel did not happen; the
// error wraps ErrCancelUnconfirmed when the database could not tell
// whether it did.
func (q *Queue) CancelOnce(ctx context.Context, runID, by string, before func() error, failed func(error)) (bool, error) {
	first, err := q.requestCancel(ctx, runID, by, before, failed)
	if err != nil {
		return false, err
	}
	if first {
		// Audited and committed: carried out, whether the caller still
		// waits or not.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitBound)
		defer cancel()
		ctx = cctx
	}
	return first, q.carryOutCancel(ctx, runID, by)
}

// requestCancel writes the run_cancels row of runID, unless one is there
// already, when it returns false. The row's key makes a second writer
// wait for the first's transaction, and find the row once it commits.
func (q *Queue) requestCancel(ctx context.Context, runID, by string, before func() error, failed func(error)) (bool, error) {
	tx, err := q.cfg.Store.Pool().Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("queue: cancel %s: %w", runID, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
	at := time.Now().UnixMilli()
	tag, err := tx.Exec(ctx, `INSERT INTO run_cancels (run_id, cancelled_by, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		runID, by, at)
	if err != nil {
		return false, fmt.Errorf("queue: cancel %s: %w", runID, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if before != nil {
		if err := before(); err != nil {
			return false, err
		}
	}
	// The audit line says the run was cancelled: from here, the request
	// must be committed, whether the caller still waits or not.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitBound)
	defer cancel()
	err = tx.Commit(cctx)
	if err == nil {
		return true, nil
	}
	err = q.uncommitted(cctx, runID, by, at, err)
	if err == nil {
		return true, nil // committed; only its answer was lost
	}
	if failed != nil {
		failed(err)
	}
	return false, err
}

// uncommitted tells, after the commit of the cancel of runID that by
// asked for at failed with err, whether the database holds it after all
// (nil: the answer to the commit was lost, not the commit), and
// otherwise why the run was not cancelled.
func (q *Queue) uncommitted(ctx context.Context, runID, by string, at int64, err error) error {
	var held bool
	qerr := q.cfg.Store.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM run_cancels WHERE run_id = $1 AND cancelled_by = $2 AND at = $3)`,
		runID, by, at).Scan(&held)
	switch {
	case qerr != nil:
		return fmt.Errorf("queue: cancel %s: %w (%w): it may not have been carried out; the run's status tells", runID, ErrCancelUnconfirmed, err)
	case held:
		return nil
	}
	return fmt.Errorf("queue: cancel %s: the database did not commit it, so the run was not cancelled: %w", runID, err)
}

// carryOutCancel stops a run whose run_cancels row is written: one of
// this replica's at once, a queued one before any replica takes it. The
// database is asked again while it is away. When it still cannot be, the
// cancel stands all the same: the run_cancels row keeps the run from
// starting (a worker's claim refuses it, see claim), and the reaper of
// any replica carries the cancel out (cancelWaiting).
func (q *Queue) carryOutCancel(ctx context.Context, runID, by string) error {
	q.relayCancels(ctx) // one of ours: at once
	return q.cancelQueuedJob(ctx, runID, by)
}

// cancelQueuedJob cancels the job of a run whose run_cancels row is
// written, and records the run, when no worker has taken the job yet.
func (q *Queue) cancelQueuedJob(ctx context.Context, runID, by string) error {
	var j Job
	var cancelled bool
	err := q.cfg.Store.RetryFor(ctx, commitBound, func() error {
		var err error
		if j, err = q.Find(ctx, runID); err != nil {
			return err
		}
		if !waitingState(j.State) {
			return nil
		}
		row, err := q.client.JobCancel(ctx, j.ID)
		cancelled = err == nil && row.State == "cancelled"
		return err
	})
	switch {
	case errors.Is(err, ErrUnknownRun):
		return nil // not queued here: a run of this process, or already ended
	case err != nil:
		q.log.Warn().Err(err).Str("run_id", runID).Msg("the cancel of the queued run is recorded but could not be carried out yet; the run will not start, and it is recorded cancelled at the next look")
		return nil
	case cancelled:
		// It never reached a worker: no replica will record it. The
		// record must not go with a client that hangs up now.
		return q.recordCancelled(context.WithoutCancel(ctx), j, by)
	}
	// A worker took it meanwhile: River cancels the worker's context, and
	// the worker records the run (cancelledAsTaken), or its claim finds
	// the run_cancels row; once started, that row stops it.
	return nil
}

// waitingState tells whether a River job state is one of a job no worker
// has taken.
func waitingState(state string) bool {
	return state == "available" || state == "scheduled" || state == "retryable" || state == "pending"
}

// cancelWaiting carries out the cancels recorded for runs whose jobs
// still wait in the queue: those whose carrying out failed (the database
// went away just after the cancel was committed).
func (q *Queue) cancelWaiting(ctx context.Context) {
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT c.run_id, c.cancelled_by FROM run_cancels c
		JOIN river_job j ON j.kind = $1 AND j.args->>'run_id' = c.run_id
		WHERE j.state IN ('available', 'scheduled', 'retryable', 'pending')`, Kind)
	if err != nil {
		return
	}
	type cancel struct{ id, by string }
	var todo []cancel
	for rows.Next() {
		var c cancel
		if rows.Scan(&c.id, &c.by) == nil {
			todo = append(todo, c)
		}
	}
	rows.Close()
	for _, c := range todo {
		if err := q.cancelQueuedJob(ctx, c.id, c.by); err != nil {
			q.log.Warn().Err(err).Str("run_id", c.id).Msg("could not record the queued run cancelled; tried again at the next look")
		}
	}
}

// recordCancelled records a queued run that was cancelled before any
// replica took it.
func (q *Queue) recordCancelled(ctx context.Context, j Job, by string) error {
	a := j.Args
	if _, err := q.cfg.Store.Get(ctx, a.RunID); err == nil {
		return nil
	}
	// recordNeverRan ends with River's JobCancel error, meant for a
	// worker: here the record is what counts.
	q.recordNeverRan(ctx, a, j.Queued, report.StatusCancelled, ops.ClassCancelled, runs.NotStarted("cancelled through the API by "+by))
	if _, err := q.cfg.Store.Get(ctx, a.RunID); err != nil && !errors.Is(err, history.ErrNotFound) {
		return err
	}
	return nil
}

// cancelRequested returns who asked a run to stop, if anyone did.
func (q *Queue) cancelRequested(ctx context.Context, runID string) (string, bool) {
	var by string
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT cancelled_by FROM run_cancels WHERE run_id = $1`, runID).Scan(&by)
	return by, err == nil
}

// relayCancels cancels the runs executed here that someone asked to stop.
func (q *Queue) relayCancels(ctx context.Context) {
	ids := q.localIDs()
	if len(ids) == 0 {
		return
	}
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT run_id, cancelled_by FROM run_cancels WHERE run_id = ANY($1)`, ids)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, by string
		if rows.Scan(&id, &by) != nil {
			return
		}
		q.mu.Lock()
		h := q.local[id]
		q.mu.Unlock()
		if h != nil {
			h.Cancel(fmt.Errorf("cancelled through the API by %s", by))
		}
	}
}

// localIDs are the ids of the runs this replica executes.
func (q *Queue) localIDs() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]string, 0, len(q.local))
	for id := range q.local {
		ids = append(ids, id)
	}
	return ids
}
