package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// Kind is the River job kind of a queued run.
const Kind = "arsenal_run"

// RunArgs is a queued run: what the replica that takes it needs to start
// it as the caller asked. Key makes the job unique: the run id of a run
// asked for through the API, PLAYBOOK@SLOT of a scheduled run (so that a
// leader change, a restart or two leaders still queue a slot once), or
// retry:RUN_ID of the run that replaces one lost with its replica.
type RunArgs struct {
	Key      string `json:"key" river:"unique"`
	RunID    string `json:"run_id"`
	Playbook string `json:"playbook"`
	// Inputs are the run's inputs; Submit seals them into Sealed, so
	// that the job row never holds them in clear, and the worker opens
	// them again.
	Inputs map[string]any `json:"inputs,omitempty"`
	Sealed []byte         `json:"sealed,omitempty"`
	DryRun bool           `json:"dry_run,omitempty"`
	// Ask makes the run's confirm: questions wait for an answer given
	// through any replica (see Questions and Answer).
	Ask     bool         `json:"ask,omitempty"`
	Roles   []string     `json:"roles"`
	Caller  string       `json:"caller"`
	From    string       `json:"from,omitempty"`
	Trigger runs.Trigger `json:"trigger"`
	Slot    time.Time    `json:"slot,omitzero"`
	RetryOf string       `json:"retry_of,omitempty"`
	// Via and KeyPrint say how a caller of the API proved who it is
	// ("key", "session" or "certificate") and with which key (a print of
	// it, never its digest), so that the replica that starts the run can
	// tell whether that caller is still in force there (SetCallerCheck).
	// Jobs queued before they were kept have neither.
	Via      string `json:"via,omitempty"`
	KeyPrint string `json:"key_print,omitempty"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return Kind }

// InsertOpts implements river.JobArgsWithInsertOpts: a job is unique by its
// key for as long as it exists.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 1}
}

// submitRetryFor bounds how long Submit waits for a database that is
// away: an API request then answers 503, and a scheduled slot is recorded
// failed, rather than waiting as long as the writes that record runs.
const submitRetryFor = 5 * time.Second

// Submit queues a run and returns its id (a new one unless a.RunID is
// set); when a job with the same key exists, nothing is queued and dup is
// true.
func (q *Queue) Submit(ctx context.Context, a RunArgs) (runID string, dup bool, err error) {
	if a.RunID == "" {
		a.RunID = engine.NewRunID()
	}
	if a.Key == "" {
		a.Key = a.RunID
	}
	if err := q.sealer.seal(&a); err != nil {
		return "", false, err
	}
	// An insert is tried again, shortly, while the database is away: a
	// job is unique by its key, so one that went in before its answer was
	// lost is found, not doubled.
	var res *rivertype.JobInsertResult
	err = q.cfg.Store.RetryFor(ctx, submitRetryFor, func() (err error) {
		res, err = q.client.Insert(ctx, a, nil)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("queue: %w", err)
	}
	if res.UniqueSkippedAsDuplicate {
		var prev RunArgs
		if err := decodeArgs(res.Job.EncodedArgs, &prev); err == nil {
			return prev.RunID, true, nil
		}
		return a.RunID, true, nil
	}
	q.metrics.submitted.Inc()
	return a.RunID, false, nil
}

// runWorker works queued runs.
type runWorker struct {
	river.WorkerDefaults[RunArgs]
	q *Queue
}

// Timeout implements river.Worker: a run has the playbook's own.
func (w *runWorker) Timeout(*river.Job[RunArgs]) time.Duration { return -1 }

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	return w.q.work(ctx, job)
}

// work runs one queued run here, start to end.
func (q *Queue) work(ctx context.Context, job *river.Job[RunArgs]) error {
	a := job.Args
	q.metrics.latency.Observe(max(time.Since(job.CreatedAt), 0).Seconds())
	switch seen, err := q.cfg.Store.Recorded(ctx, a.RunID); {
	case err != nil && cancelledRemotely(ctx):
		return q.cancelledAsTaken(ctx, a, job.CreatedAt)
	case err != nil:
		// The database stayed away: the job goes back to the queue, as a
		// failed job would be dropped (River tries a job once).
		q.log.Warn().Err(err).Str("run_id", a.RunID).Msg("could not check whether the queued run started before; it waits in the queue")
		return q.snooze(job)
	case seen:
		// The run was started before: this is a job River rescued after
		// its replica died, and the reaper has decided about the run.
		return nil
	}
	switch held, err := q.inLineElsewhere(ctx, a.RunID); {
	case err != nil && cancelledRemotely(ctx):
		return q.cancelledAsTaken(ctx, a, job.CreatedAt)
	case err != nil:
		q.log.Warn().Err(err).Str("run_id", a.RunID).Msg("could not check whether the queued run waits on another replica; it waits in the queue")
		return q.snooze(job)
	case held:
		q.log.Debug().Str("run_id", a.RunID).Msg("the queued run still waits for its concurrency group on the replica that took it before; it waits in the queue")
		return q.snooze(job)
	}
	if err := q.sealer.open(&a); err != nil {
		return q.recordNeverRan(ctx, a, job.CreatedAt, report.StatusFailed, ops.ClassSystem, err.Error())
	}
	pb, ok := q.cfg.Playbook(a.Playbook)
	if !ok {
		host, _ := os.Hostname()
		return q.recordNeverRan(ctx, a, job.CreatedAt, report.StatusFailed, ops.ClassSystem,
			fmt.Sprintf("the replica on %s that took the run has no playbook %q: every replica must serve the same playbooks", host, a.Playbook))
	}
	if cancelledRemotely(ctx) {
		return q.cancelledAsTaken(ctx, a, job.CreatedAt)
	}
	claim, started := startSignal(q.claim(job))
	caller := runs.Caller{Roles: a.Roles, Name: a.Caller, From: a.From, Trigger: a.Trigger, Slot: a.Slot}
	h, err := q.cfg.Manager.StartClaimed(context.WithoutCancel(ctx), runs.Request{
		RunID: a.RunID, Playbook: pb, Inputs: a.Inputs, DryRun: a.DryRun, Ask: a.Ask, Policy: q.cfg.Policy(), Env: q.cfg.Env,
		Requeue: true,
		Recheck: q.recheck(a),
		Caller:  caller,
	}, claim)
	var pe *runs.PrepareError
	switch {
	case errors.Is(err, runs.ErrQueueFull), errors.Is(err, runs.ErrShuttingDown):
		return q.snooze(job) // back to the queue, for any replica
	case errors.As(err, &pe) && pe.Field == "roles":
		// A reload here took its roles away while it waited: refused
		// for authorization, and audited as such.
		why := "not started: under the policy in force now, " + err.Error() + "; nothing ran"
		q.cfg.Manager.Service().AuditRefusedStart(a.RunID, pb.File, pb.SHA256, caller, why)
		return q.recordNeverRan(ctx, a, job.CreatedAt, report.StatusFailed, ops.ClassAuthorization, why)
	case err != nil:
		return q.recordNeverRan(ctx, a, job.CreatedAt, report.StatusFailed, ops.ClassValidation, err.Error())
	}
	q.mu.Lock()
	q.local[a.RunID] = h
	q.mu.Unlock()
	defer q.dropLocal(a.RunID, h)
	if by, ok := q.cancelRequested(ctx, a.RunID); ok {
		h.Cancel(fmt.Errorf("cancelled through the API by %s", by))
	}
	relayed := q.publish(a.RunID, pb, h)
	// When River stops this replica, the manager's shutdown cancels the
	// run (its finally steps run), and it is recorded.
	q.await(ctx, h, pb, started)
	<-relayed
	if a.Ask {
		q.dropQuestions(context.WithoutCancel(ctx), a.RunID)
	}
	_, err = h.Wait(context.Background())
	switch {
	case errors.Is(err, runs.ErrShuttingDown):
		// This replica stopped while the run waited here for a place
		// (its concurrency group, the running limit): nothing of it is
		// recorded, and its job goes back to the queue for another.
		return q.snooze(job)
	case errors.Is(err, errTakenBack):
		q.log.Warn().Str("run_id", a.RunID).Str("playbook", a.Playbook).Msg(errTakenBack.Error())
		q.dropLocal(a.RunID, h)
		return q.letGo(ctx, job)
	case errors.Is(err, runs.ErrNotClaimed):
		// The database stayed away as the run was about to start:
		// nothing of it is recorded, and its job goes back to the queue.
		q.log.Warn().Err(err).Str("run_id", a.RunID).Msg("could not record the start of the queued run; it waits in the queue")
		return q.snooze(job)
	}
	return nil
}

// dropLocal forgets h, the handle of a run this replica executed, unless
// another worker here has the run now.
func (q *Queue) dropLocal(runID string, h *runs.Handle) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.local[runID] == h {
		delete(q.local, runID)
	}
}

// cancelledRemotely tells whether River cancelled the job's context
// because the job was cancelled (Cancel found the run waiting, and this
// worker had just taken it).
func cancelledRemotely(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely)
}

// cancelledAsTaken records a run cancelled through the API just as this
// worker took its job, before it started: Cancel saw the job waiting and
// left the record to the worker that has it.
func (q *Queue) cancelledAsTaken(ctx context.Context, a RunArgs, queued time.Time) error {
	ctx = context.WithoutCancel(ctx)
	if seen, err := q.cfg.Store.Recorded(ctx, a.RunID); err != nil || seen {
		return err // started before (a rescued job), or the store is away
	}
	by, _ := q.cancelRequested(ctx, a.RunID)
	return q.recordNeverRan(ctx, a, queued, report.StatusCancelled, ops.ClassCancelled, runs.NotStarted("cancelled through the API by "+by))
}

// recordNeverRan records a run that could not start, queued at queued,
// with the report a front end would have got, and ends its job. The run
// lasted from when it was queued (the started_at it was listed with while
// it waited) until now; its playbook and inputs are told from this
// replica's copy, as the run service's report of a run cancelled while it
// waited tells them (its inputs resolved, defaults filled in, and each
// step skipped saying why, with the decision it would have had), where
// it has one. The report is
// kept in the database, so that every replica answers with it.
func (q *Queue) recordNeverRan(ctx context.Context, a RunArgs, queued time.Time, status report.Status, class ops.Class, why string) error {
	now := time.Now()
	start := now
	if !queued.IsZero() && queued.Before(now) {
		start = queued
	}
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: a.RunID, Playbook: report.Playbook{Name: a.Playbook},
		Roles: a.Roles, Inputs: map[string]any{}, Status: status, DryRun: a.DryRun,
		StartedAt: start, FinishedAt: now, DurationMS: now.Sub(start).Milliseconds(), Steps: []report.Step{}, Outputs: map[string]any{},
		Error: &report.Error{Class: string(class), Message: why}}
	if rep.Roles == nil {
		rep.Roles = []string{}
	}
	var pbPath string
	if pb, ok := q.cfg.Playbook(a.Playbook); ok {
		rep.Playbook = report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256}
		pbPath = pb.AbsPath() // as a run that started records it
		reason := "not run: the run could not start"
		if status == report.StatusCancelled {
			reason = "not run: cancelled while waiting in the queue"
		}
		given, _ := q.OpenInputs(a)
		if in, err := q.MaskedInputs(a, pb); err == nil {
			rep.Inputs = in // as the run would show them
		}
		rep.Steps = q.cfg.Manager.Service().NotRunSteps(q.cfg.Policy(), a.Roles, pb, given, q.cfg.Env, reason)
	}
	if key, err := q.cfg.Store.ReportKey(ctx); err == nil {
		report.Sign(rep, key)
	}
	if err := q.cfg.Store.RecordNeverRan(ctx, history.Finished{Report: rep, PlaybookPath: pbPath, Trigger: history.Trigger(a.Trigger), StartedBy: a.Caller, Slot: a.Slot}); err != nil {
		return err
	}
	q.publishFinal(ctx, rep)
	// The line a run the run service never started ends with.
	q.log.WithLevel(engine.RunEndLevel(status)).Str("run_id", a.RunID).Str("playbook", a.Playbook).Str("status", string(status)).Int64("duration_ms", rep.DurationMS).
		Str("error_class", string(class)).Str("error", why).Msg("run finished")
	return river.JobCancel(errors.New(why))
}
