package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// errDryRun marks a call a dry run did not execute.
var errDryRun = errors.New("dry run: not executed")

// runStep runs one step: its condition, confirmation, fan-out or single
// call, and records the outcome. A panic in the runner's own code becomes a
// system error on the step; it never escapes.
func (r *run) runStep(ctx context.Context, n *node, env map[string]any) {
	s := n.step
	rec := r.rec(n.idx)
	clock := r.p.e.clock
	rec.started, rec.ran = clock.Now(), true
	log := r.log // a run that logs nothing gives its steps no fields to copy
	if log.GetLevel() != zerolog.Disabled {
		log = log.With().Str("step", s.ID).Str("op", s.Op).Logger()
	}
	defer func() {
		if v := recover(); v != nil {
			rec.setErr(ops.Errorf(ops.ClassSystem, "internal error in step %s: %v", s.ID, v))
		}
		rec.dur = clock.Now().Sub(rec.started)
		if rec.status == report.StatusDenied && rec.reason == "" {
			rec.reason = deniedReason(rec)
		}
		rec.withDryConfirm()
		r.publish(n)
		r.logFinished(log, n, rec)
		r.stepStarted(n, 0)
		r.stepFinished(n)
	}()
	if s.When != nil {
		ok, err := evalBool(r.file, s.When, env)
		if err != nil {
			rec.setErr(err)
			return
		}
		if !ok {
			rec.status, rec.reason = report.StatusSkipped, "when is false: "+s.When.Source
			return
		}
	}
	if s.Name != nil {
		if v, err := value(r.file, s.Name, env); err == nil {
			rec.name = Stringify(v)
		}
	}
	if !s.FanOut() {
		r.stepStarted(n, 0) // a fan-out announces itself with its item count
	}
	log.Debug().Msg("step started")
	set, err := r.settingsOf(s, env)
	if err != nil {
		rec.setErr(err)
		return
	}
	rec.settings = set
	if s.Confirm != nil {
		if !r.confirm(ctx, n, env, rec) {
			return
		}
		// The step runs from the answer on: the time a person took to
		// answer is the confirmation's (its time is in the report), not
		// the operation's, whose durations feed stats' latency figures.
		rec.started = clock.Now()
	}
	if s.FanOut() {
		r.fanout(ctx, n, env, log, rec)
		return
	}
	out, c, err := r.call(ctx, n, env, -1, "", log, rec.confirmed)
	rec.attempts, rec.tries, rec.abandoned, rec.decision = c.attempts, c.Tries(), c.Abandoned, c.Decision
	rec.cached, rec.cacheAge = c.Cached, c.CacheAge
	if errors.Is(err, errDryRun) {
		rec.status, rec.reason, rec.dryRun = report.StatusSkipped, dryRunReason(c), true
		return
	}
	rec.dryRun = r.o.dryRun && r.subDryPartial(s.ID)
	if out != nil {
		kept, cut := r.budget.keep(out)
		rec.output = kept
		if cut > 0 {
			rec.cutOutputs, rec.cutBytes = 1, cut
		}
	}
	rec.setErr(err)
	r.dryUnsure(n, rec)
	if s.Section == steps.SectionNotify {
		rec.notification = notificationOf(err)
		// Sent with the run summary, to everyone or to some of its
		// recipients: the reason says so in both cases, as the report's
		// readers of the reason alone (older ones) expect.
		if n := rec.notification; n.Summary && n.Sent != report.SentNone {
			rec.reason = report.SummarySent
		}
	}
}

// dryUnsure marks skipped, in a dry run, a step that failed after a step
// it needs (directly or not) was not executed: it saw the world without
// that step's change (the file an earlier file.write would have written),
// so a real run may not fail there. Its reason keeps the failure; its
// readers are skipped as readers of a step the dry run did not execute.
func (r *run) dryUnsure(n *node, rec *record) {
	if !r.o.dryRun || rec.status != report.StatusFailed || rec.err == nil {
		return
	}
	id := r.dryNeed(n, map[*node]bool{})
	if id == "" {
		return
	}
	rec.status, rec.dryRun, rec.dryAfter = report.StatusSkipped, true, id
	rec.reason = dryUnsureReason(rec.err, id)
	rec.err = nil
}

// dryUnsureReason is the reason of a step (or a fan-out's item) that
// failed with err in a dry run after step id, which it needs, was not
// executed.
func dryUnsureReason(err *report.Error, id string) string {
	return fmt.Sprintf("dry run: failed (%s: %s), but it needs steps.%s, which the dry run did not execute: a real run may not fail here", err.Class, err.Message, id)
}

// dryNeed is the id of a step n needs, directly or not, that the dry run
// did not execute (in full); "" when there is none. A need skipped by
// dryUnsure was executed: the step it came after is named instead.
func (r *run) dryNeed(n *node, seen map[*node]bool) string {
	for _, need := range n.needs {
		if seen[need] {
			continue
		}
		seen[need] = true
		if rec := r.rec(need.idx); rec.dryRun {
			if rec.dryAfter != "" {
				return rec.dryAfter
			}
			return need.step.ID
		}
		if id := r.dryNeed(need, seen); id != "" {
			return id
		}
	}
	return ""
}

// dryWhat says what a dry run did of a step whose readers it skips
// (record.dryRun), after "which the dry run".
func dryWhat(rec *record) string {
	full := ""
	if rec.status != report.StatusSkipped {
		// A fan-out some of whose items were skipped, or a playbook.run
		// whose outputs read skipped steps.
		full = " in full"
	}
	if rec.dryAfter != "" {
		// It was executed, and failed where a real run may not.
		return "could not judge" + full + ": it needs steps." + rec.dryAfter + ", which the dry run did not execute"
	}
	return "did not execute" + full
}

// dryRunReason says why a dry run did not execute a call.
func dryRunReason(c *Call) string {
	return fmt.Sprintf("dry run: %s is a %s operation and was not executed", c.Step.Op, c.Entry.RiskFor(c.Params))
}

// stepStarted emits a step's step_started event, once.
func (r *run) stepStarted(n *node, items int) {
	rec := r.rec(n.idx)
	if rec.announced || !r.observed() {
		return
	}
	rec.announced = true
	r.emit(Event{Kind: EventStepStarted, Step: n.step.ID, Name: r.red.String(rec.name), Op: n.step.Op, Section: string(n.step.Section), RescueOf: rescueOf(n.step), Items: items})
}

// rescueOf names the step a rescue step rescues; "" for other steps.
func rescueOf(s *steps.Step) string {
	if s.RescueOf == nil {
		return ""
	}
	return s.RescueOf.ID
}

// stepFinished emits a step's step_finished event.
func (r *run) stepFinished(n *node) {
	if !r.observed() {
		return
	}
	rec := r.rec(n.idx)
	ev := Event{Kind: EventStepFinished, Step: n.step.ID, Name: r.red.String(rec.name), Op: n.step.Op, Section: string(n.step.Section), RescueOf: rescueOf(n.step),
		Status: string(rec.status), Reason: r.red.String(rec.reason), Attempts: rec.tries, DurationMS: rec.dur.Milliseconds(), Items: len(rec.items)}
	if rec.err != nil {
		ev.Err, ev.ErrClass = r.errMsg(rec.err), rec.err.Class
	}
	if rec.cached {
		ev.Cached, ev.CacheAgeMS = true, rec.cacheAge.Milliseconds()
	}
	ev.Reused, ev.NotStarted = rec.reused, !rec.ran
	ev.Ignored = ignoredNow(n, rec)
	ev.Rescuing = rec.status == report.StatusFailed && len(n.rescue) > 0
	ev.Tolerated = rec.status == report.StatusFailed && r.o.tolerated
	if n.step.Section == steps.SectionNotify && rec.status != report.StatusSkipped {
		ev.Notification = cmp.Or(rec.notification, &report.Notification{Sent: report.SentNone})
	}
	r.emit(ev)
}

// ignoredNow reports whether a step's failure is ignored, as far as it is
// known when the step ends: it failed, its continue_on_error lets the run
// go on, and it has no rescue steps, which might still rescue it.
func ignoredNow(n *node, rec *record) bool {
	s := n.step
	return rec.status == report.StatusFailed && ((s.ContinueOnError && len(s.Rescue) == 0) || (s.RescueOf != nil && s.RescueOf.ContinueOnError))
}

// tolerates reports whether the run goes on past a failure of its step
// (or "step[i]"): its continue_on_error ignores it, or its rescue steps
// may rescue it.
func (r *run) tolerates(step string) bool {
	id, _, _ := strings.Cut(step, "[")
	n := r.p.node(id)
	return n != nil && (excused(n) || len(n.step.Rescue) > 0)
}

// excused reports whether continue_on_error excuses n's failure: its own,
// or, for a rescue step, that of the step it rescues, past whose failure
// the run goes on, its rescue's failure included.
func excused(n *node) bool {
	s := n.step
	return s.ContinueOnError || (s.RescueOf != nil && s.RescueOf.ContinueOnError)
}

func (r *run) logFinished(log zerolog.Logger, n *node, rec *record) {
	ev := log.Info()
	if rec.status == report.StatusFailed || rec.status == report.StatusDenied {
		ev = log.WithLevel(FailureLevel(rec.status, ignoredNow(n, rec) || r.o.tolerated, len(n.rescue) > 0))
	}
	ev = ev.Str("status", string(rec.status)).Int64("duration_ms", rec.dur.Milliseconds()).Int("attempts", rec.tries)
	if ignoredNow(n, rec) {
		ev = ev.Str("ignored", "continue_on_error")
	}
	if rec.err != nil {
		ev = ev.Str("error_class", rec.err.Class).Str("error", rec.err.Message)
	}
	if rec.reason != "" {
		ev = ev.Str("reason", rec.reason)
	}
	ev.Msg("step finished")
}

func (r *run) errMsg(e *report.Error) string {
	if e == nil {
		return ""
	}
	return r.red.String(e.Message)
}

// setErr records the outcome of an error: nil is success; authorization is
// denied, cancellation cancelled, anything else failed.
func (rec *record) setErr(err error) {
	if err == nil {
		rec.status = report.StatusSucceeded
		return
	}
	class := ops.ClassOf(err)
	rec.err = &report.Error{Class: string(class), Message: err.Error()}
	rec.status = statusOf(class)
}

func statusOf(class ops.Class) report.Status { return report.StatusOf(string(class)) }

// deniedReason says why a step was denied: the rule that decided, else
// the error.
func deniedReason(rec *record) string {
	if d := rec.decision; d != nil && !d.Allowed && !d.DeniedWhenRun && d.Rule != "" {
		return "denied: " + d.Rule
	}
	if rec.err != nil {
		return rec.err.Message
	}
	return "denied"
}

// publish writes a step's outcome where expressions read it. It happens
// before any dependent starts, and nothing writes the state afterwards.
func (r *run) publish(n *node) {
	rec := r.rec(n.idx)
	st := r.states[n.step.ID]
	st.Status = string(rec.status)
	st.Output = rec.output
	st.Attempts = rec.tries
	st.Duration = rec.dur.Seconds()
	st.Reason = rec.reason
	st.Rescued = rec.rescued
	if rec.err != nil {
		st.Error = steps.ErrorState{Class: rec.err.Class, Message: rec.err.Message}
	}
	if rec.items != nil {
		st.Items = make([]steps.ItemState, len(rec.items))
		for i, it := range rec.items {
			is := steps.ItemState{Index: it.Index, Item: it.Item, Status: string(it.Status), Output: it.Output}
			if it.Error != nil {
				is.Error = steps.ErrorState{Class: it.Error.Class, Message: it.Error.Message}
			}
			st.Items[i] = is
		}
	}
}

// call interpolates and validates the parameters and sends the call down
// the chain. index and label are a fan-out item's (-1 and "" for a plain
// step).
func (r *run) call(ctx context.Context, n *node, env map[string]any, index int, label string, log zerolog.Logger, confirmed *report.Confirmation) (map[string]any, *Call, error) {
	s := n.step
	c := &Call{RunID: r.id, Roles: r.o.roles, Step: s, Entry: s.Entry, Index: index, Log: log, run: r, env: env, label: label, Confirmation: confirmed}
	// The step's timeout bounds the evaluation of its params too: an
	// expression stops when it is up, as when the run is cancelled.
	// Params checked at load, with no env to merge, evaluate nothing:
	// they need neither the timer nor an environment of their own, which
	// every execute of the API would otherwise make and throw away.
	pctx, penv := ctx, env
	evaluates := s.Params == nil || n.envParam
	if evaluates && s.Timeout > 0 {
		var cancel context.CancelFunc
		tries := s.Retry.Attempts
		if set := r.rec(n.idx).settings; set != nil {
			tries = set.retry.Attempts
		}
		pctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, ops.WithClass(ops.ClassTimeout, &timeoutError{what: stepTimeout, d: s.Timeout, tries: tries, params: true}))
		defer cancel()
	}
	if evaluates {
		penv = withVars(env, exprsafe.ContextVar, pctx)
	}
	params, err := r.params(n, penv)
	var stoodIn []string // a notify entry's params the run summary stood in for
	if err != nil {
		if params, stoodIn, err = r.summaryParams(n, penv, err); err != nil {
			return nil, c, err
		}
	}
	c.Params = params
	if set := r.rec(n.idx).settings; set != nil {
		c.Retry = &set.retry
		if s.Repeat != nil {
			out, err := r.repeat(ctx, c, set)
			return out, c, err
		}
	}
	out, err := r.once(ctx, c)
	if len(stoodIn) > 0 && !errors.Is(err, errDryRun) {
		err = summaryErr(stoodIn, err)
	}
	return out, c, err
}

// once sends a call down the chain once (with its retries) and audits it.
func (r *run) once(ctx context.Context, c *Call) (map[string]any, error) {
	s := c.Step
	start := r.p.e.clock.Now()
	out, err := r.p.handler(ctx, c)
	r.maskCommands(out, err)
	c.Decision = deniedWhenRun(c, err)
	if a := r.p.e.auditor; a != nil && !errors.Is(err, errDryRun) {
		if aerr := a.Audit(c, out, err, r.p.e.clock.Now().Sub(start)); aerr != nil {
			r.lost.note(aerr)
			out, err = nil, ops.WithClass(ops.ClassSystem, aerr)
		}
	}
	if err == nil && len(s.Entry.Spec.SecretOutputs) > 0 {
		for _, k := range s.Entry.Spec.SecretOutputs {
			if v, ok := out[k]; ok && v != nil {
				r.addSecret(v) // sub-runs started later mask it too
			}
		}
	}
	return out, err
}

// params computes a call's parameters: the literal ones checked at load, or
// the interpolated ones checked now. Operations that take env get the
// playbook's env, the step's env and their own, in that order of
// precedence from lowest to highest.
func (r *run) params(n *node, env map[string]any) (ops.Params, error) {
	s := n.step
	p := s.Params
	if p == nil {
		raw, err := value(r.file, s.With, env)
		if err != nil {
			return nil, err
		}
		m, _ := raw.(map[string]any)
		if p, err = s.Entry.Validate(m, true); err != nil {
			return nil, r.paramsError(s, err)
		}
	}
	if !n.envParam {
		return p, nil
	}
	own, _ := p["env"].(map[string]any)
	for _, k := range sortedKeys(own) {
		if own[k] == nil {
			return nil, r.nullEnv("with.env "+k, withValue(withValue(s.With, "env"), k), s.Pos)
		}
	}
	if len(r.pbEnv) == 0 && len(s.Env) == 0 {
		return p, nil
	}
	merged := make(map[string]any, len(r.pbEnv)+len(s.Env))
	for k, v := range r.pbEnv {
		merged[k] = v
	}
	for _, ev := range s.Env {
		x, err := value(r.file, ev.Value, env)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return nil, r.nullEnv("env "+ev.Name, ev.Value, ev.Pos)
		}
		merged[ev.Name] = Stringify(x)
	}
	maps.Copy(merged, own)
	out := make(ops.Params, len(p)+1)
	maps.Copy(out, p)
	out["env"] = merged
	return out, nil
}

// nullEnv is the error of an env value (what: "env X", "with.env X") that
// gave null. It would be an empty variable, which turns rm -rf "$TARGET/"
// into rm -rf /, so the operation does not run. v is the value as
// written, nil when the playbook has none; pos is used then. In a sub-run
// that reads no host variable (see readEnv), an env read is told why.
func (r *run) nullEnv(what string, v *steps.Value, pos steps.Pos) error {
	src, fix := "its value", "give a value that is never null"
	if v != nil {
		pos = v.Pos
		if v.Kind == steps.KindExpr {
			src = quoteExpr(v.Expr.Source)
			fix = fmt.Sprintf(`give a default, like '${{ %s ?? "..." }}'`, v.Expr.Source)
			if r.o.inputRoots != nil && strings.Contains(v.Expr.Source, "env") {
				fix += "; " + noHostEnvHint
			}
		}
	}
	loc := ""
	if pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d: ", r.file, pos.Line, pos.Col)
	}
	return ops.Errorf(ops.ClassValidation, "%s%s: %s gave null, and an environment variable cannot be null (it would be empty); %s", loc, what, src, fix)
}
