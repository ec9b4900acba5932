package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// GET /api/v1/playbooks
func (s *Server) listPlaybooks(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	now := s.cfg.Now()
	out := []playbookInfo{}
	for _, pb := range s.current().Playbooks.All() {
		out = append(out, s.describePlaybook(pb, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"playbooks": out})
	return nil
}

// GET /api/v1/playbooks/{name}
func (s *Server) getPlaybook(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	pbs := s.current().Playbooks
	pb, ok := pbs.Get(r.PathValue("name"))
	if !ok {
		return pbs.notFound(r.PathValue("name"), false)
	}
	writeJSON(w, http.StatusOK, s.describePlaybook(pb, s.cfg.Now()))
	return nil
}

type runRequest struct {
	Inputs map[string]any `json:"inputs"`
	DryRun bool           `json:"dry_run"`
	// Ask makes confirm: steps wait for an answer (POST
	// /api/v1/runs/{id}/confirm) instead of being denied.
	Ask bool `json:"ask"`
}

// ConfirmHint is what the error of a confirm: step of an API run that
// was not started to ask tells to do (see runs.Request.ConfirmHint): the
// API has no --yes; its runs ask with "ask": true, as 'arsenal-run remote
// run' starts them when it follows a run on a terminal or has --yes.
const ConfirmHint = `the run was not started to ask: follow it on a terminal with 'arsenal-run remote run NAME --follow' (or give --yes), or start it through the API with "ask": true and answer with POST /api/v1/runs/{id}/confirm`

// APIInputHint is what a required input nobody gave tells a client of the
// API to do: send it in the request's "inputs" ('arsenal-run remote run'
// sends its --input values there). The variable or file that would give it
// is serve's, which the client cannot set: it is left out.
func APIInputHint(in *steps.Input) string {
	return `send it in the request's "inputs", as {"inputs": {"` + in.Name + `": VALUE}} ('arsenal-run remote run' takes --input ` + in.Name + `=VALUE)`
}

// consoleInputHint is APIInputHint for a user of the console, which
// starts runs with the values of its form.
func consoleInputHint(*steps.Input) string { return "fill in its field" }

// inputHint is the input hint for the caller c: the console's for its
// session, the API's for a key or certificate.
func inputHint(c *Principal) engine.InputHint {
	if c.Via == "session" {
		return consoleInputHint
	}
	return APIInputHint
}

type runLinks struct {
	Self   string `json:"self"`
	Events string `json:"events"`
	Cancel string `json:"cancel"`
}

type runStarted struct {
	RunID   string      `json:"run_id"`
	Status  string      `json:"status"`
	Links   runLinks    `json:"links"`
	Waiting *runs.Place `json:"waiting,omitempty"` // queued: what for
	// Warnings are the run's (runs.Handle.Warnings): its playbook's file
	// changed since it was loaded, say.
	Warnings []string `json:"warnings,omitempty"`
}

// started is the answer to a request that started h: running once the
// run took its run slot (at once when one was free, before the run's own
// goroutine marks it running, so that an idle server does not say
// queued), queued with where it stands while it waits, or how it ended.
func (s *Server) started(h *runs.Handle) runStarted {
	took := false
	select {
	case <-s.mgr.Started(h):
		took = true
	default:
	}
	a := runStarted{RunID: h.ID(), Status: h.Status(), Links: links(h.ID()), Warnings: h.Warnings()}
	if a.Status == string(runs.StateQueued) {
		if took {
			a.Status = string(runs.StateRunning)
		} else {
			a.Waiting = s.mgr.Place(h)
		}
	}
	return a
}

// POST /api/v1/playbooks/{name}/runs[?wait=30s]
func (s *Server) startRun(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	q := r.URL.Query()
	if e := onlyParams(q, "wait"); e != nil {
		return e
	}
	var wait time.Duration
	if text := q.Get("wait"); text != "" {
		d, err := time.ParseDuration(text)
		if err != nil || d <= 0 || d > MaxWait {
			return badField("wait", "wait=%q: give a positive duration up to %s, like 30s", text, short.Duration(MaxWait))
		}
		wait = d
	}
	var body runRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	st := s.current()
	pb, ok := st.Playbooks.Get(r.PathValue("name"))
	if !ok {
		return st.Playbooks.notFound(r.PathValue("name"), false)
	}
	req := runs.Request{
		Playbook: pb, Inputs: body.Inputs, DryRun: body.DryRun, Ask: body.Ask, Policy: st.Policy, Env: s.cfg.Env,
		Recheck:     s.recheck(c),
		Caller:      runs.Caller{Roles: c.Roles, Name: c.Name, From: clientAddr(r), Trigger: runs.TriggerAPI},
		ConfirmHint: ConfirmHint, InputHint: inputHint(c),
	}
	if s.cfg.Queue != nil {
		if handled, e := s.queueRun(w, r, req, c, wait); handled || e != nil {
			return e
		}
	}
	h, err := s.mgr.Start(r.Context(), req)
	if err != nil {
		var pe *runs.PrepareError
		if errors.As(err, &pe) && pe.Field == "inputs" {
			return inputError(pe.Err)
		}
		return s.prepareError(err, "inputs")
	}
	if denied := h.Denied(); len(denied) > 0 {
		e := errorf(http.StatusForbidden, ClassAuthorization, "authorization denied step %s (%s); nothing ran%s", denied[0].Step, denied[0].Op, runDeniedAdvice(denied[0].Op, denied[0].Decision))
		e.Rule, e.RunID = denied[0].Decision.Rule, h.ID()
		return e
	}
	if wait > 0 {
		s.lift(w, wait)
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		select {
		case <-h.Done():
			writeJSON(w, http.StatusOK, h.Report())
			return nil
		case <-ctx.Done():
		case <-s.stopCtx.Done():
		}
	}
	writeJSON(w, http.StatusAccepted, s.started(h))
	return nil
}

func links(id string) runLinks {
	self := "/api/v1/runs/" + id
	return runLinks{Self: self, Events: self + "/events", Cancel: self + "/cancel"}
}

// inputError names the first bad input as the field: each problem starts
// with the input's name.
func inputError(err error) *apiError {
	var ie *engine.InputError
	if errors.As(err, &ie) && len(ie.Problems) > 0 {
		name := ie.Problems[0]
		if i := strings.IndexAny(name, ": ("); i > 0 {
			name = name[:i]
		}
		return badField("inputs."+name, "%v", err)
	}
	return badField("inputs", "%v", err)
}

// runInfo is one run of a listing. DryRun is always there, so that a
// client tells a real run from a dry one without knowing the default.
type runInfo struct {
	ID         string        `json:"id"`
	Playbook   string        `json:"playbook"`
	Status     string        `json:"status"`
	Trigger    string        `json:"trigger,omitempty"`
	Slot       *time.Time    `json:"slot,omitempty"`       // scheduled: the slot, before jitter
	BlockedBy  string        `json:"blocked_by,omitempty"` // a skipped slot: the run still going
	StartedBy  string        `json:"started_by,omitempty"`
	DryRun     bool          `json:"dry_run"`
	Roles      []string      `json:"roles"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt *time.Time    `json:"finished_at,omitempty"`
	DurationMS int64         `json:"duration_ms"`
	Error      *report.Error `json:"error,omitempty"`
	Waiting    *runs.Place   `json:"waiting,omitempty"` // queued here: what for, how many ahead
}

// GET /api/v1/runs[?playbook=&status=&trigger=&limit=&before=&since=]
//
// status takes several, separated by commas (status=failed,cancelled).
// Runs are listed newest first in one total order, started_at then id,
// both descending; a page that runs are left after (each store is read for
// one more) carries next, the cursor of its last run, which before takes
// to list them (keyset paging: runs that started in the same millisecond
// are neither skipped nor repeated), or an RFC 3339 time: those before it.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	q := r.URL.Query()
	if sts := q["status"]; len(sts) > 1 {
		return badField("status", "query parameter status is given %d times; give it once, with several statuses separated by commas: status=%s", len(sts), strings.Join(sts, ","))
	}
	if e := onlyParams(q, "playbook", "status", "trigger", "limit", "before", "since"); e != nil {
		return e
	}
	f, e := runFilter(q, s.cfg.Now())
	if e != nil {
		return e
	}
	// The shared queue is read first: a run that starts meanwhile is then
	// in this process's runs or the history too, and listed once, as it is
	// there, rather than in neither.
	more := f
	more.Limit++
	waiting, err := s.waitingRuns(r.Context(), more)
	if err != nil {
		return storeError(err)
	}
	var out []runInfo
	seen := map[string]bool{}
	active := s.mgr.Active()
	places := s.mgr.Places(active)
	for i, h := range active {
		info := runInfo{ID: h.ID(), Playbook: h.Playbook(), Status: h.Status(), Trigger: string(h.Trigger()),
			StartedBy: h.Caller().Name, DryRun: h.DryRun(), Roles: h.Caller().Roles, StartedAt: h.QueuedAt().UTC()}
		if slot := h.Caller().Slot; !slot.IsZero() {
			slot = slot.UTC()
			info.Slot = &slot
		}
		info.Waiting = places[i]
		if !matches(f, info) {
			continue
		}
		seen[info.ID] = true
		out = append(out, info)
	}
	if store := s.mgr.Service().History(); store != nil {
		// As many more as there are runs of this process listed, which
		// history may hold too: the page then still has every run of
		// history that belongs on it, and the one after it if any.
		hf := more
		hf.Limit += len(seen)
		list, err := within(r.Context(), storeReadBound, func(ctx context.Context) ([]history.Run, error) { return store.List(ctx, hf) })
		if err != nil {
			return storeError(err)
		}
		for _, run := range list {
			if seen[run.ID] {
				continue
			}
			out = append(out, runInfo{ID: run.ID, Playbook: run.Playbook, Status: string(run.Status), Trigger: string(run.Trigger),
				Slot: run.Slot, BlockedBy: run.BlockedBy, StartedBy: run.StartedBy, DryRun: run.DryRun, Roles: run.Roles, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, DurationMS: run.DurationMS, Error: run.Error})
			seen[run.ID] = true
		}
	}
	for _, info := range waiting {
		if !seen[info.ID] {
			seen[info.ID] = true
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b runInfo) int { return cursorOf(b).compare(cursorOf(a)) })
	answer := runList{Runs: out}
	if len(out) > f.Limit {
		answer.Runs = out[:f.Limit]
		answer.Next = cursorOf(answer.Runs[f.Limit-1]).String()
	}
	if answer.Runs == nil {
		answer.Runs = []runInfo{}
		answer.Hint = s.current().Playbooks.runsHint(f.Playbook)
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

// runList is the answer of GET /api/v1/runs. Next, on a page that runs
// are left after only, is the before that lists them.
type runList struct {
	Runs []runInfo `json:"runs"`
	Next string    `json:"next,omitempty"`
	// Hint, on an empty answer only, says why no run may match: a
	// playbook the server does not serve, and the one it may be a typo
	// of, as 'history' says it. A client that reads runs alone ignores it.
	Hint string `json:"hint,omitempty"`
}

// GET /api/v1/runs/{id}
func (s *Server) getRun(w http.ResponseWriter, r *http.Request, _ *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	rep, e := s.report(r.Context(), r.PathValue("id"))
	if e != nil {
		return e
	}
	if rep.FinishedAt.IsZero() {
		u := unfinished{Report: rep}
		if h, ok := s.mgr.Get(rep.RunID); ok {
			u.Waiting = s.mgr.Place(h)
		} else if rep.Status == report.Status(runs.StateQueued) {
			u.Waiting = s.inLine(r.Context(), rep.RunID)
		}
		writeJSON(w, http.StatusOK, u)
		return nil
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// unfinished is the report of a run that has not ended (queued or
// running): without finished_at, which report.Report would give as the
// zero time, so that a client subtracting times gets no nonsense. For
// the same reason the started_at of a run this process holds in its
// queue is when it was queued (see report), not the zero time.
type unfinished struct {
	*report.Report
	FinishedAt *time.Time `json:"finished_at,omitempty"` // hides the report's
	// Waiting, for a run queued in this process or in the shared queue
	// of --state URL, says what it waits for and how many runs are ahead
	// of it.
	Waiting *runs.Place `json:"waiting,omitempty"`
}

// report finds a run's report: the live snapshot of a run of this process,
// else its recorded report (a file, or the copy the database keeps), else
// a report made from the history row itself, else, for a run still
// waiting in the queue, one with status queued. Each read of the store is
// bounded (storeReadBound), so that event streams, which call it while
// they last, are bounded call by call: a database that is away or silent
// is 503.
func (s *Server) report(ctx context.Context, id string) (*report.Report, *apiError) {
	if h, ok := s.mgr.Get(id); ok {
		if rep := h.Snapshot(); rep != nil {
			if rep.FinishedAt.IsZero() && rep.StartedAt.IsZero() {
				// Queued (a snapshot, the handle's own copy): it started
				// when it was asked for, as the run list says, not at the
				// zero time.
				rep.StartedAt = h.QueuedAt().UTC()
			}
			return rep, nil
		}
	}
	store := s.mgr.Service().History()
	if store == nil {
		return nil, s.noRun(ctx, id)
	}
	run, err := within(ctx, storeReadBound, func(ctx context.Context) (history.Run, error) { return store.Get(ctx, id) })
	if errors.Is(err, history.ErrNotFound) {
		rep, err := s.findQueued(ctx, id)
		if err != nil {
			return nil, storeError(err)
		}
		if rep != nil {
			return rep, nil
		}
		return nil, s.noRun(ctx, id)
	}
	if err != nil {
		return nil, storeError(err)
	}
	if run.Status != history.StatusRunning {
		data, err := within(ctx, storeReadBound, func(ctx context.Context) ([]byte, error) { return store.ReadReport(ctx, run.ID) })
		if err == nil {
			if rep, err := report.Decode(data); err == nil {
				return rep, nil
			}
		} else if unreachable(err) {
			// The report may well be there: the database did not say.
			return nil, storeError(err)
		}
	} else if s.cfg.Queue != nil {
		// Its events and step rows, as far as they can be read in time.
		sctx, cancel := storeBound(ctx, storeReadBound)
		defer cancel()
		return s.snapshotElsewhere(sctx, store, run), nil
	}
	return fromHistory(ctx, store, run), nil
}

// mayAct lets the caller that started a run cancel it and answer its
// questions, and anyone who could have started that same run. A caller
// started a run when it came through the API under the caller's name: a
// scheduled run, or one started with the CLI, is no API caller's, whatever
// the name it was started under.
func (s *Server) mayAct(h *runs.Handle, c *Principal, what string) *apiError {
	if startedBy(h.Caller().Trigger, h.Caller().Name, c) {
		return nil
	}
	st := s.current()
	pb, why := s.runPlaybook(st, h, h.Playbook(), "")
	return s.mayActOn(st, h.ID(), pb, why, h.Inputs(), c, what)
}

// runPlaybook returns the playbook a run runs, to judge who may act on it:
// its own, as read when it started, where this process holds it (h, or
// nil); otherwise the one served by its name, when that is the same file
// (sha256 "" for a run not started yet, which will run the one served).
// Judged by a file edited since, a run's steps would be ones it does not
// run. Without one, why says why.
func (s *Server) runPlaybook(st *loaded, h *runs.Handle, name, sha256 string) (pb *steps.Playbook, why string) {
	if h != nil {
		if pb := h.RunPlaybook(); pb != nil {
			return pb, ""
		}
	}
	pb, ok := st.Playbooks.Get(name)
	switch {
	case !ok:
		return nil, "the playbook " + name + " is not served"
	case sha256 != "" && pb.SHA256 != sha256:
		return nil, "it runs playbook " + name + " as it was before its file changed, not as it is served now"
	}
	return pb, ""
}

// mayActOn lets a caller who did not start a run act on it when their
// roles could have started the same run, inputs included: a grant lets its
// holder act only on runs whose inputs it would have let them set. Nil
// inputs cannot be read, and a caller who needs a grant is refused. pb is
// the run's playbook (runPlaybook), or nil and why not.
func (s *Server) mayActOn(st *loaded, id string, pb *steps.Playbook, why string, inputs map[string]any, c *Principal, what string) *apiError {
	if pb != nil {
		if why = s.mgr.Service().MayActOn(st.Policy, c.Roles, pb, inputs); why == "" {
			return nil
		}
	}
	e := errorf(http.StatusForbidden, ClassAuthorization, "%s did not start run %s and could not have started it: %s", c.Name, id, why)
	e.Rule = "only the caller that started a run, or one whose roles could have started it with its inputs, may " + what + " it"
	return e
}

// startedBy reports whether c started a run of trigger under name: only
// runs started through the API are an API caller's own.
func startedBy(trigger runs.Trigger, name string, c *Principal) bool {
	return trigger == runs.TriggerAPI && name != "" && name == c.Name
}
