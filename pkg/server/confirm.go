package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/queue"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// questionsAnswer lists a run's open confirm: questions, and whether the
// caller may answer them (and cancel the run); when not, Refused says why,
// as a cancel or an answer would be refused.
type questionsAnswer struct {
	Questions []question `json:"questions"`
	MayAct    bool       `json:"may_act"`
	Refused   string     `json:"refused,omitempty"`
}

// question is an open question and whether the caller may answer yes to
// it, judged as confirm judges a yes; when not, YesRefused says why. A no
// is the caller's whenever MayAct is.
type question struct {
	runs.Question
	MayApprove bool   `json:"may_approve"`
	YesRefused string `json:"yes_refused,omitempty"`
}

// judgeQuestions is the answer to GET /api/v1/runs/{id}/questions: open,
// with act (mayAct's refusal, or nil) and, for each question, approve's
// (the refusal a yes to it would get, or nil). A front end shows only
// what the caller may do, and says why not, by these, the same checks
// that cancel and confirm make.
func judgeQuestions(open []runs.Question, act *apiError, approve func(q runs.Question) *apiError) questionsAnswer {
	out := questionsAnswer{Questions: make([]question, len(open)), MayAct: act == nil}
	if act != nil {
		out.Refused = act.Message
	}
	for i, q := range open {
		out.Questions[i] = question{Question: q, MayApprove: act == nil}
		if act != nil {
			out.Questions[i].YesRefused = act.Message
			continue
		}
		if e := approve(q); e != nil {
			out.Questions[i].MayApprove, out.Questions[i].YesRefused = false, e.Message
		}
	}
	return out
}

// approveFor is how a yes of c to a question of run id is judged
// (mayApprove, after approvesAsStarter), for a run started by name with
// trigger and running with runRoles, its playbook pb (or nil and why not).
func (s *Server) approveFor(st *loaded, id string, pb *steps.Playbook, why string, trigger runs.Trigger, name string, runRoles []string,
	open []runs.Question, c *Principal) func(runs.Question) *apiError {
	return func(q runs.Question) *apiError {
		if approvesAsStarter(trigger, name, runRoles, c) {
			return nil
		}
		body := confirmRequest{Step: q.Step}
		if q.RunID != id {
			body.RunID = q.RunID
		}
		return s.mayApprove(st, id, pb, why, runRoles, open, body, c, startedBy(trigger, name, c))
	}
}

// GET /api/v1/runs/{id}/questions
func (s *Server) questions(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	id := r.PathValue("id")
	if s.sharedQuestions(id) {
		return s.queuedQuestions(w, r, id, c)
	}
	h, e := s.liveRun(r, id)
	if e != nil {
		return e
	}
	open, by, st := h.Questions(), h.Caller(), s.current()
	pb, why := s.runPlaybook(st, h, h.Playbook(), "")
	approve := s.approveFor(st, id, pb, why, by.Trigger, by.Name, by.Roles, open, c)
	writeJSON(w, http.StatusOK, judgeQuestions(open, s.mayAct(h, c, "answer"), approve))
	return nil
}

// sharedQuestions reports whether a run's questions are in the shared
// store: with the queue, for a run this replica does not hold outside it.
func (s *Server) sharedQuestions(id string) bool {
	if s.cfg.Queue == nil {
		return false
	}
	if _, ok := s.mgr.Get(id); ok {
		return s.cfg.Queue.Holds(id)
	}
	return true
}

// confirmRequest is the body of POST /api/v1/runs/{id}/confirm.
type confirmRequest struct {
	Step string `json:"step"`
	// RunID names the sub-run that asks (the confirm_asked event's
	// run_id); "" or the run's own id for its own steps.
	RunID  string `json:"run_id"`
	Answer string `json:"answer"`
}

// confirmed is the answer to POST /api/v1/runs/{id}/confirm.
type confirmed struct {
	RunID  string `json:"run_id"`
	Step   string `json:"step"`
	Answer string `json:"answer"`
	By     string `json:"by"`
}

// POST /api/v1/runs/{id}/confirm: answer a confirm: question of a run
// started with "ask": true. The answer is audited with who gave it and
// recorded in the report.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	var body confirmRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	if body.Step == "" {
		return badField("step", "give the step whose question this answers (the confirm_asked event's step)")
	}
	if body.Answer != "yes" && body.Answer != "no" {
		return badField("answer", "answer %q: give yes or no", body.Answer)
	}
	id := r.PathValue("id")
	ans := runs.Answer{RunID: body.RunID, Step: body.Step, Yes: body.Answer == "yes",
		By: runs.Caller{Name: c.Name, Roles: c.Roles, From: clientAddr(r), Trigger: runs.TriggerAPI}}
	var err error
	if s.sharedQuestions(id) {
		q, e := s.lookupQueued(r.Context(), id)
		if e != nil {
			return e
		}
		if e := s.mayActOnQueued(id, q, c, "answer"); e != nil {
			return s.auditRefusedAnswer(id, q.playbook, q.sha256, ans, e)
		}
		if pb, _ := s.queuedPlaybook(s.current(), id, q); pb != nil {
			if e := unknownStep(pb, id, body); e != nil {
				return e
			}
		}
		if ans.Yes && !approvesAsStarter(q.trigger, q.caller, q.roles, c) {
			if e := s.mayApproveQueued(r.Context(), id, q, body, c); e != nil {
				return s.auditRefusedAnswer(id, q.playbook, q.sha256, ans, e)
			}
		}
		err = s.answerQueued(r.Context(), id, ans)
	} else {
		h, e := s.liveRun(r, id)
		if e != nil {
			return e
		}
		var file, sha string
		if pb := h.RunPlaybook(); pb != nil {
			file, sha = pb.File, pb.SHA256
		}
		if e := s.mayAct(h, c, "answer"); e != nil {
			return s.auditRefusedAnswer(id, file, sha, ans, e)
		}
		if e := unknownStep(h.RunPlaybook(), id, body); e != nil {
			return e
		}
		if by := h.Caller(); ans.Yes && !approvesAsStarter(by.Trigger, by.Name, by.Roles, c) {
			st := s.current()
			pb, why := s.runPlaybook(st, h, h.Playbook(), "")
			if e := s.mayApprove(st, id, pb, why, by.Roles, h.Questions(), body, c, startedBy(by.Trigger, by.Name, c)); e != nil {
				return s.auditRefusedAnswer(id, file, sha, ans, e)
			}
		}
		err = h.Answer(ans)
	}
	switch {
	case errors.Is(err, runs.ErrNoQuestion):
		return errorf(http.StatusConflict, ClassConflict, "%v; answer a step once it asks, after its confirm_asked event: GET /api/v1/runs/%s/questions lists the questions waiting", err, r.PathValue("id"))
	case err != nil:
		return storeError(err)
	}
	if body.RunID != "" {
		id = body.RunID
	}
	writeJSON(w, http.StatusOK, confirmed{RunID: id, Step: body.Step, Answer: body.Answer, By: c.Name})
	return nil
}

// unknownStep refuses an answer for a step the run's playbook does not
// have: no wait makes it ask, unlike a step that has not asked yet (409).
// A sub-run's steps (run_id of another run) are not judged: its playbook
// is not known here.
func unknownStep(pb *steps.Playbook, id string, body confirmRequest) *apiError {
	if pb == nil || (body.RunID != "" && body.RunID != id) || pb.Step(body.Step) != nil {
		return nil
	}
	var names []string
	for _, st := range pb.AllSteps() {
		if st.Confirm != nil {
			names = append(names, st.ID)
		}
	}
	asks := "none of its steps has confirm:"
	if len(names) > 0 {
		asks = "its steps with confirm: are " + strings.Join(names, ", ")
	}
	return badField("step", "unknown step %q%s: playbook %s has no such step; %s (a sub-run's step needs run_id, the confirm_asked event's)",
		body.Step, suggest.DidYouMean(body.Step, names), pb.Name, asks)
}

// liveRun finds a run this process holds; a run it does not is 404, or
// 409 when history knows it ended or runs elsewhere.
func (s *Server) liveRun(r *http.Request, id string) (*runs.Handle, *apiError) {
	if h, ok := s.mgr.Get(id); ok {
		return h, nil
	}
	if store := s.mgr.Service().History(); store != nil {
		run, err := within(r.Context(), storeReadBound, func(ctx context.Context) (history.Run, error) { return store.Get(ctx, id) })
		if unreachable(err) {
			return nil, storeError(err)
		}
		if err == nil {
			if run.Status == history.StatusRunning {
				return nil, errorf(http.StatusConflict, ClassConflict, "run %s runs in another arsenal-run process; act on it there", id)
			}
			return nil, alreadyEnded(id, run.Status)
		}
	}
	return nil, s.noRun(r.Context(), id)
}

// approvesAsStarter reports whether c may answer yes to a question of a
// run without the step asked about being judged: c started the run
// (startedBy) and holds now the roles it runs with, so that its yes lets
// the run do only what those roles let it do. A starter whose roles
// changed since (the keys file reloaded: an admin cut to viewer) is judged
// by the roles it holds now, as any other approver is (mayApprove): a name
// carries no rights of its own. A cancel, or a no, stays the starter's by
// name (mayAct): it stops what the run does.
func approvesAsStarter(trigger runs.Trigger, name string, runRoles []string, c *Principal) bool {
	return startedBy(trigger, name, c) && sameRoles(runRoles, c.Roles)
}

// mayApprove lets a caller answer yes to a question of a run it did not
// start, or started with other roles than it holds now (starter), only
// when its roles allow the step asked about as the run's roles do
// (runs.Service.MayApprove). The question must be open (one of open) when
// they are judged: a yes let through before it opened would be taken by
// the question when it did, unjudged. pb is the run's playbook
// (runPlaybook), or nil and why not.
func (s *Server) mayApprove(st *loaded, id string, pb *steps.Playbook, why string, runRoles []string, open []runs.Question, body confirmRequest, c *Principal, starter bool) *apiError {
	runID := body.RunID
	if runID == "" {
		runID = id
	}
	i := slices.IndexFunc(open, func(q runs.Question) bool {
		return q.Step == body.Step && q.RunID == runID
	})
	if i < 0 {
		return errorf(http.StatusConflict, ClassConflict, "step %s of run %s is not asking; a yes from a caller who did not start the run is taken only while its question is open (after its confirm_asked event)", body.Step, runID)
	}
	if pb != nil {
		if why = s.mgr.Service().MayApprove(st.Policy, c.Roles, runRoles, pb, body.Step, open[i].Op, runID != id); why == "" {
			return nil
		}
	}
	who := fmt.Sprintf("%s did not start run %s", c.Name, id)
	if starter {
		who = fmt.Sprintf("%s started run %s with roles %s but holds %s now", c.Name, id, rolesText(runRoles), rolesText(c.Roles))
	}
	e := errorf(http.StatusForbidden, ClassAuthorization, "%s and may not approve step %s: %s", who, body.Step, why)
	e.Rule = "only the caller that started a run, holding still the roles it runs with, or one whose roles allow the step asked about as the run's roles do, may answer yes"
	return e
}

// mayApproveQueued is mayApprove for a run whose questions are in the
// shared store.
func (s *Server) mayApproveQueued(ctx context.Context, id string, q queuedRun, body confirmRequest, c *Principal) *apiError {
	asked, err := within(ctx, storeReadBound, func(ctx context.Context) ([]queue.Asked, error) { return s.cfg.Queue.Questions(ctx, id) })
	if err != nil {
		return storeError(err)
	}
	open := make([]runs.Question, len(asked))
	for i, a := range asked {
		open[i] = a.Question
	}
	st := s.current()
	pb, why := s.queuedPlaybook(st, id, q)
	return s.mayApprove(st, id, pb, why, q.roles, open, body, c, startedBy(q.trigger, q.caller, c))
}

// rolesText names a set of roles in a message: "admin", or
// "[admin, ops]"; "[]" for none.
func rolesText(roles []string) string {
	if len(roles) == 1 {
		return roles[0]
	}
	return "[" + strings.Join(roles, ", ") + "]"
}
