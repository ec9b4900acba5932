package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// WaitingFilter selects the runs Waiting lists. Zero fields select all;
// Before (and BeforeID) are a listing's cursor, as in history.Filter: the
// runs queued before Before or, with BeforeID, after (Before to the
// millisecond, BeforeID) in the listing's order.
type WaitingFilter struct {
	Playbook string
	Trigger  runs.Trigger
	Before   time.Time
	BeforeID string
	Limit    int // required
}

// Waiting lists the runs that wait in the queue, newest first in the
// order of the run listing (when queued, to the millisecond, then run id,
// both descending): the jobs no replica has taken, and the jobs a replica
// took whose run has not started there yet (it waits for its concurrency
// group, or is about to start). A run that started is in the history,
// not here. Each not yet taken counts in Ahead the runs waiting to be
// taken before it, whatever their playbook, in the order River gives jobs
// to workers (see takenBefore): one pass over the waiting jobs counts them
// for the whole page, so that a page costs about as much however long
// it is. Their inputs stay sealed: see OpenInputs.
func (q *Queue) Waiting(ctx context.Context, f WaitingFilter) ([]Job, error) {
	var before, beforeMS int64
	if !f.Before.IsZero() {
		before, beforeMS = 1, f.Before.UnixMilli()
		if f.BeforeID == "" {
			// The runs queued before that instant, as history selects.
			before = 2
		}
	}
	// ahead is counted over every waiting job, before the playbook and
	// trigger select some: the runs of other playbooks are ahead too.
	rows, err := q.cfg.Store.Pool().Query(ctx, `SELECT id, state, created_at, args,
			CASE WHEN state = 'running' THEN 0 ELSE ahead END
		FROM (
			SELECT j.id, j.state, j.created_at, j.args, j.args->>'run_id' AS run_id,
				floor(extract(epoch FROM j.created_at) * 1000)::bigint AS at,
				count(*) FILTER (WHERE j.state <> 'running') OVER (ORDER BY `+takenBefore("j")+`
					ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ahead
			FROM river_job j
			WHERE j.kind = $1
				AND (j.state IN (`+notTaken+`)
					OR j.state = 'running' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = j.args->>'run_id'))) w
		WHERE ($2 = '' OR w.args->>'playbook' = $2)
			AND ($3 = '' OR w.args->>'trigger' = $3)
			AND ($4::int = 0
				OR $4 = 1 AND (w.at, w.run_id COLLATE "C") < ($5::bigint, $6::text COLLATE "C")
				OR $4 = 2 AND w.created_at < $7)
		ORDER BY w.at DESC, w.run_id COLLATE "C" DESC, w.id DESC
		LIMIT $8`,
		Kind, f.Playbook, string(f.Trigger), before, beforeMS, f.BeforeID, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("queue: the waiting runs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var args []byte
		if err := rows.Scan(&j.ID, &j.State, &j.Queued, &args, &j.Ahead); err != nil {
			return nil, fmt.Errorf("queue: the waiting runs: %w", err)
		}
		if err := decodeArgs(args, &j.Args); err != nil {
			continue // not a run this version queues: nothing to list
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue: the waiting runs: %w", err)
	}
	return out, nil
}

// notTaken are the states of a job no replica has taken yet (River's).
const notTaken = `'available', 'scheduled', 'retryable', 'pending'`

// takenBefore is the order in which River gives the jobs of table alias
// t to workers (its JobGetAvailable): by priority first (1, River's
// default, before 2), then when due, then as inserted. A job of a
// higher priority queued last passes the jobs queued before it, so that
// the runs ahead of a run are counted in this order, not by when they
// were queued.
func takenBefore(t string) string {
	return t + ".priority, " + t + ".scheduled_at, " + t + ".id"
}

// InLine returns the job of a run that waits in the queue as Waiting
// lists it, with Ahead counted; ok is false when the run does not wait
// (it started, ended, or is unknown).
func (q *Queue) InLine(ctx context.Context, runID string) (j Job, ok bool, err error) {
	var args []byte
	err = q.cfg.Store.Pool().QueryRow(ctx, `SELECT j.id, j.state, j.created_at, j.args,
			CASE WHEN j.state = 'running' THEN 0 ELSE (SELECT count(*) FROM river_job o
				WHERE o.kind = $1 AND o.state IN (`+notTaken+`)
					AND (`+takenBefore("o")+`) < (`+takenBefore("j")+`)) END
		FROM river_job j
		WHERE j.kind = $1 AND j.args->>'run_id' = $2
			AND (j.state IN (`+notTaken+`)
				OR j.state = 'running' AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = j.args->>'run_id'))
		ORDER BY j.id DESC LIMIT 1`, Kind, runID).Scan(&j.ID, &j.State, &j.Queued, &args, &j.Ahead)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, false, nil
	}
	if err != nil {
		return j, false, fmt.Errorf("queue: run %s in the queue: %w", runID, err)
	}
	if err := decodeArgs(args, &j.Args); err != nil {
		return j, false, nil // not a run this version queues
	}
	return j, true, nil
}

// OpenInputs returns the inputs of a queued run in clear, secrets
// included: the caller masks them (as the run's report will) before
// showing them anywhere.
func (q *Queue) OpenInputs(a RunArgs) (map[string]any, error) {
	if err := q.sealer.open(&a); err != nil {
		return nil, err
	}
	return a.Inputs, nil
}

// MaskedInputs returns the inputs of a queued run of pb as its report will
// show them: resolved as the run will resolve them (the defaults of the
// inputs not given filled in, those read from the environment read), a
// secret input redact.Mask, and its text masked inside the others too.
// Inputs the run would refuse are shown as they were given.
func (q *Queue) MaskedInputs(a RunArgs, pb *steps.Playbook) (map[string]any, error) {
	in, err := q.OpenInputs(a)
	if err != nil {
		return nil, err
	}
	if resolved, err := q.cfg.Manager.Service().RunInputs(pb, in, q.cfg.Env); err == nil {
		return resolved, nil
	}
	red := redact.New()
	for _, decl := range pb.Inputs {
		if v, ok := in[decl.Name]; ok && decl.Secret {
			red.AddValue(v)
		}
	}
	return engine.MaskInputs(pb, in, red), nil
}
