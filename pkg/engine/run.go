package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/exprsafe"
	"github.com/arsenal-run/arsenal-run/internal/redact"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// NewRunID returns a run id that sorts by time and cannot be guessed: the
// time to the second, then 32 hex digits, of which the first five are the
// microsecond within that second and the other 108 bits are random. Ids made
// in the same second thus sort in the order they were made, as a
// UUIDv7's do, and each new run's rows go at the end of the history's
// indexes by run id instead of at random places in them, which would make
// every run written dirty pages of its own.
func NewRunID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	now := time.Now().UTC()
	us := uint32(now.Nanosecond() / 1000) // < 2^20
	b[0], b[1], b[2] = byte(us>>12), byte(us>>4), byte(us<<4)|b[2]&0x0f
	// One allocation, the string's: every execute takes an id.
	var id [len("20060102T150405-") + 32]byte
	out := append(now.AppendFormat(id[:0], "20060102T150405"), '-')
	return string(hex.AppendEncode(out, b[:]))
}

// run is the state of one execution of a plan.
type run struct {
	p  *Plan
	o  runOptions
	id string
	// boxed are run.id and run.started_at as run's expressions read
	// them, made at the first baseEnv (see runBoxed).
	boxedOnce sync.Once
	boxed     runBoxed
	file      string
	log       zerolog.Logger
	logw      io.WriteCloser
	red       *redact.Redactor
	secMu     sync.Mutex
	secretV   []string // what red masks, for operations and sub-runs
	// derived counts the values made of secrets masked in the run and
	// its sub-runs, toward one MaxDerivedSecrets (derived.go); shared
	// with sub-runs, as budget is.
	derived *atomic.Int32
	inputs  map[string]any
	vars    map[string]any
	env     map[string]any
	pbEnv   map[string]string
	states  map[string]*steps.StepState
	// slots are the steps' states and records, by node index.
	slots  []stepSlot
	start  time.Time
	sem    chan struct{}
	decMu  sync.Mutex
	subMu  sync.Mutex
	subs   map[string]*report.SubRun
	subDry map[string]bool // sub-runs whose dry outputs are partial, like subs
	budget *outputBudget   // shared with sub-runs
	lost   *unaudited      // calls whose audit line was lost; shared with sub-runs
	// ownBudget, ownLost and ownDerived are what budget, lost and
	// derived point to, unless
	// a parent's are shared: a part of the run, not an allocation more.
	ownBudget  outputBudget
	ownLost    unaudited
	ownDerived atomic.Int32
	logMu      sync.Mutex
	logs       map[string]*stepLog // live process output written, by step
	// endMu guards ended, set once the run has finished: an operation's
	// message that comes later is dropped (lateMessage).
	endMu sync.RWMutex
	ended bool
	// resumable: the report records step definitions for a later resume.
	resumable bool
	// resumed indexes the resumed run's succeeded steps by id; only the
	// scheduler goroutine touches it.
	resumed map[string]*report.Step
	// digestEnv is the steps section's environment, for paramsRecord,
	// whose evaluations stop when digestCtx, finish's, is done.
	digestEnv map[string]any
	digestCtx context.Context
	// chosen are the steps a partial run selected, by node index; nil
	// when the run runs every step.
	chosen map[int]bool
	// outputs are the run's outputs as computed, neither capped nor
	// masked: what playbook.run hands the calling run, whose redactor
	// learns this run's secrets. The report's copy is capped and masked.
	outputs map[string]any
}

// record is what the run learns about one step.
type record struct {
	name   string
	status report.Status
	reason string
	// notification is, for a notify entry that ran, who got its message.
	notification *report.Notification
	started      time.Time
	ran          bool
	dur          time.Duration
	attempts     attemptLog
	tries        int
	output       any
	err          *report.Error
	items        []report.Item
	blocked      bool // skipped because a need did not succeed: its dependents skip too
	abandoned    bool
	reused       bool
	announced    bool // step_started was emitted
	decision     *report.Decision
	confirmed    *report.Confirmation // the answer to the step's confirm: question
	// dryConfirm is, in a dry run, what its reason adds of the confirm:
	// question the dry run did not ask (dryConfirmNote).
	dryConfirm string
	// dryRun is set when a dry run did not execute the step (or some of
	// its items), or for playbook.run when the sub-run's outputs read
	// steps it did not execute: steps that read its state are skipped too.
	dryRun bool
	// dryAfter is, when the step's dryRun comes only of failures after a
	// need the dry run did not execute (dryUnsure), the id of that need:
	// the step itself was executed.
	dryAfter string
	// counts are a fan-out's items by status.
	counts map[report.Status]int
	// cutOutputs outputs of the step or its items lost cutBytes bytes to
	// the run's output budget.
	cutOutputs int
	cutBytes   int64
	paramsSHA  string // the parameter digest, once known (see paramsRecord)
	// rescued is set when the step failed and its rescue steps all
	// succeeded.
	rescued bool
	// settings are the step's retry and repeat settings, computed when it
	// starts.
	settings *settings
	// cached: the output came from the result cache, an entry cacheAge old.
	cached   bool
	cacheAge time.Duration
}

// playbookTimeout is the what of a run's playbook timeout.
const playbookTimeout = "playbook timeout"

// Run executes the plan with the given inputs (typed data; see ParseInputs
// and ResolveInputs) and returns its report. The error is non-nil only when
// the run could not start, such as for bad inputs; a run that fails still
// returns a nil error and a report saying so. Run never panics on a
// playbook's or an operation's behalf.
func (p *Plan) Run(ctx context.Context, inputs map[string]any, opts ...RunOption) (*report.Report, error) {
	var o runOptions
	for _, a := range opts {
		a.apply(&o)
	}
	if err := p.runEnviron(&o); err != nil {
		return nil, err
	}
	in, err := p.ResolveInputs(inputs, lookupIn(o.environ))
	if err != nil {
		return nil, err
	}
	r := p.newRun(in, o)
	defer r.logw.Close()
	if o.sel != nil {
		if r.chosen, err = p.selected(o.sel); err != nil {
			return nil, err
		}
	}
	return r.execute(ctx), nil
}

func (p *Plan) newRun(inputs map[string]any, o runOptions) *run {
	r := &run{p: p, o: o, id: o.id, file: p.pb.File, inputs: inputs, start: o.startedAt}
	if r.start.IsZero() {
		r.start = p.e.clock.Now()
	}
	if r.id == "" {
		r.id = NewRunID()
	}
	r.red = redact.New()
	for _, in := range p.pb.Inputs {
		if v, ok := inputs[in.Name]; ok && in.Secret {
			r.addSecret(v)
		}
	}
	out, level := p.e.logOut, p.e.logLevel
	if o.logSet {
		out, level = o.logOut, o.logLevel
	}
	if out == nil {
		r.logw = discardLog
		r.log = zerolog.Nop()
	} else {
		r.logw = r.red.JSONWriter(out)
		c := zerolog.New(r.logw).Level(level).With().Timestamp()
		for i := 0; i+1 < len(o.logFields); i += 2 {
			c = c.Str(o.logFields[i], o.logFields[i+1])
		}
		c = c.Str("run_id", r.id)
		if o.parent != "" {
			// A sub-playbook's lines name the run and step that started
			// it, as its events do: a search for the caller's run id
			// finds them, and the sub-runs of a fan-out are told apart.
			c = c.Str("parent_run_id", o.parent).Str("parent_step", o.parentStep)
		}
		r.log = c.Logger()
	}
	r.env = environ(o.readEnv())
	// The steps' states and records, one allocation for them all: a
	// short run of a few steps pays for its set-up as much as for its
	// steps.
	r.states = make(map[string]*steps.StepState, len(p.nodes))
	r.slots = make([]stepSlot, len(p.nodes))
	for i, n := range p.nodes {
		r.states[n.step.ID] = &r.slots[i].state
	}
	r.ownBudget.limit = budgetLimit(p.e.outputBudget)
	r.ownBudget.msgs.limit = r.ownBudget.limit / attemptMessageShare
	r.budget, r.lost, r.derived = &r.ownBudget, &r.ownLost, &r.ownDerived
	parallel := p.e.maxParallel
	if m := p.pb.MaxParallel; m > 0 {
		parallel = min(parallel, m)
	}
	r.sem = make(chan struct{}, parallel)
	return r
}

// stepSlot is what a run holds of one step: its state, which
// expressions read, its record, and how many of the steps it needs have
// yet to end while its section runs.
type stepSlot struct {
	state   steps.StepState
	rec     record
	waiting int
}

// rec is the record of the step of node index i.
func (r *run) rec(i int) *record { return &r.slots[i].rec }

type nopCloser struct{ io.Writer }

// discardLog is the log of a run that logs nothing, made once: its value
// in an interface would otherwise cost an allocation a run.
var discardLog io.WriteCloser = nopCloser{io.Discard}

func (nopCloser) Close() error { return nil }

func (r *run) authorizer() Authorizer {
	if r == nil {
		return nil
	}
	if r.o.auth != nil {
		return r.o.auth
	}
	return r.p.e.authorizer
}

// execute runs the phases: vars, steps, on_failure when the run failed,
// finally always, then outputs.
func (r *run) execute(parent context.Context) *report.Report {
	pb := r.p.pb
	if !r.o.startLogged {
		r.log.Info().Str("playbook", pb.Name).Str("file", pb.File).Bool("dry_run", r.o.dryRun).Msg("run started")
	}
	for _, w := range r.o.warnings {
		if !r.o.quiet {
			r.log.Warn().Str("playbook", pb.Name).Str("file", pb.File).Msg(w)
		}
	}
	r.emit(Event{Kind: EventRunStarted, Playbook: pb.Name, Warnings: r.o.warnings})
	parent = exprsafe.WithSecrets(parent, r)
	ctx := parent
	if pb.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(parent, pb.Timeout, r.playbookTimeoutCause(pb.Timeout))
		defer cancel()
	}
	r.vars = map[string]any{}
	env := r.baseEnv(ctx, "running") // vars fill r.vars, which env holds
	setupErr := r.setup(env)
	if setupErr == nil {
		r.runSection(ctx, r.p.sections[secSteps], env)
	} else {
		r.skipAll(r.p.sections[secSteps], "not run: the run could not start", true)
	}
	status, runErr := r.mainStatus(ctx, setupErr)

	// The handlers' context watches the run with a goroutine: a run
	// without handlers (most executes) does without both.
	hctx, stop := ctx, func() {}
	if slices.ContainsFunc([]int{secOnSuccess, secOnFailure, secOnCancel, secFinally, secNotify}, r.hasSection) {
		hctx, stop = r.handlerContext(parent, ctx)
	}
	defer stop()
	var henv map[string]any // only handlers read it
	if slices.ContainsFunc([]int{secOnSuccess, secOnFailure, secOnCancel, secFinally}, r.hasSection) {
		henv = r.baseEnv(hctx, string(status))
	}
	// mainOK: the steps succeeded, so on_success runs; what it does may
	// still fail the run, which the sections after it see.
	mainOK := status == report.StatusSucceeded
	for _, h := range []struct {
		sec  int
		when report.Status
		not  string
	}{
		{secOnSuccess, report.StatusSucceeded, "the run did not succeed"},
		{secOnFailure, report.StatusFailed, "the run did not fail"},
		{secOnCancel, report.StatusCancelled, "the run was not cancelled"},
	} {
		switch {
		case h.sec == secOnFailure && mainOK && status == report.StatusFailed:
			// on_success failed the run: on_failure reacts to the steps.
			r.skipAll(r.p.sections[h.sec], "the steps succeeded; on_success failed the run", false)
		case status == h.when:
			r.runSection(hctx, r.p.sections[h.sec], henv)
		default:
			r.skipAll(r.p.sections[h.sec], h.not, false)
		}
		if h.sec == secOnSuccess && status == report.StatusSucceeded {
			if n := r.firstFailure(r.p.sections[secOnSuccess]); n != nil {
				status, runErr = report.StatusFailed, r.stepFailure(n)
				if henv != nil {
					// finally sees the outcome so far.
					henv = r.baseEnv(hctx, string(status))
				}
			}
		}
	}
	// A cancellation or timeout that came while the handlers ran still
	// decides how the run ends (see lateEnd); finally sees it.
	late := func() bool {
		var changed bool
		status, runErr, changed = r.lateEnd(parent, ctx, mainOK, status, runErr)
		return changed
	}
	if late() && henv != nil {
		henv = r.baseEnv(hctx, string(status))
	}
	r.runSection(hctx, r.p.sections[secFinally], henv)
	if status == report.StatusSucceeded {
		if n := r.firstFailure(r.p.sections[secFinally]); n != nil {
			status, runErr = report.StatusFailed, r.stepFailure(n)
		}
	}
	if status == report.StatusSucceeded {
		if e := r.lost.failure(); e != nil {
			status, runErr = report.StatusFailed, e // lost by a handler
		}
	}
	if r.o.dryRun && status == report.StatusSucceeded {
		if denied := r.wouldBeDenied(); len(denied) > 0 {
			status = report.StatusFailed
			runErr = &report.Error{Class: string(ops.ClassAuthorization), Message: fmt.Sprintf("dry run: authorization would deny %s: %s", plural(len(denied), "step", "steps"), strings.Join(denied, ", "))}
		}
	}
	late() // or while finally ran
	if status == report.StatusFailed && (runErr == nil || runErr.Class != string(ops.ClassAuthorization)) {
		if n := r.firstDenied(); n != nil {
			runErr = r.stepFailure(n)
		}
	}
	nctx, nstop := r.notifyContext(parent, ctx, hctx, "notify grace")
	r.notify(nctx, status)
	nstop()
	// The outputs stop with the run, not after a handler budget, or
	// within a grace of their own, as notify's, when it was cancelled or
	// timed out before them.
	octx, ostop := r.notifyContext(parent, ctx, ctx, "outputs grace")
	defer ostop()
	return r.finish(octx, status, runErr)
}

// decision is the authorization decision a step reports: the one made
// when it was called, else the one preflight made.
func (r *run) decision(n *node) *report.Decision {
	if d := r.rec(n.idx).decision; d != nil {
		return d
	}
	return r.o.preflightOf(r.o.prefix + n.step.ID)
}

// wouldBeDenied lists the steps of a dry run that authorization denied or
// would deny, by their path in the preflight decisions, sub-playbooks'
// included.
func (r *run) wouldBeDenied() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range r.p.nodes {
		if d := r.decision(n); d != nil && !d.Allowed {
			out = append(out, r.o.prefix+n.step.ID)
			seen[r.o.prefix+n.step.ID] = true
		}
	}
	for _, k := range sortedKeys(r.o.preflight) {
		if rest, ok := strings.CutPrefix(k, r.o.prefix); ok && strings.Contains(rest, "/") && !r.o.preflight[k].Allowed && !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// hasSection reports whether the plan has steps in section sec.
func (r *run) hasSection(sec int) bool { return len(r.p.sections[sec]) > 0 }

// setup computes vars and the playbook's env, in order, in env: the
// steps' environment, whose vars are r.vars.
func (r *run) setup(env map[string]any) error {
	for _, v := range r.p.pb.Vars {
		x, err := value(r.file, v.Value, env)
		if err != nil {
			return fmt.Errorf("var %s: %w", v.Name, err)
		}
		r.vars[v.Name] = x
	}
	if len(r.p.pb.Env) > 0 {
		r.pbEnv = make(map[string]string, len(r.p.pb.Env))
		for _, ev := range r.p.pb.Env {
			x, err := value(r.file, ev.Value, env)
			if err != nil {
				return fmt.Errorf("env %s: %w", ev.Name, err)
			}
			if x == nil {
				return r.nullEnv("env "+ev.Name, ev.Value, ev.Pos)
			}
			r.pbEnv[ev.Name] = Stringify(x)
		}
	}
	return nil
}
