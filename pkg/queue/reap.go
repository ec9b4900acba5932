package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// storeTimeout bounds one call to the store outside a loop's tick.
const storeTimeout = 30 * time.Second

// eventRetention is how long the relayed events of a run are kept.
const eventRetention = time.Hour

// reap marks the runs of replicas whose heartbeat stopped as interrupted
// (never left running), lets their jobs go, queues a new run for those
// whose playbook says retry_on_node_loss: true, and puts back in the
// queue the jobs they took but had not started (requeueOrphans). Every
// replica reaps. The jobs are found by their runs' status, not by who
// marked them (any process on the store may have, when it opened it);
// the cancel request River records on each job makes each one handled
// once, and the retry's job is unique by the id of the run first asked
// for (RetryOf, carried through), so a run is retried once, whoever
// notices. A retry that is lost as well is not retried again (a chain of
// lost replicas would run the runbook again and again): it is recorded
// interrupted with RetryLostMessage.
func (q *Queue) reap(ctx context.Context) {
	lost, err := q.cfg.Store.InterruptDead(ctx)
	if err != nil && q.outage(err) { // nil: it may not have asked (see Settled)
		return
	}
	if err != nil {
		q.log.Warn().Err(err).Msg("could not look for the runs of replicas that died")
	}
	for _, r := range lost {
		q.metrics.rescued.Inc()
		q.log.Warn().Str("run_id", r.ID).Str("playbook", r.Playbook).Msg("run interrupted: the process running it stopped sending heartbeats")
	}
	q.requeueOrphans(ctx)
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT j.id, j.args FROM river_job j JOIN runs r ON r.id = j.args->>'run_id'
		WHERE j.kind = $1 AND j.state = 'running' AND r.status = $2 AND NOT (j.metadata ? 'cancel_attempted_at')`, Kind, string(history.StatusInterrupted))
	if q.outage(err) {
		return
	}
	if err != nil {
		q.log.Warn().Err(err).Msg("could not look for the jobs of interrupted runs")
		return
	}
	var jobs []Job
	for rows.Next() {
		var j Job
		var args []byte
		if rows.Scan(&j.ID, &args) == nil && decodeArgs(args, &j.Args) == nil {
			jobs = append(jobs, j)
		}
	}
	rows.Close()
	for _, j := range jobs {
		// The job is let go (River's cancel request, which also marks it
		// handled) only once its retry is queued: a retry that could not
		// be queued is tried again at the next reap.
		log := q.log.Warn().Str("run_id", j.Args.RunID).Str("playbook", j.Args.Playbook)
		pb, ok := q.cfg.Playbook(j.Args.Playbook)
		if !ok || !pb.RetryOnNodeLoss {
			q.client.JobCancel(ctx, j.ID)
			log.Msg("the interrupted run is not run again: its playbook does not say retry_on_node_loss: true")
			continue
		}
		if orig := j.Args.RetryOf; orig != "" {
			if err := q.retryLost(ctx, j.Args.RunID, orig); err != nil {
				log.Err(err).Msg("could not record that the retry of a lost run was lost as well; tried again at the next look")
				continue
			}
			q.client.JobCancel(ctx, j.ID)
			log.Str("retry_of", orig).Msg("the interrupted run is not run again: it was already the retry (retry_on_node_loss) of a lost run")
			continue
		}
		a := j.Args
		a.RetryOf, a.Key, a.RunID = j.Args.RunID, "retry:"+j.Args.RunID, ""
		id, dup, err := q.Submit(ctx, a)
		if err != nil {
			log.Err(err).Msg("could not queue the interrupted run again; tried again at the next look")
			continue
		}
		q.client.JobCancel(ctx, j.ID)
		if !dup {
			q.metrics.retried.Inc()
			log.Str("new_run_id", id).Msg("the interrupted run is queued again (retry_on_node_loss)")
		}
	}
	q.finalizeLost(ctx)
	// Old relayed events and the cancel requests of ended runs go, and so
	// do the questions
	// of runs that ended without dropping them (their replica died while
	// they asked): nobody can answer those any more.
	cutoff := time.Now().Add(-eventRetention).UnixMilli()
	q.cfg.Store.Pool().Exec(ctx, `DELETE FROM run_events WHERE at < $1`, cutoff)
	// A cancel request stays while its run may still run or be taken
	// (a run longer than the hour, a queued one): it says the run was
	// asked to stop already, so that a second cancel is not accepted,
	// and audited, again.
	q.cfg.Store.Pool().Exec(ctx, `DELETE FROM run_cancels c WHERE c.at < $1
		AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = c.run_id AND r.status = $2)
		AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.kind = $3 AND j.args->>'run_id' = c.run_id
			AND j.state IN ('available', 'scheduled', 'retryable', 'pending', 'running'))`,
		cutoff, string(history.StatusRunning), Kind)
	q.cfg.Store.Pool().Exec(ctx, `DELETE FROM run_questions q WHERE q.asked_at < $1
		AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = q.run_id AND r.status = $2)`, cutoff, string(history.StatusRunning))
	// The cancels whose carrying out failed (the database went away as
	// it began) are carried out now.
	q.cancelWaiting(ctx)
}

// RetryLostMessage is the error message of the retry of a lost run
// (retry_on_node_loss) that was lost too; %s is the run first asked for.
const RetryLostMessage = "interrupted: this run was the retry (retry_on_node_loss) of run %s, whose replica was lost, and the process running it was lost as well (it ended, or lost the database for longer than its lease); it is not run again: check what the two runs did, and start the playbook again by hand if it is still needed"

// retryLost gives the interrupted run id, the retry of the lost run orig,
// the message that says both were lost and nothing runs again.
func (q *Queue) retryLost(ctx context.Context, id, orig string) error {
	_, err := q.cfg.Store.Pool().Exec(ctx, `UPDATE runs SET error_message = $2 WHERE id = $1 AND status = $3`,
		id, fmt.Sprintf(RetryLostMessage, orig), string(history.StatusInterrupted))
	return err
}

// finalizeLost ends the jobs of interrupted runs once reap has handled
// them (River's cancel request marks that, after any retry was queued),
// when the replica that held them has no heartbeat: River's cancel
// request ends a running job only through the client that runs it, and
// that client is gone, so without this the job would stay running for a
// week (see RescueStuckJobsAfter) and count in the queue's running
// gauges. The job ends cancelled, which River never runs again; a
// replica that was only cut off and still works the job finds nothing
// left to change when it writes its end. Like requeueOrphans, this waits
// until the database has been reachable for a lease.
func (q *Queue) finalizeLost(ctx context.Context) {
	st := q.cfg.Store
	if !st.Settled() {
		return
	}
	lease, back := st.Judge()
	tag, err := st.Pool().Exec(ctx, `UPDATE river_job j SET state = 'cancelled', finalized_at = now()
		FROM runs r
		WHERE r.id = j.args->>'run_id' AND r.status = $2
			AND j.kind = $1 AND j.state = 'running' AND j.metadata ? 'cancel_attempted_at'
			AND NOT `+postgres.Alive("j.attempted_by[cardinality(j.attempted_by)]", "$3", "$4"),
		Kind, string(history.StatusInterrupted), lease, back)
	if err != nil {
		q.log.Warn().Err(err).Msg("could not end the jobs of interrupted runs")
		return
	}
	if n := tag.RowsAffected(); n > 0 {
		q.log.Debug().Int64("jobs", n).Msg("ended the jobs of interrupted runs whose replica stopped")
	}
}

// requeueOrphans puts back in the queue the jobs that a replica took and
// died before it started their runs: nothing recorded the runs, so the
// reaper cannot find them by their status, and River would leave the jobs
// taken for a week (see RescueStuckJobsAfter). A job is an orphan when the
// replica that took it last (River's client id is the store's owner id)
// has no heartbeat younger than the lease; like InterruptDead, this waits
// until the database has been reachable for a lease, for after an outage
// every heartbeat is old.
func (q *Queue) requeueOrphans(ctx context.Context) {
	st := q.cfg.Store
	if !st.Settled() {
		return
	}
	lease, back := st.Judge()
	// The job keeps its scheduled_at, already past: it goes back where it
	// was in the line (see takenBefore), not behind every run queued
	// while the dead replica held it.
	rows, err := st.Pool().Query(ctx, `UPDATE river_job j SET state = 'available',
			max_attempts = GREATEST(j.max_attempts, j.attempt + 1)
		WHERE j.kind = $1 AND j.state = 'running'
			AND j.attempted_at < now() - make_interval(secs => $3::bigint / 1000.0)
			AND j.attempted_by[cardinality(j.attempted_by)] != $2
			AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = j.args->>'run_id')
			AND NOT `+postgres.Alive("j.attempted_by[cardinality(j.attempted_by)]", "$3", "$4")+`
		RETURNING j.args->>'run_id', j.args->>'playbook', j.attempted_by[cardinality(j.attempted_by)]`,
		Kind, st.Owner(), lease, back)
	if err != nil {
		q.log.Warn().Err(err).Msg("could not look for the jobs of replicas that died before starting them")
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, playbook, by string
		if rows.Scan(&id, &playbook, &by) == nil {
			q.metrics.rescued.Inc()
			q.log.Warn().Str("run_id", id).Str("playbook", playbook).Str("taken_by", by).
				Msg("queued again: the replica that took the run stopped sending heartbeats before it started it")
		}
	}
}

// Depth returns how many queued runs wait for a worker, and how many run:
// those a worker took and started, recorded running in the history. A
// job a worker holds while its run waits there (for its concurrency
// group, a run slot) or cannot be recorded (the role may not write runs)
// is not a run going on.
func (q *Queue) Depth(ctx context.Context) (waiting, running int, err error) {
	err = q.cfg.Store.Pool().QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE j.state IN ('available', 'scheduled', 'retryable', 'pending')),
			count(*) FILTER (WHERE j.state = 'running' AND EXISTS (
				SELECT 1 FROM runs r WHERE r.id = j.args->>'run_id' AND r.status = 'running'))
		FROM river_job j WHERE j.kind = $1`, Kind).Scan(&waiting, &running)
	return waiting, running, err
}

// Health is what /healthz says of the shared store and the queue: the
// database (password masked), whether it answers and lets this replica's
// role record runs (store_ok; else the error, which makes /healthz 503),
// whether this replica leads (leader: its scheduler fires the schedules;
// leader_lock: it holds the scheduler lock, and may still be loading),
// and the queue's depth.
func (q *Queue) Health(ctx context.Context) (map[string]any, error) {
	pg := q.cfg.Store
	out := map[string]any{"store": pg.Describe(), "leader": q.scheduling.Load(), "leader_lock": q.Leading()}
	err := pg.Pool().Ping(ctx)
	if err == nil {
		err = pg.CheckPrivileges(ctx)
	}
	if err != nil {
		out["store_ok"] = false
		return out, err
	}
	out["store_ok"] = true
	if waiting, running, err := q.Depth(ctx); err == nil {
		out["queue_depth"], out["queue_running"] = waiting, running
	}
	return out, nil
}

// Local returns the handle of a queued run this replica executes.
func (q *Queue) Local(runID string) (*runs.Handle, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	h, ok := q.local[runID]
	return h, ok
}
