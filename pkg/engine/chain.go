package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Call is one execution of a step, or of one fan-out item, as it passes
// through the chain of middleware to the operation.
type Call struct {
	RunID  string
	Roles  []string
	Step   *steps.Step
	Entry  *ops.Entry
	Params ops.Params
	Index  int // fan-out item index; -1 for a plain step
	Log    zerolog.Logger

	// Abandoned is set when the operation ignored cancellation.
	Abandoned bool
	// Scope is what the caller's policy lets the operation touch; the
	// authorizer sets it and the operation reads it from ops.Call.Scope.
	Scope any
	// Decision is the authorization decision, recorded in the report.
	Decision *report.Decision
	// Confirmation is the answer to the step's confirm: question, when it
	// has one, for the audit line of the call.
	Confirmation *report.Confirmation
	// Retry are the retry settings the step started with: its own, with
	// those written as ${{ }} evaluated; nil means the step's.
	Retry *steps.Retry
	// Cached is set by a caching middleware that answered the call from
	// an entry CacheAge old without running the operation; the step (or
	// item) reports it.
	Cached   bool
	CacheAge time.Duration

	run   *run
	env   map[string]any // the expression environment, for retry.when/until
	label string         // a fan-out item's label (itemLabel), for its events

	// attempts records each try (the attempt middleware adds them); read
	// it with Tries and AttemptLog.
	attempts attemptLog
	// try is the retry's attempt now made (from 1) and tries its
	// retry.attempts, for the step timeout to say which attempt it cut;
	// a repeat starts its retry again, so try is not Tries()+1.
	try, tries int
}

// Caller returns who started the run and from where, as WithCaller set
// them.
func (c *Call) Caller() (who, from string) {
	if c.run == nil {
		return "", ""
	}
	return c.run.o.who, c.run.o.from
}

// Parent returns the run and step that started the call's run through
// playbook.run, a fan-out's item as ItemPath names it; "" for a run
// started by itself.
func (c *Call) Parent() (runID, step string) {
	if c.run == nil {
		return "", ""
	}
	return c.run.o.parent, c.run.o.parentStep
}

// ItemPath names the call's step as the report's paths of nested steps
// do, and as a sub-run it starts names it in its events' parent_step: a
// fan-out's item by its label ("fan[web-1]"), by its index when it has
// none ("fan[0]"), the step's id for a step without items.
func (c *Call) ItemPath() string {
	if c.Index < 0 {
		return c.Step.ID
	}
	return subItemPath(c.Step.ID, c.Index, c.label)
}

// MaskString returns s with the run's secrets masked.
func (c *Call) MaskString(s string) string {
	if c.run == nil {
		return s
	}
	return c.run.red.String(s)
}

// Playbook returns the playbook the call belongs to.
func (c *Call) Playbook() *steps.Playbook {
	if c.run == nil {
		return nil
	}
	return c.run.p.pb
}

// Environ returns the host environment the call's operation sees
// (ops.Call.Environ): a server's allow-listed part of its own; nil, the
// process's own, outside a run or when the run was given none.
func (c *Call) Environ() []string {
	if c.run == nil {
		return nil
	}
	return c.run.o.environ
}

// Inputs returns the inputs of the run the call belongs to (a sub-run's
// for a step of a sub-playbook), defaults included.
func (c *Call) Inputs() map[string]any {
	if c.run == nil {
		return nil
	}
	return c.run.inputs
}

// Value evaluates v in the call's expression environment (inputs, vars,
// steps, and item and index inside a fan-out), as the step's with: is.
func (c *Call) Value(v *steps.Value) (any, error) {
	if c.run == nil {
		return nil, errors.New("the call does not belong to a run")
	}
	return value(c.run.file, v, c.env)
}

// PlaybookName returns the name of the playbook the call's run runs.
func (c *Call) PlaybookName() string {
	if pb := c.Playbook(); pb != nil {
		return pb.Name
	}
	return ""
}

// Handler runs a call and returns the operation's output.
type Handler func(ctx context.Context, c *Call) (map[string]any, error)

// Middleware wraps a Handler with behaviour every call shares.
type Middleware func(next Handler) Handler

// chain composes the call path once per engine, which every plan of it
// shares (the middleware are the engine's, and a Handler holds no state of
// a run): authorization first (never
// retried), the dry-run gate, then any extra middleware, retry, one attempt with its timeout,
// any attempt middleware, the guard that turns panics into errors and
// abandons operations that ignore cancellation, and the operation itself.
func (e *Engine) chain() Handler {
	h := Handler(execute)
	h = guard(e.grace, e.clock)(h)
	for i := len(e.attemptMW) - 1; i >= 0; i-- {
		h = e.attemptMW[i](h)
	}
	h = attempt(e.clock)(h)
	h = retry(e.clock)(h)
	for i := len(e.middleware) - 1; i >= 0; i-- {
		h = e.middleware[i](h)
	}
	return authorize(dryRunGate(h))
}

// dryRunGate stops a dry run's calls of operations that are not read-only,
// after authorization has decided them, so a dry run reports every
// decision but changes nothing. playbook.run passes: its sub-run is a dry
// run too.
//
// A step that preflight denied for its params (a literal path, host or
// address the caller's scope does not hold), which the operation alone
// would check when it runs, is denied here as preflight decided: the real
// run would not have started, so the dry run must not say it would run.
func dryRunGate(next Handler) Handler {
	return func(ctx context.Context, c *Call) (map[string]any, error) {
		if c.run != nil && c.run.o.dryRun {
			if d := c.run.o.preflightOf(c.run.o.prefix + c.Step.ID); d != nil && !d.Allowed {
				c.Decision = d
				return nil, ops.WithClass(ops.ClassAuthorization, fmt.Errorf("%w: %s", ops.ErrDenied, d.Rule))
			}
		}
		if c.run != nil && c.run.o.dryRun && c.Entry.RiskFor(c.Params) != ops.RiskRead {
			if sub := c.Entry.Implements((*subPlaybook)(nil)); !sub {
				return nil, errDryRun
			}
		}
		return next(ctx, c)
	}
}

func execute(ctx context.Context, c *Call) (map[string]any, error) {
	call := &ops.Call{RunID: c.RunID, Step: c.Step.ID, Attempt: c.Tries(), Log: c.Log, Scope: c.Scope}
	if c.run != nil {
		call.Dir, call.Playbook = c.run.p.pb.Dir, c.run.p.pb.Name
		call.Literal = c.Step
		call.Secrets = c.run.secrets()
		call.Environ = c.run.o.environ
		call.FileEnv, call.FileEnvAt = c.run.o.fileEnv, c.run.o.fileAt
		call.RefuseSwappable = c.run.p.e.refuseSwaps
		if c.Entry.Spec.StreamsOutput {
			if w := c.run.outputWriter(c, "stdout"); w != nil {
				call.Output = w
				defer w.flush()
			}
			if w := c.run.outputWriter(c, "stderr"); w != nil {
				call.ErrOutput = w
				defer w.flush()
			}
		}
		if c.run.observed() {
			run := c.run
			call.Message = func(level, text string) { run.message(c, level, text) }
		}
	}
	if c.Index >= 0 {
		call.Step = fmt.Sprintf("%s[%d]", c.Step.ID, c.Index)
	}
	// The call itself, for playbook.run to find its run and its item's
	// name (callFrom). Set for every call, not only an item's: a step
	// without items in an item's sub-run would otherwise name its own
	// sub-run after the item further up, whose call its context still
	// carries.
	ctx = context.WithValue(ctx, callKey{}, c)
	return c.Entry.Invoke(ops.WithCall(ctx, call), c.Params, chaintoken.New())
}

// authorize asks the run's authorizer (the run option's, else the
// engine's) before anything else happens to the call.
func authorize(next Handler) Handler {
	return func(ctx context.Context, c *Call) (map[string]any, error) {
		a := c.run.authorizer()
		if a == nil {
			return next(ctx, c)
		}
		if err := a.Authorize(ctx, c); err != nil {
			if ops.ClassOf(err) != ops.ClassAuthorization {
				err = ops.WithClass(ops.ClassAuthorization, err)
			}
			c.Log.Warn().Err(err).Msg("denied")
			return nil, err
		}
		return next(ctx, c)
	}
}

// attempt runs one try under the step's timeout and records it.
func attempt(clock Clock) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, c *Call) (map[string]any, error) {
			start := clock.Now()
			actx := ctx
			if d := c.Step.Timeout; d > 0 {
				var cancel context.CancelFunc
				actx, cancel = context.WithTimeoutCause(ctx, d, ops.WithClass(ops.ClassTimeout, &timeoutError{what: stepTimeout, d: d, try: c.try, tries: c.tries}))
				defer cancel()
			}
			out, err := next(actx, c)
			if err != nil && actx.Err() != nil {
				err = causeOf(actx, err)
			}
			c.attempts.add(newAttempt(c.Tries()+1, start, clock.Now().Sub(start), out, err))
			return out, err
		}
	}
}

// guard runs the operation in a goroutine so that a panic becomes a system
// error and an operation that ignores cancellation is abandoned after the
// grace period instead of holding the run. An Immediate operation, which
// cannot ignore a cancellation since it never waits, is called in the
// caller's goroutine, its panic turned into the same error: a goroutine,
// a channel and a copy of the call less on each call of control.noop.
func guard(grace time.Duration, clock Clock) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, c *Call) (map[string]any, error) {
			if c.Entry.Spec.Immediate {
				return guardInline(ctx, c, next)
			}
			// The operation gets its own copy of the call: once abandoned it
			// may still read it while the chain records the outcome.
			g := &guarded{own: *c, done: make(chan struct{})}
			go func() {
				defer func() {
					if v := recover(); v != nil {
						g.out, g.err = nil, panicked(c, v)
					}
					close(g.done)
				}()
				g.out, g.err = next(ctx, &g.own)
			}()
			select {
			case <-g.done:
				return g.out, g.err
			case <-ctx.Done():
			}
			if c.Entry.Implements((*subPlaybook)(nil)) {
				// A sub-run is never abandoned: it ends its own steps and
				// bounds its handlers, and its record must reach the
				// report.
				<-g.done
				return g.out, g.err
			}
			grace := grace + c.Entry.StopTime(c.Params) // a kill_grace is the operation's own
			select {
			case <-g.done:
				return g.out, g.err
			case <-clock.After(grace):
				c.Abandoned = true
				c.Log.Error().Int64("grace_ms", grace.Milliseconds()).Msg("operation ignored cancellation; abandoned")
				c.run.emitCall(c, Event{Kind: EventLog, Level: "error", Message: fmt.Sprintf("operation %s ignored cancellation for %s and was abandoned", c.Entry.Spec.Name, short.Duration(grace))})
				return nil, causeOf(ctx, fmt.Errorf("operation did not stop within %s of being cancelled and was abandoned", short.Duration(grace)))
			}
		}
	}
}

// guardInline calls an Immediate operation in the caller's goroutine. It
// is never abandoned, so it reads the call itself rather than a copy.
func guardInline(ctx context.Context, c *Call, next Handler) (out map[string]any, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, panicked(c, v)
		}
	}()
	return next(ctx, c)
}

// panicked logs the panic v of c's operation with its stack, tells the
// run's events, and returns the system error the step reports. Called
// from the deferred function that recovered v, while the stack is still
// the panic's.
func panicked(c *Call, v any) error {
	stack := string(debug.Stack())
	c.Log.Error().Str("stack", stack).Msg("operation panicked")
	// The value may quote a param, a secret's too: masked, as in the
	// report.
	c.run.emitCall(c, Event{Kind: EventLog, Level: "error", Err: c.run.maskText(stack),
		Message: c.run.maskText(fmt.Sprintf("operation %s panicked: %v", c.Entry.Spec.Name, v))})
	return ops.Errorf(ops.ClassSystem, "operation %s panicked: %v", c.Entry.Spec.Name, v)
}

// guarded is one call of an operation in guard: the operation's copy of
// the call and its outcome, set before done is closed. One allocation,
// and a channel without a buffer, where the copy and a channel of
// outcomes cost three.
type guarded struct {
	own  Call
	out  map[string]any
	err  error
	done chan struct{}
}

// deniedWhenRun is the decision a call records once it ran: the
// authorizer's, unless that allowed the operation and the role's scope
// then refused what the call was given (a path from ${{ }}, a fan-out's
// item outside the file roots, a host outside its hosts), which only the
// operation could judge. That call was denied, and its report and audit
// line say so: allowed false, with the refusal. A playbook.run whose
// sub-run had a step denied keeps its own decision: the nested step
// records the denial.
func deniedWhenRun(c *Call, err error) *report.Decision {
	d := c.Decision
	var sub *subRunError
	if d == nil || !d.Allowed || ops.ClassOf(err) != ops.ClassAuthorization || errors.As(err, &sub) {
		return d
	}
	why := strings.TrimPrefix(err.Error(), ops.ErrDenied.Error()+": ")
	return &report.Decision{Rule: d.Rule, Via: d.Via, DeniedWhenRun: true, Refusal: c.MaskString(why)}
}

// subRunError is the error of a playbook.run whose sub-run did not
// succeed: its class is the sub-run's, an authorization one when a step
// of it was denied, which is the nested step's denial, not the call's.
type subRunError struct{ error }

func (e *subRunError) Unwrap() error { return e.error }
