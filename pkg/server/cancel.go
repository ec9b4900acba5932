package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// POST /api/v1/runs/{id}/cancel
func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	id := r.PathValue("id")
	h, ok := s.mgr.Get(id)
	if !ok && s.cfg.Queue != nil {
		return s.cancelQueued(w, r, id, c)
	}
	if !ok {
		if store := s.mgr.Service().History(); store != nil {
			run, err := within(r.Context(), storeReadBound, func(ctx context.Context) (history.Run, error) { return store.Get(ctx, id) })
			if err == nil {
				if run.Status == history.StatusRunning {
					return errorf(http.StatusConflict, ClassConflict, "run %s runs in another arsenal-run process; cancel it there", id)
				}
				return alreadyEnded(id, run.Status)
			}
			if unreachable(err) {
				return storeError(err)
			}
		}
		return s.noRun(r.Context(), id)
	}
	if h.State() == runs.StateEnded {
		return alreadyEnded(id, h.Status())
	}
	var file, sha string
	if pb := h.RunPlaybook(); pb != nil {
		file, sha = pb.File, pb.SHA256
	}
	if e := s.mayAct(h, c, "cancel"); e != nil {
		return s.auditRefused(r, c, id, file, sha, auth.ActionCancel, e)
	}
	var auditErr error
	audited := false
	audit := func() error {
		auditErr = s.mgr.Service().AuditCancel(id, file, sha, canceller(r, c))
		audited = auditErr == nil
		return auditErr
	}
	once := audit
	if q := s.cfg.Queue; q != nil {
		// Other replicas take cancels of this run too (cancelQueued):
		// the shared store's once, not this handle's alone, decides
		// which cancel is the first, and it alone is audited.
		// A database that cannot be reached does not keep the run
		// from being stopped here: it is cancelled and audited as a
		// replica alone would.
		once = func() error {
			first, err := within(r.Context(), storeWriteBound, func(ctx context.Context) (bool, error) { return q.CancelOnce(ctx, id, c.Name, audit, nil) })
			switch {
			case err != nil && audited:
				return nil // the store failed to commit what was audited
			case err != nil && auditErr == nil && unreachable(err):
				return audit()
			case err == nil && !first:
				return errCancelledElsewhere
			}
			return err
		}
	}
	first, err := h.CancelOnce(fmt.Errorf("cancelled through the API by %s", c.Name), once)
	switch {
	case errors.Is(err, errCancelledElsewhere):
		// Through another replica, a moment ago: CancelOnce relayed
		// that cancel to the run here, in its first caller's name.
		return beingCancelled(id)
	case err != nil && auditErr == nil:
		return storeError(fmt.Errorf("cancel run %s: %w", id, err))
	case err != nil:
		return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
	}
	if !first {
		// A second cancel (a retry, a second operator) does not cancel
		// or audit again: the run is on its way to its end already.
		return beingCancelled(id)
	}
	writeJSON(w, http.StatusAccepted, runStarted{RunID: id, Status: "cancelling", Links: links(id)})
	return nil
}

// errCancelledElsewhere is a cancel of a run held here that another
// replica took first.
var errCancelledElsewhere = errors.New("the run is being cancelled through another replica")

// beingCancelled is the answer to a cancel of a run that someone asked
// to stop already.
func beingCancelled(id string) *apiError {
	e := errorf(http.StatusConflict, ClassConflict, "run %s is being cancelled already; GET /api/v1/runs/%s shows when it ends", id, id)
	e.RunID, e.Reason = id, ReasonBeingCancelled
	return e
}

// alreadyEnded is the answer to an action on a run that ended with
// status.
func alreadyEnded[S ~string](id string, status S) *apiError {
	e := errorf(http.StatusConflict, ClassConflict, "run %s already ended: %s", id, status)
	e.RunID, e.Reason = id, ReasonEnded
	return e
}

// auditRefused audits an action the policy refused the caller (e, a 403):
// who tried what on which run or schedule, and why, so that the audit
// log holds the attempts as well as what was done. It returns e.
func (s *Server) auditRefused(r *http.Request, c *Principal, runID, file, sha, action string, e *apiError) *apiError {
	if e != nil && e.Status == http.StatusForbidden {
		s.mgr.Service().AuditRefused(runID, file, sha, canceller(r, c), action, e.Message)
	}
	return e
}

// auditRefusedAnswer is auditRefused for an answer to a confirm:
// question: the line names the step asked about and the answer given.
func (s *Server) auditRefusedAnswer(runID, file, sha string, ans runs.Answer, e *apiError) *apiError {
	if e != nil && e.Status == http.StatusForbidden {
		s.mgr.Service().AuditRefusedAnswer(runID, file, sha, ans, e.Message)
	}
	return e
}

// canceller is who cancels a run through the API, as the audit log
// names them.
func canceller(r *http.Request, c *Principal) runs.Caller {
	return runs.Caller{Name: c.Name, Roles: c.Roles, From: clientAddr(r), Trigger: runs.TriggerAPI}
}

// cancelQueued cancels a run this process does not hold: one waiting in
// the queue, or running on another replica. The caller that started it
// may, and anyone whose roles may run its playbook. The cancel is audited
// here, where it was received, as an answer is.
func (s *Server) cancelQueued(w http.ResponseWriter, r *http.Request, id string, c *Principal) *apiError {
	ctx := r.Context()
	q, e := s.lookupQueued(ctx, id)
	if e != nil {
		return e
	}
	if e := s.mayActOnQueued(id, q, c, "cancel"); e != nil {
		return s.auditRefused(r, c, id, q.playbook, q.sha256, auth.ActionCancel, e)
	}
	file, sha := q.playbook, q.sha256
	if pb, _ := s.queuedPlaybook(s.current(), id, q); pb != nil {
		file, sha = pb.File, pb.SHA256
	}
	var auditErr error
	audit := func() error {
		auditErr = s.mgr.Service().AuditCancel(id, file, sha, canceller(r, c))
		return auditErr
	}
	// The line audit wrote is followed by one that says so when the
	// database does not take the cancel after all.
	failed := func(err error) {
		s.mgr.Service().AuditCancelFailed(id, file, sha, canceller(r, c), err, errors.Is(err, queue.ErrCancelUnconfirmed))
	}
	cancel := func(ctx context.Context) (bool, error) { return s.cfg.Queue.CancelOnce(ctx, id, c.Name, audit, failed) }
	first, err := within(ctx, storeWriteBound, cancel)
	if auditErr != nil {
		return errorf(http.StatusInternalServerError, ClassInternal, "%v", auditErr)
	}
	if err != nil {
		return storeError(fmt.Errorf("cancel run %s: %w", id, err))
	}
	if !first {
		return beingCancelled(id)
	}
	writeJSON(w, http.StatusAccepted, runStarted{RunID: id, Status: "cancelling", Links: links(id)})
	return nil
}
