package queue

// A run whose replica is cut off from the database while the run waits
// there (for its concurrency group, or a run slot) has its job handed to
// another replica once the lease is over (requeueOrphans). When the first
// replica comes back, its run must neither run nor be recorded: its
// claim, made as the run is about to start, fails. Meanwhile the other
// replica must not put the run in its group's line twice.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// errTakenBack is a claim that found the run's job handed to another
// replica, or the run started elsewhere.
var errTakenBack = errors.New("not run here: while it waited here for a place, its job went to another replica (this one had lost the database for longer than its lease), or it started elsewhere")

// claimRetryFor is how long a claim is tried again while the database is
// away, as long as the writes that record runs.
const claimRetryFor = time.Minute

// claimRun records a run as started by its taker if the job is still
// running at that attempt and its taker was the last to take it: the
// StartColumns' arguments, the run's inputs (masked) and dry_run, as the
// store's RecordStart writes them, then the job's id and attempt. A row
// of the run that this taker already wrote (the answer to an earlier try
// was lost) counts; any other row means the run started elsewhere.
var claimRun = `INSERT INTO runs (` + history.StartColumns + `, inputs, dry_run)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::text, $9::text, $10::text, $11::text, $12::bigint, $13::text,
		$14::text, $15::boolean
	WHERE EXISTS (SELECT 1 FROM river_job j WHERE j.id = $16 AND j.state = 'running' AND j.attempt = $17
		AND j.attempted_by[cardinality(j.attempted_by)] = $10::text)
	ON CONFLICT (id) DO UPDATE SET owner = runs.owner WHERE runs.owner = excluded.owner AND runs.status = 'running'`

// claim returns the claim of the run of job (a runs.Claim of
// runs.Manager.StartClaimed): one statement, tried again while the
// database is away, that records the run as started here, with the start
// the run service gives it, only if job is still this worker's. It fails
// with errTakenBack when it is not.
//
// The claim is made just before the run's first step: a cancel recorded
// by then (run_cancels) cancels the run there, so that it runs no step,
// however the cancel reached this replica, or did not (River's JobCancel
// of the queued job failed, or a worker took the job meanwhile).
//
// The row it writes is the one the run service's own record of the start
// (the store's RecordStart) writes next: the playbook's path and sha256,
// the inputs as the run's report masks them, and dry_run. Every replica
// shows the run as it is from the claim on, however long the run takes to
// get from its claim to that record, or if that record fails.
func (q *Queue) claim(job *river.Job[RunArgs]) runs.Claim {
	return func(ctx context.Context, run history.Run) error {
		st := q.cfg.Store
		started := run.StartedAt
		if started.IsZero() {
			started = time.Now()
		}
		args, err := history.StartArgs(run, st.Owner(), started.UnixMilli())
		if err != nil {
			return err
		}
		args = append(args, history.InputsArg(run.Inputs), run.DryRun, job.ID, job.Attempt)
		var claimed bool
		var by *string
		err = st.RetryFor(ctx, claimRetryFor, func() error {
			return st.Pool().QueryRow(ctx, `WITH claimed AS (`+claimRun+` RETURNING 1)
				SELECT EXISTS (SELECT 1 FROM claimed), (SELECT cancelled_by FROM run_cancels WHERE run_id = $1::text)`,
				args...).Scan(&claimed, &by)
		})
		switch {
		case err != nil:
			return fmt.Errorf("queue: claim run %s: %w%s", run.ID, err, postgres.PrivilegeHint(err))
		case !claimed:
			return errTakenBack
		}
		if by != nil {
			if h, ok := q.cfg.Manager.Get(run.ID); ok {
				h.Cancel(fmt.Errorf("cancelled through the API by %s", *by))
			}
		}
		return nil
	}
}

// inLineElsewhere tells whether the run is in its concurrency group's line
// for another worker: the one of a replica that took its job before, lost
// it while the run waited there, and still lives. That worker's claim will
// fail, and its run leave the line; until then the job waits in the queue,
// for the line has one place a run. The places of replicas without a
// heartbeat are dropped, as every run of the group drops them, unless this
// replica lost the database within the lease (then every heartbeat is
// old).
func (q *Queue) inLineElsewhere(ctx context.Context, runID string) (bool, error) {
	st := q.cfg.Store
	var held bool
	lease, back := st.Judge()
	err := st.Pool().QueryRow(ctx, `WITH dropped AS (
			DELETE FROM concurrency c WHERE c.run_id = $1 AND $2::boolean AND c.owner != $3
				AND NOT `+postgres.Alive("c.owner", "$4", "$5")+`
			RETURNING c.id)
		SELECT EXISTS (SELECT 1 FROM concurrency c WHERE c.run_id = $1 AND c.id NOT IN (SELECT id FROM dropped))`,
		runID, st.Settled(), st.Owner(), lease, back).Scan(&held)
	return held, err
}

// letGo ends the worker of a job taken back from this replica, and may
// take as long as the other replica's run of it.
//
// Whatever a worker returns, River then writes the job's end by its id
// alone, whichever worker has it, checking only that it is running: to
// end now would end the job the other replica runs (its run then looks
// ended to the reaper, which would not run it again if that replica
// died, and the job row goes within a minute). River has no way for a
// worker to end without that write, nor a condition on the attempt to
// give it. So this worker returns only once the job is no longer running
// elsewhere: the other replica ended it (or it went back to the queue),
// and River's write finds nothing left to change. Until then it holds
// one of this replica's worker slots.
//
// Nor does it return when the replica stops, or when River cancels its
// context (River does, on a cancel through the API, for every replica's
// worker of the job): River writes the end of a worker that returns
// whenever it returns, even after Stop or StopAndCancel, for its
// completer stops only after the workers. River's Stop waits for this one
// in vain; Stop returns once only such workers are left (see
// watchLetGo), and the process exits without River writing anything. Once
// Stop has returned, the store may be closed: the worker no longer looks,
// and waits for the exit.
func (q *Queue) letGo(ctx context.Context, job *river.Job[RunArgs]) error {
	q.lettingGo.Add(1)
	defer q.lettingGo.Add(-1)
	ctx = context.WithoutCancel(ctx)
	t := time.NewTicker(q.cfg.Poll)
	defer t.Stop()
	for {
		elsewhere, err := q.runningElsewhere(ctx, job)
		if err == nil && !elsewhere {
			return nil
		}
		select {
		case <-t.C:
		case <-q.stop:
			select {} // River's Stop gave up on this worker; see above
		}
	}
}

// runningElsewhere tells whether job runs under another attempt than the
// one of this worker.
func (q *Queue) runningElsewhere(ctx context.Context, job *river.Job[RunArgs]) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, max(q.cfg.Poll, 5*time.Second))
	defer cancel()
	var elsewhere bool
	err := q.cfg.Store.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM river_job j WHERE j.id = $1 AND j.state = 'running'
		AND NOT (j.attempt = $2 AND j.attempted_by[cardinality(j.attempted_by)] = $3))`,
		job.ID, job.Attempt, q.cfg.Store.Owner()).Scan(&elsewhere)
	return elsewhere, err
}
