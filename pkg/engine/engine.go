// Package engine runs playbooks. A validated steps.Playbook becomes an
// immutable Plan (the step graph with resolved operations, compiled
// expressions and the call chain); a Plan runs any number of times,
// concurrently, each run with its own inputs, state and report.
package engine

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Defaults for an Engine's options.
const (
	DefaultMaxParallel   = 32
	DefaultGrace         = 5 * time.Second
	DefaultHandlerBudget = 5 * time.Minute
)

// Engine holds what every run shares: the operations, the clock, the
// authorization and confirmation hooks, and limits. It is safe for
// concurrent use once built.
type Engine struct {
	reg           *ops.Registry
	clock         Clock
	logOut        io.Writer
	logLevel      zerolog.Level
	maxParallel   int
	grace         time.Duration
	handlerBudget time.Duration
	outputBudget  int64
	authorizer    Authorizer
	confirmer     Confirmer
	middleware    []Middleware
	attemptMW     []Middleware
	// handler is the call chain, built once in New from the options
	// above: every plan of the engine shares it (see chain).
	handler  Handler
	observer Observer
	auditor  Auditor
	// refuseSwaps: RefuseSwappable.
	refuseSwaps bool
	// subPlans are the plans of the sub-playbooks its runs called, by
	// absolute path, for the content last loaded. They live as long as
	// the engine: held by the registry's playbook.run, they would keep
	// every engine a service made for a run, and grow with each such run.
	subMu    sync.Mutex
	subPlans map[string]*Plan
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock replaces the wall clock, for tests.
func WithClock(c Clock) Option { return func(e *Engine) { e.clock = c } }

// WithLog sends the runs' log lines (zerolog JSON, masked for secrets) to w
// at level and above. Without it runs log nothing.
func WithLog(w io.Writer, level zerolog.Level) Option {
	return func(e *Engine) { e.logOut, e.logLevel = w, level }
}

// WithMaxParallel bounds how many steps of one run execute at once.
func WithMaxParallel(n int) Option {
	return func(e *Engine) {
		if n > 0 {
			e.maxParallel = n
		}
	}
}

// WithGrace sets how long an operation may keep running after its context
// is done before the run abandons it and moves on.
func WithGrace(d time.Duration) Option { return func(e *Engine) { e.grace = d } }

// WithHandlerBudget sets how long on_failure and finally may still take
// once the run has been cancelled or has timed out, counted from that
// moment (or from the start of the handlers, if that came first). A run
// that is neither gives its handlers no such limit.
func WithHandlerBudget(d time.Duration) Option { return func(e *Engine) { e.handlerBudget = d } }

// WithOutputBudget sets how many bytes of operation outputs one run keeps
// in full (DefaultOutputBudget); outputs recorded after that are kept
// compact. Sub-runs share their parent's budget.
func WithOutputBudget(n int64) Option { return func(e *Engine) { e.outputBudget = n } }

// WithAuthorizer installs the check that runs first in every step's chain.
func WithAuthorizer(a Authorizer) Option { return func(e *Engine) { e.authorizer = a } }

// WithConfirmer installs what answers a step's confirm: question. Without
// one, such a step is denied unless the run has Yes set.
func WithConfirmer(c Confirmer) Option { return func(e *Engine) { e.confirmer = c } }

// WithMiddleware adds wrappers around every operation call, inside
// authorization and outside retry.
func WithMiddleware(m ...Middleware) Option {
	return func(e *Engine) { e.middleware = append(e.middleware, m...) }
}

// WithAttemptMiddleware adds wrappers around every try of an operation
// call: inside retry and the step's timeout, outside the guard that
// recovers panics. Tracing puts a span around each attempt here.
func WithAttemptMiddleware(m ...Middleware) Option {
	return func(e *Engine) { e.attemptMW = append(e.attemptMW, m...) }
}

// WithAuditor records every executed or denied call.
func WithAuditor(a Auditor) Option { return func(e *Engine) { e.auditor = a } }

// Auditor records each call once it has an outcome: executed, failed or
// denied. It is called from many goroutines. An Auditor that cannot record
// a call returns an error, and the call's step fails with class system:
// a step is never reported succeeded without its audit record.
type Auditor interface {
	Audit(c *Call, out map[string]any, err error, d time.Duration) error
}

// RefuseSwappable makes every run refuse the files it reads when it runs
// (a sub-playbook, an env file, an input's from_file) that a user of the
// host other than this process's and root could change or put a file of
// their own in place of (steps.Swappable), and has the operations refuse
// so the local files they install elsewhere
// (ops.Call.RefuseSwappable): for serve and schedule, whose runs have
// roles their files' authors did not give them. run leaves it off: a user
// runs their own files with their own rights.
func RefuseSwappable() Option { return func(e *Engine) { e.refuseSwaps = true } }

// WithObserver receives progress events from every run.
func WithObserver(o Observer) Option { return func(e *Engine) { e.observer = o } }

// New returns an Engine that runs the operations of reg.
func New(reg *ops.Registry, opts ...Option) *Engine {
	e := &Engine{
		reg:           reg,
		clock:         wallClock{},
		logLevel:      zerolog.InfoLevel,
		maxParallel:   DefaultMaxParallel,
		grace:         DefaultGrace,
		handlerBudget: DefaultHandlerBudget,
		outputBudget:  DefaultOutputBudget,
	}
	for _, o := range opts {
		o(e)
	}
	e.handler = e.chain()
	return e
}

// Registry returns the operations the engine runs.
func (e *Engine) Registry() *ops.Registry { return e.reg }

// Load loads and validates a playbook and plans it.
func (e *Engine) Load(path string) (*Plan, error) {
	pb, err := steps.Load(path, e.reg)
	if err != nil {
		return nil, err
	}
	return e.Plan(pb), nil
}

// Authorizer decides whether a call may run, after its parameters are
// interpolated. A denial is an error of class authorization.
type Authorizer interface {
	Authorize(ctx context.Context, c *Call) error
}

// Confirmer asks a person whether a step may run.
type Confirmer interface {
	Confirm(ctx context.Context, step, question string) (bool, error)
}

// Clock tells the time and waits. Tests replace it to avoid sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Observer receives progress events. It is called from many goroutines and
// must not block.
type Observer interface {
	Event(ev Event)
}

// EventKind says what happened. Its values are the event names of the
// documented grammar (docs/events.md), used as they are in JSON and SSE.
type EventKind string

// The kinds of Event.
const (
	EventRunStarted      EventKind = "run_started"
	EventStepStarted     EventKind = "step_started"
	EventStepFinished    EventKind = "step_finished"
	EventItemStarted     EventKind = "item_started"
	EventItemFinished    EventKind = "item_finished"
	EventBatchStarted    EventKind = "batch_started"
	EventBatchFinished   EventKind = "batch_finished"
	EventLog             EventKind = "log"
	EventRetry           EventKind = "retry"
	EventRepeat          EventKind = "repeat"
	EventConfirmAsked    EventKind = "confirm_asked"
	EventConfirmAnswered EventKind = "confirm_answered"
	EventRunFinished     EventKind = "run_finished"
)

// Event is one progress event of a run. Fields that do not apply to a kind
// are zero. Seq is set by whoever numbers the stream (the run service), not
// by the engine.
type Event struct {
	Seq   uint64    `json:"seq,omitempty"`
	Kind  EventKind `json:"kind"`
	Time  time.Time `json:"time"`
	RunID string    `json:"run_id"`
	// ParentRunID and ParentStep name the run and step that started this
	// run with playbook.run.
	ParentRunID string `json:"parent_run_id,omitempty"`
	ParentStep  string `json:"parent_step,omitempty"`
	Playbook    string `json:"playbook,omitempty"`
	Step        string `json:"step,omitempty"`
	Section     string `json:"section,omitempty"` // steps, rescue, on_success, on_failure, on_cancel, finally or notify
	// RescueOf names the step a rescue step's events belong to.
	RescueOf string `json:"rescue_of,omitempty"`
	Name     string `json:"name,omitempty"`
	Op       string `json:"op,omitempty"`
	Status   string `json:"status,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Items    int    `json:"items,omitempty"` // for a fan-out step: the number of items
	Index    *int   `json:"index,omitempty"` // for item events, and log and retry events of an item
	Label    string `json:"label,omitempty"` // item events: the item's label (a host's name), when it has one
	// Item is, on the item events of an item without a label, a preview
	// of its value, masked: see itemPreview.
	Item any `json:"item,omitempty"`
	// Batch is, on batch_started and batch_finished, the rolling batch
	// of a fan-out with serial:.
	Batch      *Batch `json:"batch,omitempty"`
	Attempt    int    `json:"attempt,omitempty"`
	Attempts   int    `json:"attempts,omitempty"`
	DelayMS    int64  `json:"delay_ms,omitempty"` // retry, repeat: the wait before the next attempt
	DurationMS int64  `json:"duration_ms,omitempty"`
	Err        string `json:"error,omitempty"`
	ErrClass   string `json:"error_class,omitempty"`
	// Stream is stdout or stderr for process output lines; Level the level
	// of a control.log message.
	Stream  string `json:"stream,omitempty"`
	Level   string `json:"level,omitempty"`
	Message string `json:"message,omitempty"` // a log line, or a confirm question
	Answer  string `json:"answer,omitempty"`  // confirm: yes or no
	By      string `json:"by,omitempty"`      // confirm: who answered
	// Cached is set on step_finished and item_finished when the output
	// came from the result cache, CacheAgeMS old, and the operation did
	// not run.
	Cached     bool  `json:"cached,omitempty"`
	CacheAgeMS int64 `json:"cache_age_ms,omitempty"`
	// Reused is set on the step_finished of a step a resumed run took
	// from the run it resumes: it did not run now, and its attempts and
	// duration are those of the run that ran it.
	Reused bool `json:"reused,omitempty"`
	// NotStarted is set on the step_finished of a step that did not
	// start in this run: skipped or decided before it ran (a need that
	// did not succeed, a denial by the preflight, a dry run), cancelled
	// before its turn, or reused. Its duration_ms is 0 unless reused, and
	// the views show a dash for its time, as the report's summary does
	// for a step without started_at. Absent, as from an older server,
	// the step is taken to have started.
	NotStarted bool `json:"not_started,omitempty"`
	// Ignored is set on the step_finished of a step that failed and whose
	// continue_on_error lets the run go on. A step with rescue steps is
	// not told here: whether its failure is rescued or ignored is known
	// once they ran, and the report says which.
	Ignored bool `json:"ignored,omitempty"`
	// Tolerated is set on the step_finished of a failed step and on the
	// run_finished of a failed run, in a sub-playbook whose failure the
	// step that started it tolerates (continue_on_error, rescue steps),
	// or one that started that step's run does: its lines are at warn,
	// as that step's own line is, not at error, since the run goes on.
	Tolerated bool `json:"tolerated,omitempty"`
	// Rescuing is set on the step_finished of a step that failed and
	// whose rescue steps run next: whether its failure fails the run is
	// known once they ran.
	Rescuing bool `json:"rescuing,omitempty"`
	// Notification is, on the step_finished of a notify entry that was
	// to be sent, who got its message (report.Step.Notification).
	Notification *report.Notification `json:"notification,omitempty"`
	// Authorization is, on the item_finished of a fan-out's item that
	// was denied, the decision that denied it, as the report's item has
	// it: a denial when it ran (denied_when_run) names the rule that
	// allowed the operation and what refused the item.
	Authorization *report.Decision `json:"authorization,omitempty"`
	// Warnings are, on run_started, what the front end found wrong with
	// the run as a whole before it started (report.Report.Warnings).
	Warnings []string `json:"warnings,omitempty"`
	// Report is the final report, on run_finished.
	Report *report.Report `json:"report,omitempty"`
	// Dropped, on a stream's dropped marker, counts the events a slow
	// subscriber did not receive.
	Dropped uint64 `json:"dropped,omitempty"`
}

// Batch is one of the rolling batches of a fan-out with serial:, on its
// batch_started and batch_finished events: which batch, which items, and
// how the step's items went so far.
type Batch struct {
	Number int `json:"number"` // from 1
	Of     int `json:"of"`     // the step's batches
	// First and Last are the indexes of the batch's first and last
	// items; FirstLabel and LastLabel their labels, when they have one.
	First      int    `json:"first"`
	Last       int    `json:"last"`
	FirstLabel string `json:"first_label,omitempty"`
	LastLabel  string `json:"last_label,omitempty"`
	// SoFar counts the step's items that finished so far, by status: on
	// batch_started those of the batches before it, on batch_finished
	// those up to and including it.
	SoFar ItemCounts `json:"so_far"`
}

// ItemCounts counts items by status.
type ItemCounts struct {
	Succeeded int `json:"succeeded,omitempty"`
	Failed    int `json:"failed,omitempty"`
	Denied    int `json:"denied,omitempty"`
	Cancelled int `json:"cancelled,omitempty"`
	Skipped   int `json:"skipped,omitempty"`
}

// Done is how many items the counts hold.
func (c ItemCounts) Done() int { return c.Succeeded + c.Failed + c.Denied + c.Cancelled + c.Skipped }

// ObserverFunc adapts a function to the Observer interface.
type ObserverFunc func(ev Event)

// Event calls f.
func (f ObserverFunc) Event(ev Event) { f(ev) }
