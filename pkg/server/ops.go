package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// GET /api/v1/operations[?category=C&q=WORDS]
func (s *Server) listOps(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	q := r.URL.Query()
	if e := onlyParams(q, "category", "q"); e != nil {
		return e
	}
	return s.writeOps(w, c, q.Get("category"), q.Get("q"))
}

// GET /api/v1/operations/{category}
func (s *Server) opsOfCategory(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	return s.writeOps(w, c, r.PathValue("category"), "")
}

// opDecision says whether the caller's roles may execute an operation
// (at its declared risk), and by which rule.
type opDecision struct {
	Allowed bool   `json:"allowed"`
	Rule    string `json:"rule"`
}

// listedOp is an operation as a listing shows it to one caller.
type listedOp struct {
	opInfo
	Decision *opDecision `json:"decision,omitempty"`
}

func (s *Server) writeOps(w http.ResponseWriter, c *Principal, category, query string) *apiError {
	reg := s.mgr.Service().Registry()
	if category != "" && len(reg.List(category)) == 0 {
		return notFound("no operations in category %q; the categories are %s", category, strings.Join(reg.Categories(), ", "))
	}
	list := s.opsDoc
	if query != "" {
		byName := map[string]opInfo{}
		for _, o := range list {
			byName[o.Name] = o
		}
		list = nil
		for _, e := range reg.Search(query) {
			list = append(list, byName[e.Spec.Name])
		}
	}
	subject, _ := s.current().Policy.Subject(c.Roles, nil)
	out := []listedOp{}
	for _, o := range list {
		if category == "" || o.Category == category {
			lo := listedOp{opInfo: o}
			switch {
			case o.Name == steps.SubPlaybookOp:
				lo.Decision = &opDecision{Rule: runs.ErrPlaybookOp.Error()}
			case subject != nil:
				d := subject.Decide(o.Name, ops.Risk(o.Risk))
				lo.Decision = &opDecision{Allowed: d.Allowed, Rule: d.Rule}
			}
			out = append(out, lo)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"operations": out})
	return nil
}

// executeRequest is the body of an execute.
type executeRequest struct {
	Params  map[string]any `json:"params"`
	Timeout string         `json:"timeout"`
}

// executeResult is an executed operation, as execute and batch answer.
type executeResult struct {
	RunID      string         `json:"run_id"`
	Op         string         `json:"op"`
	Status     report.Status  `json:"status"`
	Result     map[string]any `json:"result"`
	DurationMS int64          `json:"duration_ms"`
}

// POST /api/v1/operations/{name}/execute
func (s *Server) execute(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	name := r.PathValue("name")
	if r.URL.RawQuery != "" {
		if e := onlyParams(r.URL.Query()); e != nil {
			return e
		}
	}
	var body executeRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	if _, err := s.mgr.Service().Registry().Get(name); err != nil {
		return unknownOp(err)
	}
	timeout, e := s.execTimeout(body.Timeout, "timeout")
	if e != nil {
		return e
	}
	give, e := s.current().rates.allowOp(name)
	if e != nil {
		return e
	}
	s.lift(w, timeout)
	res, e := s.runOp(r.Context(), r, c, name, body.Params, timeout)
	if e != nil {
		refund(give, e)
		return e
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// execTimeout reads an execute's timeout: a positive duration up to
// MaxExecTimeout, or the default.
func (s *Server) execTimeout(text, field string) (time.Duration, *apiError) {
	if text == "" {
		return s.cfg.Limits.ExecTimeout, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil || d <= 0 || d > MaxExecTimeout {
		return 0, badField(field, "timeout %q: give a positive duration up to %s, like 30s", text, short.Duration(MaxExecTimeout))
	}
	return d, nil
}

// runOp executes one operation for the caller through the run service,
// and turns every outcome but success into an API error: 400 for a bad
// param (naming it), 404 for an unknown op, 403 with the deciding rule,
// 422 when the operation ran and failed, 500 when it panicked, 503 while
// shutting down.
func (s *Server) runOp(ctx context.Context, r *http.Request, c *Principal, op string, params map[string]any, timeout time.Duration) (*executeResult, *apiError) {
	st := s.current()
	res, err := s.mgr.ExecuteOp(ctx, runs.OpRequest{
		Op: op, Params: params, Timeout: timeout, Policy: st.Policy, Env: s.cfg.Env, EndCause: s.endCause,
		Caller: runs.Caller{Roles: c.Roles, Name: c.Name, From: clientAddr(r), Trigger: runs.TriggerAPI},
	})
	if err != nil {
		e := s.prepareError(err, "params")
		s.metrics.execution(op, string(e.Class))
		return nil, e
	}
	s.metrics.execution(op, string(res.Status))
	out, _ := res.Output.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	if res.Status == report.StatusSucceeded {
		return &executeResult{RunID: res.RunID, Op: op, Status: res.Status, Result: out, DurationMS: res.DurationMS}, nil
	}
	e := opFailure(res)
	e.RunID = res.RunID
	return nil, e
}

// opFailure is the API error of an operation that did not succeed.
func opFailure(res *runs.OpResult) *apiError {
	msg := "the operation " + string(res.Status)
	class := ops.ClassExecution
	if res.Error != nil {
		msg, class = res.Error.Message, ops.Class(res.Error.Class)
	}
	switch {
	case res.Status == report.StatusDenied || class == ops.ClassAuthorization:
		e := errorf(http.StatusForbidden, ClassAuthorization, "%s", msg)
		switch {
		case res.Authorization != nil && !res.Authorization.Allowed && !res.Authorization.DeniedWhenRun:
			e.Rule = res.Authorization.Rule
			e.Message += deniedAdvice(res.Op, res.OnParams)
		case res.Authorization != nil:
			// The policy allowed the operation (denied_when_run); a check on the call's
			// params refused it: the role's scope (a file root, an
			// address, a host) or the operation's own safeguard (such as
			// never signalling pid 1). The message says which.
			e.Rule = "the operation is allowed, but not on these params: the role's file roots, network or host rules, or the operation's own safeguard (the message says which)"
		}
		return e
	case class == ops.ClassSystem:
		return errorf(http.StatusInternalServerError, ClassInternal, "%s", msg)
	case class == ops.ClassTimeout:
		return errorf(http.StatusUnprocessableEntity, ClassTimeout, "%s", msg)
	case class == ops.ClassValidation:
		// The operation refused what it was given (a working directory
		// that is not there): the request is wrong as sent, 400 as the
		// other validation errors are, naming the param it refused.
		e := errorf(http.StatusBadRequest, ClassValidation, "%s", msg)
		nameRuntimeParam(e)
		return e
	case res.Status == report.StatusCancelled || class == ops.ClassCancelled:
		return errorf(http.StatusServiceUnavailable, ClassUnavailable, "%s", msg)
	}
	return errorf(http.StatusUnprocessableEntity, ClassExecution, "%s", msg)
}

// policyAdvice is what a caller the policy refused can do: call with a key
// whose roles the policy lets do op, or have the policy changed.
func policyAdvice(op string) string {
	return "; to run " + op + ", use a key of a role whose rules in the policy allow it, or ask whoever keeps the policy to add a rule allowing it to your key's role"
}

// deniedAdvice is what a caller refused before anything ran can do. When
// the roles allow op and the refusal is of the call's params or inputs (a
// path, an address, an input the grant does not let them set), another
// key that may run op is no answer: the call must change, or the scope.
func deniedAdvice(op string, onParams bool) string {
	if !onParams {
		return policyAdvice(op)
	}
	return "; the policy lets your key run " + op + ", but not with these params or inputs: change them as the rule says, or ask whoever keeps the policy to widen your key's role"
}

// runDeniedAdvice is deniedAdvice for a run's refused step: a refusal of
// the playbook's shape (an input aimed at a secret's address) is lifted by
// no key nor policy, only by the call or the playbook the rule names.
func runDeniedAdvice(op string, d auth.Decision) string {
	if d.Shape {
		return "; no key or policy lets it: change the call or the playbook as the rule says"
	}
	return deniedAdvice(op, d.Params)
}

// unknownOp is the 404 of an operation the registry does not have. Its
// reader is an API client: it lists the operations with the API, not with
// the command line, and cannot load a plugin into the server.
func unknownOp(err error) *apiError {
	return notFound("%s", unknownOpText(err))
}

// unknownOpText is the registry's unknown-operation error as an API
// client reads it: where to list the operations, and who loads a plugin.
func unknownOpText(err error) string {
	msg := strings.Replace(err.Error(), ops.ListHint, "GET /api/v1/operations lists them", 1)
	return strings.Replace(msg, ops.PluginHint, "the server was not started with that plugin: ask its operator to load it (serve --plugins DIR)", 1)
}

// prepareError maps an error of the run service that came before anything
// ran. field prefixes the name of a bad param or input.
func (s *Server) prepareError(err error, field string) *apiError {
	var pe *runs.PrepareError
	var pes ops.ParamErrors
	switch {
	case errors.Is(err, ops.ErrUnknownOp):
		return unknownOp(err)
	case errors.Is(err, runs.ErrShuttingDown):
		return unavailable(5*time.Second, "%v", err)
	case errors.Is(err, history.ErrStateDirMoved):
		return errorf(http.StatusServiceUnavailable, ClassUnavailable, "%v", err)
	case errors.Is(err, runs.ErrQueueFull):
		return tooMany(5*time.Second, "%v", err)
	case errors.Is(err, runs.ErrPlaybookOp):
		return errorf(http.StatusBadRequest, ClassValidation, "%v (POST /api/v1/playbooks/{name}/runs)", err)
	case errors.As(err, &pes) && len(pes) > 0:
		f := field
		if pes[0].Param != "" {
			f += "." + pes[0].Param
		}
		return badField(f, "%s", paramsMessage(field, pes))
	case errors.As(err, &pe):
		if pe.Field == "roles" {
			// The keys file names roles the policy checked at load; a role
			// missing now is the server's configuration.
			return errorf(http.StatusForbidden, ClassAuthorization, "%v", pe.Err)
		}
		return badField(field, "%v", pe.Err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, ClassUnavailable, "the request ended before the operation: %v", err)
	}
	return errorf(http.StatusInternalServerError, ClassInternal, "%v", err)
}

// batchRequest is the body of a batch.
type batchRequest struct {
	Operations []struct {
		Op      string         `json:"op"`
		Params  map[string]any `json:"params"`
		Timeout string         `json:"timeout"`
	} `json:"operations"`
	// Concurrency is nil when left out (10); a 0 sent is refused, not
	// read as the default, as the schema's minimum says.
	Concurrency *int `json:"concurrency"`
}

// batchItem is one result of a batch: an executed operation, or the error
// that kept it from running or that it failed with.
type batchItem struct {
	Op         string         `json:"op"`
	Status     string         `json:"status"`
	RunID      string         `json:"run_id,omitempty"`
	Result     map[string]any `json:"result,omitempty"`
	DurationMS int64          `json:"duration_ms"`
	Error      *apiError      `json:"error,omitempty"`
}

// POST /api/v1/batch
func (s *Server) batch(w http.ResponseWriter, r *http.Request, c *Principal) *apiError {
	if e := onlyParams(r.URL.Query()); e != nil {
		return e
	}
	var body batchRequest
	if e := decodeStrict(r, s.cfg.Limits.MaxBodyBytes, &body); e != nil {
		return e
	}
	n := len(body.Operations)
	switch {
	case n == 0:
		return badField("operations", "give at least one operation")
	case n > MaxBatch:
		return badField("operations", "%d operations, over the limit of %d; split the batch", n, MaxBatch)
	}
	concurrency := 10
	if body.Concurrency != nil {
		concurrency = *body.Concurrency
	}
	if concurrency < 1 || concurrency > MaxBatch {
		return badField("concurrency", "concurrency %d: give 1 to %d, or leave it out for 10", concurrency, MaxBatch)
	}
	// Every item is checked before any runs: a batch with a mistake runs
	// nothing.
	reg := s.mgr.Service().Registry()
	timeouts := make([]time.Duration, n)
	longest := time.Duration(0)
	for i, op := range body.Operations {
		f := "operations[" + itoa(i) + "]"
		entry, err := reg.Get(op.Op)
		if err != nil {
			return badField(f+".op", "%s", unknownOpText(err))
		}
		if op.Op == steps.SubPlaybookOp {
			return badField(f+".op", "%v (POST /api/v1/playbooks/{name}/runs)", runs.ErrPlaybookOp)
		}
		if _, err := entry.Validate(nonNilMap(op.Params), true); err != nil {
			return s.prepareError(err, f+".params")
		}
		d, e := s.execTimeout(op.Timeout, f+".timeout")
		if e != nil {
			return e
		}
		timeouts[i] = d
		longest = max(longest, d)
	}
	s.lift(w, longest*time.Duration((n+concurrency-1)/concurrency))
	results := make([]batchItem, n)
	p := pool.New().WithMaxGoroutines(concurrency)
	rates := s.current().rates
	for i := range body.Operations {
		op := body.Operations[i]
		p.Go(func() {
			item := batchItem{Op: op.Op}
			give, e := rates.allowOp(op.Op)
			if e != nil {
				item.Status, item.Error = "rejected", e
				results[i] = item
				return
			}
			res, e := s.runOp(r.Context(), r, c, op.Op, op.Params, timeouts[i])
			if e != nil {
				refund(give, e)
				item.Status, item.RunID, item.Error = statusOf(e), e.RunID, e
				e.RunID = ""
			} else {
				item.Status, item.RunID, item.Result, item.DurationMS = string(res.Status), res.RunID, res.Result, res.DurationMS
			}
			results[i] = item
		})
	}
	p.Wait()
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
	return nil
}

// statusOf names what happened to a batch item that did not succeed.
func statusOf(e *apiError) string {
	switch e.Class {
	case ClassAuthorization:
		return string(report.StatusDenied)
	case ClassExecution, ClassTimeout, ClassInternal:
		return string(report.StatusFailed)
	case ClassUnavailable:
		return string(report.StatusCancelled)
	}
	return "rejected"
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// errClientGone ends an execute whose client closed its connection: its
// record says so, not "context canceled".
var errClientGone = ops.WithClass(ops.ClassCancelled, errors.New("the client closed its connection before the operation ended"))

// errRequestCut ends an execute that was still going when Shutdown's
// grace ran out and the server closed its connection: the client did not
// go away, the service stopped.
var errRequestCut = ops.WithClass(ops.ClassCancelled, errors.New("the service stopped before the operation ended: requests still in flight after the grace period were cut"))

// requestEnd is the cause an execute ends with when its request's
// context ended first: errClientGone when the client went away, or
// errRequestCut when Shutdown closed the connection (the server's base
// context never ends, so nothing else cancels a request's).
func (s *Server) requestEnd(req context.Context) error {
	cause := context.Cause(req)
	if cause == context.Canceled {
		cause = errClientGone
		if s.cut.Load() {
			cause = errRequestCut
		}
	}
	return cause
}
