package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// queueRun hands an API run to the queue, after checking it as Start
// would: a bad request is refused here (400), and a run the preflight
// denies is not queued (handled is false: the caller starts it here,
// where it is recorded denied and answered 403). Otherwise the run is
// queued, any replica runs it, and the answer is 202 with its id (or,
// with ?wait=, its report once it ended). A queue that holds its bound of
// waiting runs is 429 (see roomInQueue). The admission waits for the
// database at most storeWriteBound in all, then answers 503: a database
// that refuses connections is tried again meanwhile, and one that a
// partition makes silent is not waited for longer.
func (s *Server) queueRun(w http.ResponseWriter, r *http.Request, req runs.Request, c *Principal, wait time.Duration) (handled bool, e *apiError) {
	ctx, cancel := storeBound(r.Context(), storeWriteBound)
	defer cancel()
	denied, err := s.mgr.Service().Denials(ctx, req)
	if err != nil {
		var pe *runs.PrepareError
		if errors.As(err, &pe) && pe.Field == "inputs" {
			return true, inputError(pe.Err)
		}
		return true, s.prepareError(err, "inputs")
	}
	if len(denied) > 0 {
		return false, nil
	}
	q := s.cfg.Queue
	if e := s.roomInQueue(ctx); e != nil {
		return true, e
	}
	id, _, err := q.Submit(ctx, queue.RunArgs{
		Playbook: req.Playbook.Name, Inputs: req.Inputs, DryRun: req.DryRun,
		Ask:   req.Ask,
		Roles: req.Caller.Roles, Caller: req.Caller.Name, From: req.Caller.From, Trigger: runs.TriggerAPI,
		Via: c.Via, KeyPrint: c.print,
	})
	s.admit.done() // in the queue now, or not at all
	err = noAnswer(ctx, err)
	if err != nil {
		if unreachable(err) {
			return true, unavailable(storeRetryAfter, "the run could not be queued: %s", storeTrouble(err))
		}
		return true, errorf(http.StatusInternalServerError, ClassInternal, "the run could not be queued: %v", err)
	}
	if wait > 0 {
		s.lift(w, wait)
		done, _ := q.Await(id)
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		select {
		case <-done:
			rep, e := s.report(r.Context(), id)
			if e != nil {
				return true, e
			}
			writeJSON(w, http.StatusOK, rep)
			return true, nil
		case <-ctx.Done():
		case <-s.stopCtx.Done():
		}
	}
	answer := runStarted{RunID: id, Status: string(runs.StateQueued), Links: links(id)}
	if h, ok := s.mgr.Get(id); ok { // a worker of this replica took it
		answer = s.started(h)
	} else {
		answer.Waiting = s.inLine(r.Context(), id)
	}
	if answer.Warnings == nil && req.Playbook != nil {
		// Said now, as a run started here says it: the replica that
		// takes the run from the queue says it in the run's report.
		if w := s.mgr.Service().FileWarning(req.Playbook); w != "" {
			answer.Warnings = []string{w}
		}
	}
	writeJSON(w, http.StatusAccepted, answer)
	return true, nil
}

// roomInQueue refuses a run (429, with Retry-After) while the shared
// queue holds the bound of waiting runs (Config.MaxQueued), counting the
// runs being queued through this replica at the same moment (see
// admission). Otherwise the run is admitted, and the caller calls
// s.admit.done once it is in the queue (or failed to go in). The bound is
// the whole queue's, not this replica's: every replica reads the same
// depth. Requests at the same moment through different replicas do not
// see each other's runs until they are in the queue, so the queue may
// pass the bound by as many.
func (s *Server) roomInQueue(ctx context.Context) *apiError {
	bound, shown := s.cfg.MaxQueued, s.cfg.MaxQueued
	switch {
	case bound == 0:
		bound, shown = runs.DefaultMaxQueued, runs.DefaultMaxQueued
	case bound < 0:
		// --max-queued 0: no run waits behind another. A run admitted
		// goes into the queue too, for a free worker to take, so it is
		// admitted while none waits there (a bound of 0 refused all).
		bound, shown = 1, 0
	}
	var waiting int
	before := s.admit.begin()
	read := func() (err error) {
		waiting, _, err = s.cfg.Queue.Depth(ctx)
		return err
	}
	// A database that restarts is waited for, as Submit waits, within
	// the admission's bound.
	var err error
	if rs, ok := s.mgr.Service().History().(retrier); ok {
		err = rs.RetryFor(ctx, storeWriteBound, read)
	} else {
		err = read()
	}
	if err = noAnswer(ctx, err); err != nil {
		if unreachable(err) {
			return unavailable(storeRetryAfter, "the run could not be queued: %s", storeTrouble(err))
		}
		return errorf(http.StatusInternalServerError, ClassInternal, "the run could not be queued: the queue's depth cannot be read: %v", err)
	}
	if ahead, ok := s.admit.try(before, waiting, bound); !ok {
		return tooMany(queueFullRetryAfter, "the shared queue is full: %d runs wait in it or are going in, and --max-queued is %d; try again once some have started", ahead, shown)
	}
	return nil
}

// admission counts the runs being queued through one server, so that
// requests at the same moment do not all pass the queue's bound: the
// depth a request reads misses the runs still going in, and those that
// went in while it read. A request takes the count before it reads the
// depth (begin) and adds, when it checks (try), the runs in flight then
// and those admitted since: it may count a run twice, never miss one.
// Only admitted runs count, so that requests refused at the same moment
// do not refuse each other.
type admission struct {
	mu       sync.Mutex
	inFlight int    // admitted, not yet in the queue (or failed)
	admitted uint64 // ever admitted
}

// admissionMark is the count a request took before reading the depth.
type admissionMark struct {
	inFlight int
	admitted uint64
}

func (a *admission) begin() admissionMark {
	a.mu.Lock()
	defer a.mu.Unlock()
	return admissionMark{a.inFlight, a.admitted}
}

// try admits a run unless waiting (the depth read since mark) and the
// runs of this server it may miss reach bound; it returns that count.
func (a *admission) try(mark admissionMark, waiting, bound int) (ahead int, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ahead = waiting + mark.inFlight + int(a.admitted-mark.admitted)
	if ahead >= bound {
		return ahead, false
	}
	a.inFlight++
	a.admitted++
	return ahead, true
}

// done ends the admission of a run: it is in the queue, or failed.
func (a *admission) done() {
	a.mu.Lock()
	a.inFlight--
	a.mu.Unlock()
}

// queueFullRetryAfter is the Retry-After of a run refused for a full
// queue, as a full queue of one host answers.
const queueFullRetryAfter = 5 * time.Second

// retrier is a store that tries an idempotent statement again while the
// database is away (postgres.Store).
type retrier interface {
	RetryFor(ctx context.Context, d time.Duration, f func() error) error
}

// findQueued is the report of a run still waiting in the queue; nil when
// there is no such run, or an error when the queue cannot be read in time
// (storeReadBound).
func (s *Server) findQueued(ctx context.Context, id string) (*report.Report, error) {
	if s.cfg.Queue == nil {
		return nil, nil
	}
	j, err := within(ctx, storeReadBound, func(ctx context.Context) (queue.Job, error) { return s.cfg.Queue.Find(ctx, id) })
	if err != nil {
		if unreachable(err) {
			return nil, err
		}
		return nil, nil
	}
	if j.State != "available" && j.State != "scheduled" && j.State != "retryable" && j.State != "pending" && j.State != "running" {
		return nil, nil
	}
	// started_at is when it was queued, as for a run queued in this
	// process (see report), not the zero time.
	pb, inputs := s.queuedInputs(j.Args)
	return &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: pb,
		Roles: j.Args.Roles, Inputs: inputs, DryRun: j.Args.DryRun, Status: report.Status(runs.StateQueued), Steps: []report.Step{}, Outputs: map[string]any{},
		StartedAt: j.Queued.UTC()}, nil
}

// queuedInputs are the playbook and the inputs of a run waiting in the
// shared queue as its report will show them: the job names its playbook
// only, and every replica serves the same, so the path and digest are
// this replica's copy's, which masks the inputs as the run will (a secret
// input is redact.Mask, and its text masked inside the others). The job
// keeps its inputs sealed; where they do not open, or the playbook is not
// served here (so that which input is secret is unknown), none are shown.
func (s *Server) queuedInputs(a queue.RunArgs) (report.Playbook, map[string]any) {
	pb, ok := s.current().Playbooks.Get(a.Playbook)
	if !ok {
		return report.Playbook{Name: a.Playbook}, map[string]any{}
	}
	shown := report.Playbook{Name: pb.Name, Path: pb.File, SHA256: pb.SHA256}
	in, err := s.cfg.Queue.MaskedInputs(a, pb)
	if err != nil {
		return shown, map[string]any{}
	}
	return shown, in
}

// waitingRuns lists, for GET /api/v1/runs, the runs waiting in the shared
// queue that f selects (none without a queue, or for statuses without
// queued): those no replica took yet, and those a replica took that wait
// there for their concurrency group, which only that replica's run service
// holds. Each is queued, started when it was queued, and says in waiting
// what it waits for (see sharedPlace).
func (s *Server) waitingRuns(ctx context.Context, f history.Filter) ([]runInfo, error) {
	if s.cfg.Queue == nil || !f.HasStatus(report.Status(runs.StateQueued)) {
		return nil, nil
	}
	wf := queue.WaitingFilter{Playbook: f.Playbook, Trigger: runs.Trigger(f.Trigger), Before: f.Before, BeforeID: f.BeforeID, Limit: f.Limit}
	jobs, err := within(ctx, storeReadBound, func(ctx context.Context) ([]queue.Job, error) { return s.cfg.Queue.Waiting(ctx, wf) })
	if err != nil {
		return nil, err
	}
	out := make([]runInfo, 0, len(jobs))
	for _, j := range jobs {
		a := j.Args
		info := runInfo{ID: a.RunID, Playbook: a.Playbook, Status: string(runs.StateQueued), Trigger: string(a.Trigger),
			StartedBy: a.Caller, DryRun: a.DryRun, Roles: a.Roles, StartedAt: j.Queued.UTC(),
			Waiting: s.sharedPlace(j)}
		// Newest first: those queued since f.Since are the ones before
		// the first that is not, and the limit takes from them alone.
		if !fromSince(f, info) {
			break
		}
		out = append(out, info)
	}
	return out, nil
}

// sharedPlace is where run j stands in the shared queue (see
// runs.Manager.SharedPlace): whether it may wait for a concurrency group
// is its playbook's, as this replica serves it.
func (s *Server) sharedPlace(j queue.Job) *runs.Place {
	pb, ok := s.current().Playbooks.Get(j.Args.Playbook)
	inGroup := ok && pb.Concurrency != nil && !j.Args.DryRun
	return s.mgr.SharedPlace(j.Ahead, j.State == "running", inGroup)
}

// inLine is where run id stands in the shared queue (see sharedPlace),
// or nil when it does not wait there (it started meanwhile, or ended) or
// the queue cannot be read in time: the answer it goes into says queued
// all the same, as the listing would have a moment before.
func (s *Server) inLine(ctx context.Context, id string) *runs.Place {
	if s.cfg.Queue == nil {
		return nil
	}
	ctx, cancel := storeBound(ctx, storeReadBound)
	defer cancel()
	j, ok, err := s.cfg.Queue.InLine(ctx, id)
	if err != nil || !ok {
		return nil
	}
	return s.sharedPlace(j)
}

// queuedRun is what the store holds of a queued run, or of one running on
// any replica: enough to decide who may act on it.
type queuedRun struct {
	playbook, caller string
	sha256           string // of the playbook file it runs; "" until it starts
	trigger          runs.Trigger
	roles            []string
	inputs           map[string]any // nil: they cannot be read here
	job              *queue.RunArgs // its job's, inputs sealed; nil without one
}

// lookupQueued finds a queued run, or one running on any replica: 404 for
// no such run, 409 for one that ended. The inputs are read from the run's
// handle when this replica runs it; a job's are sealed, and opened once
// the playbook that resolves them is known (see mayActOnQueued).
func (s *Server) lookupQueued(ctx context.Context, id string) (queuedRun, *apiError) {
	var q queuedRun
	j, jerr := within(ctx, storeReadBound, func(ctx context.Context) (queue.Job, error) { return s.cfg.Queue.Find(ctx, id) })
	h := s.mgr.Service().History()
	run, herr := within(ctx, storeReadBound, func(ctx context.Context) (history.Run, error) { return h.Get(ctx, id) })
	switch {
	case herr == nil && run.Status != history.StatusRunning:
		return q, alreadyEnded(id, run.Status)
	case jerr == nil:
		if herr == nil {
			q.sha256 = run.SHA256
		}
		q.playbook, q.caller, q.trigger, q.roles = j.Args.Playbook, j.Args.Caller, j.Args.Trigger, j.Args.Roles
		q.job = &j.Args
	case herr == nil:
		q.playbook, q.roles, q.sha256 = run.Playbook, run.Roles, run.SHA256
	case unreachable(herr):
		return q, storeError(herr)
	case unreachable(jerr):
		return q, storeError(jerr)
	default:
		return q, s.noRun(ctx, id)
	}
	if h, ok := s.mgr.Get(id); ok {
		q.inputs = h.Inputs()
	}
	return q, nil
}

// mayActOnQueued lets the caller that started a queued run, or one
// running on any replica (see lookupQueued), act on it, and anyone who
// could have started that same run, inputs included. Where its inputs
// cannot be read (they do not open with this database's queue key, or do
// not resolve), a caller whose roles need a grant is refused.
func (s *Server) mayActOnQueued(id string, q queuedRun, c *Principal, what string) *apiError {
	if startedBy(q.trigger, q.caller, c) {
		return nil
	}
	st := s.current()
	pb, why := s.queuedPlaybook(st, id, q)
	if q.inputs == nil && q.job != nil && pb != nil {
		q.inputs = s.jobInputs(pb, *q.job)
	}
	return s.mayActOn(st, id, pb, why, q.inputs, c, what)
}

// jobInputs are the inputs of a run still in the queue as they will be
// once it runs here (see runs.Service.RunInputs), to judge who may act on
// it as on a running run: opened, resolved by pb, a secret masked; nil
// when they do not open or resolve. They never go into an answer.
func (s *Server) jobInputs(pb *steps.Playbook, a queue.RunArgs) map[string]any {
	given, err := s.cfg.Queue.OpenInputs(a)
	if err != nil {
		return nil
	}
	in, err := s.mgr.Service().RunInputs(pb, given, s.cfg.Env)
	if err != nil {
		return nil
	}
	return in
}

// queuedPlaybook is runPlaybook for a queued run, or one running on any
// replica.
func (s *Server) queuedPlaybook(st *loaded, id string, q queuedRun) (*steps.Playbook, string) {
	h, _ := s.mgr.Get(id)
	return s.runPlaybook(st, h, q.playbook, q.sha256)
}

// queuedQuestions answers GET /api/v1/runs/{id}/questions for a queued
// run, from the questions the replica running it shared.
func (s *Server) queuedQuestions(w http.ResponseWriter, r *http.Request, id string, c *Principal) *apiError {
	q, e := s.lookupQueued(r.Context(), id)
	if e != nil {
		return e
	}
	mayAct := s.mayActOnQueued(id, q, c, "answer")
	if mayAct != nil && mayAct.Status != http.StatusForbidden {
		return mayAct
	}
	asked, err := within(r.Context(), storeReadBound, func(ctx context.Context) ([]queue.Asked, error) { return s.cfg.Queue.Questions(ctx, id) })
	if err != nil {
		return storeError(err)
	}
	open := make([]runs.Question, len(asked))
	for i, a := range asked {
		open[i] = a.Question
	}
	approve := func(runs.Question) *apiError { return nil }
	if mayAct == nil {
		st := s.current()
		pb, why := s.queuedPlaybook(st, id, q)
		approve = s.approveFor(st, id, pb, why, q.trigger, q.caller, q.roles, open, c)
	}
	writeJSON(w, http.StatusOK, judgeQuestions(open, mayAct, approve))
	return nil
}

// answerQueued answers a question of a queued run through the shared
// store, auditing the answer here, where it was received. A question
// that has not reached the store yet, of a run this replica runs, is
// answered through the run's handle (which audits it).
func (s *Server) answerQueued(ctx context.Context, id string, ans runs.Answer) error {
	svc := s.mgr.Service()
	_, err := within(ctx, storeWriteBound, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.cfg.Queue.Answer(ctx, id, ans, func(a queue.Asked) error {
			return svc.AuditAnswer(a.Question, a.PlaybookFile, a.SHA256, ans)
		})
	})
	if errors.Is(err, queue.ErrNotShared) {
		if h, ok := s.mgr.Get(id); ok {
			return h.Answer(ans)
		}
	}
	return err
}
