package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// queueRun hands an API run to the queue, after checking it as Start
// would: a bad request is refused here (400), and a run the preflight
// denies is not queued (handled is false: the caller starts it here,
// where it is recorded denied and answered 403). Otherwise the run is
// queued, any replica runs it, and the answer is 202 with its id (or,
// with ?wait=, its report once it ended).
func (s *Server) queueRun(w http.ResponseWriter, r *http.Request, req runs.Request, wait time.Duration) (handled bool, e *apiError) {
	denied, err := s.mgr.Service().Denials(r.Context(), req)
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
	id, _, err := q.Submit(r.Context(), queue.RunArgs{
		Playbook: req.Playbook.Name, Inputs: req.Inputs, DryRun: req.DryRun,
		Ask:   req.Ask,
		Roles: req.Caller.Roles, Caller: req.Caller.Name, From: req.Caller.From, Trigger: runs.TriggerAPI,
	})
	if err != nil {
		if e := storeError(err); e.Status == http.StatusServiceUnavailable {
			return true, unavailable(storeRetryAfter, "the run could not be queued: the database is unreachable; try again shortly: %v", err)
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
	status := "queued"
	if h, ok := s.mgr.Get(id); ok {
		status = h.Status()
	}
	writeJSON(w, http.StatusAccepted, runStarted{RunID: id, Status: status, Links: links(id)})
	return true, nil
}

// queuedReport is the report of a run still waiting in the queue, or nil.
func (s *Server) queuedReport(ctx context.Context, id string) *report.Report {
	if s.cfg.Queue == nil {
		return nil
	}
	j, err := s.cfg.Queue.Find(ctx, id)
	if err != nil || (j.State != "available" && j.State != "scheduled" && j.State != "retryable" && j.State != "pending" && j.State != "running") {
		return nil
	}
	return &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: j.Args.Playbook},
		Roles: j.Args.Roles, Inputs: map[string]any{}, Status: report.Status(runs.StateQueued), Steps: []report.Step{}, Outputs: map[string]any{}}
}

// cancelQueued cancels a run this process does not hold: one waiting in
// the queue, or running on another replica. The caller that started it
// may, and anyone whose roles may run its playbook.
func (s *Server) cancelQueued(w http.ResponseWriter, r *http.Request, id string, c *Principal) *apiError {
	ctx := r.Context()
	if e := s.mayActQueued(ctx, id, c, "cancel"); e != nil {
		return e
	}
	if err := s.cfg.Queue.Cancel(ctx, id, c.Name); err != nil {
		return storeError(fmt.Errorf("cancel run %s: %w", id, err))
	}
	writeJSON(w, http.StatusAccepted, runStarted{RunID: id, Status: "cancelling", Links: links(id)})
	return nil
}

// mayActQueued finds a queued run, or one running on any replica, and
// lets the caller that started it act on it, and anyone who could have
// started that same run, inputs included: 404 for no such run, 409 for
// one that ended. A job's inputs are sealed, so they are read from the
// run's handle when this replica runs it; elsewhere they cannot be read,
// and a caller whose roles need a grant is refused.
func (s *Server) mayActQueued(ctx context.Context, id string, c *Principal, what string) *apiError {
	var playbook, caller string
	var trigger runs.Trigger
	var inputs map[string]any // nil: they cannot be read here
	j, jerr := s.cfg.Queue.Find(ctx, id)
	run, herr := s.mgr.Service().History().Get(ctx, id)
	switch {
	case herr == nil && run.Status != history.StatusRunning:
		return errorf(http.StatusConflict, ClassConflict, "run %s already ended: %s", id, run.Status)
	case jerr == nil:
		playbook, caller, trigger = j.Args.Playbook, j.Args.Caller, j.Args.Trigger
		if len(j.Args.Sealed) == 0 {
			// Nothing sealed: the job holds its inputs in clear, or none.
			inputs = maps.Clone(j.Args.Inputs)
			if inputs == nil {
				inputs = map[string]any{}
			}
		}
	case herr == nil:
		playbook = run.Playbook
	case postgres.Unreachable(herr):
		return storeError(herr)
	default:
		return notFound("no run %q", id)
	}
	if startedBy(trigger, caller, c) {
		return nil
	}
	if h, ok := s.mgr.Get(id); ok {
		inputs = h.Inputs()
	}
	return s.mayActOn(id, playbook, inputs, c, what)
}

// queuedQuestions answers GET /api/v1/runs/{id}/questions for a queued
// run, from the questions the replica running it shared.
func (s *Server) queuedQuestions(w http.ResponseWriter, r *http.Request, id string, c *Principal) *apiError {
	mayAct := s.mayActQueued(r.Context(), id, c, "answer")
	if mayAct != nil && mayAct.Status != http.StatusForbidden {
		return mayAct
	}
	asked, err := s.cfg.Queue.Questions(r.Context(), id)
	if err != nil {
		return storeError(err)
	}
	out := make([]runs.Question, len(asked))
	for i, a := range asked {
		out[i] = a.Question
	}
	writeJSON(w, http.StatusOK, questionsAnswer{Questions: out, MayAct: mayAct == nil})
	return nil
}

// answerQueued answers a question of a queued run through the shared
// store, auditing the answer here, where it was received. A question
// that has not reached the store yet, of a run this replica runs, is
// answered through the run's handle (which audits it).
func (s *Server) answerQueued(ctx context.Context, id string, ans runs.Answer) error {
	svc := s.mgr.Service()
	err := s.cfg.Queue.Answer(ctx, id, ans, func(a queue.Asked) error {
		return svc.AuditAnswer(a.Question, a.PlaybookFile, a.SHA256, ans)
	})
	if errors.Is(err, queue.ErrNotShared) {
		if h, ok := s.mgr.Get(id); ok {
			return h.Answer(ans)
		}
	}
	return err
}
