// Package scheduler fires playbooks on their cron schedules: once per
// slot, across restarts, with the overlap, jitter and catch-up rules of
// each playbook's schedule: block. It never runs a playbook itself: it asks
// a Launcher to start a run and keeps the run's Handle. RunLauncher is the
// Launcher over the run service (runs.Manager), so runs started by the
// scheduler are recorded, reported and audited like any other.
//
// A program that runs a scheduler (`arsenal-run schedule`, the API
// server) wires: LockStateDir on the state dir (one scheduler per state
// dir), a runs.Service and runs.Manager on it, NewRunLauncher over the
// manager, New with the service's history store as the Store, and
// NewStepMetrics on the scheduler's Registry fed from each run's events
// (RunLauncher.Watch).
//
// A Scheduler's life: New, Load (the first set of playbooks), Run until its
// context ends, which shuts down: no more firing, a grace period for the
// running runs, then they are cancelled and waited for. Load may be called
// again at any time to swap the set (a reload). Handler serves /healthz and
// /metrics.
//
// Time comes from a Clock; the scheduler sleeps on nothing else, so tests
// drive it with a FakeClock.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Launcher starts scheduled runs.
type Launcher interface {
	// Launch starts the run of job and returns its handle without waiting
	// for the run to end; ctx bounds the start, not the run. An error means
	// no run was started. Launch may be called from several goroutines at
	// once. A panic in Launch is recovered and counts as an error.
	Launch(ctx context.Context, job Job) (Handle, error)
}

// Handle is a run started by a Launcher.
type Handle interface {
	ID() string
	// Cancel asks the run to stop; the run's finally steps still run.
	// cause is ErrReplaced, ErrShutdown or ErrStoppedBeforeStart. Cancel
	// may be called more than once.
	Cancel(cause error)
	// Done is closed when the run has ended and is recorded.
	Done() <-chan struct{}
	// Status is the run's final status, once Done is closed.
	Status() report.Status
}

// Waiter is a Handle whose run may wait for a place before it starts (the
// run service's limit on runs at once, --max-concurrent-runs). The
// scheduler counts such a run as waiting, not running, until it starts;
// its delay is measured to its real start; and when the scheduler stops
// before it started, it is withdrawn and its slot recorded missed. A
// Handle that is not a Waiter starts when Launch returns.
type Waiter interface {
	// Started is closed once the run has started; never, for a run that
	// ends without starting (Done is closed then).
	Started() <-chan struct{}
	// Withdraw takes the run back if it has not started: it will never
	// start, is not recorded by the launcher, and its Done is closed
	// soon. false means it has started, or cannot be taken back (cancel
	// it instead).
	Withdraw() bool
}

// Job is one run the scheduler asks for.
type Job struct {
	Playbook *steps.Playbook
	Slot     time.Time       // the slot, before jitter, in the playbook's time zone
	Trigger  history.Trigger // always history.TriggerSchedule
	// Logged is closed once the scheduler has logged the run's start
	// ("run started"), or once a run that did not start has ended (the
	// scheduler then waits for the run's watcher); RunLauncher holds
	// Watch's view of the run's events back until then (see
	// RunLauncher.Watch).
	Logged <-chan struct{}
	// File is what the check of the playbook's file found just before
	// the launch (the check that "run started" is followed by a warning
	// on): a Launcher that would check the file again for the run's own
	// warning takes this verdict instead (RunLauncher does).
	File *steps.FileVerdict
}

// Store is where the scheduler keeps its record of slots; *history.Store
// is one. See history.Store for the contract of each method.
type Store interface {
	TrackSchedules(ctx context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error)
	ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error)
	SettleSlot(ctx context.Context, slot history.Slot) error
	PruneSlots(ctx context.Context, before time.Time) (int64, error)
	// Pauses returns the paused schedules: their slots are recorded as
	// skipped instead of fired.
	Pauses(ctx context.Context) (map[string]history.Pause, error)
}

var _ Store = (*history.Store)(nil)

// Causes given to Handle.Cancel.
var (
	ErrReplaced = errors.New("cancelled for a newer slot (overlap: replace)")
	ErrShutdown = errors.New("cancelled: the scheduler stopped and the grace period is over")
	// ErrStoppedBeforeStart cancels a run still waiting to start when
	// the scheduler stops, which its Launcher could not withdraw.
	ErrStoppedBeforeStart = errors.New("cancelled: the scheduler stopped before the run could start")
)

// Defaults of Config.
const (
	DefaultGrace             = 20 * time.Second
	DefaultMaxConcurrentRuns = 10
	DefaultTolerance         = time.Minute
	MaxRecheck               = 30 * time.Second
	// DefaultLead is how long before a slot an idle playbook's slot is
	// decided and claimed, at least; see Config.Lead.
	DefaultLead = 50 * time.Millisecond
	// MaxLead bounds the lead when deciding a batch ahead takes long.
	MaxLead              = time.Second
	DefaultSlotRetention = 24 * time.Hour
	// MaxMissedRecorded is how many missed slots of one playbook are
	// recorded one by one after a long gap; older ones are only counted
	// in the log.
	MaxMissedRecorded = 100
)

// Config is what New needs. Launcher and Store are required.
type Config struct {
	Launcher Launcher
	Store    Store
	Clock    Clock           // nil: SystemClock()
	Logger   *zerolog.Logger // nil: no logging
	// Grace is how long shutdown waits for running runs before it cancels
	// them; 0 means DefaultGrace.
	Grace time.Duration
	// LetGo makes shutdown let go of the running runs at once instead of
	// waiting Grace and cancelling them: they execute elsewhere (a shared
	// queue's worker) and go on after this scheduler stops. Their handles
	// get Cancel(ErrShutdown), which must let go of them, not stop them.
	LetGo bool
	// MaxConcurrentRuns bounds the runs of one playbook with overlap
	// allow; 0 means DefaultMaxConcurrentRuns.
	MaxConcurrentRuns int
	// LimitFrom names where MaxConcurrentRuns comes from in the message
	// of a slot skipped under overlap allow: the flag that sets it
	// ("--max-concurrent-runs"); "" says it is the default.
	LimitFrom string
	// Tolerance is how late a slot may be found and still fire as on
	// time; later slots were missed and follow the schedule's catchup.
	// A shorter starting_deadline wins. 0 means DefaultTolerance.
	Tolerance time.Duration
	// Recheck is the longest the loop waits before it reads the wall
	// clock again, at most (and by default) MaxRecheck.
	Recheck time.Duration
	// SlotRetention is how long slot records are kept; the newest slot of
	// each playbook is remembered regardless. 0 means DefaultSlotRetention.
	SlotRetention time.Duration
	// Registry receives the scheduler's metrics; nil means a new one.
	// Never the global default registry, which leaks between tests.
	Registry *prometheus.Registry
	// Metrics, when set, are the series the scheduler records into (and
	// registers on Registry, if they are not there); nil means a set of
	// its own. See Metrics.
	Metrics *Metrics
	// Jitter returns a random duration in [0, max); nil means math/rand.
	Jitter func(max time.Duration) time.Duration
	// Lead is how long before its fire time the slot of a playbook with
	// no run going is decided and recorded, so that its run starts on
	// time rather than after the store has recorded the batch (1,000
	// slots at one instant take milliseconds to record). The claimed run
	// starts at the fire time; a run going, or a queued slot, keeps the
	// decision at the fire time itself. The lead grows to twice what
	// deciding ahead took, up to MaxLead. 0 means DefaultLead; below 0
	// turns it off.
	Lead time.Duration
	// Takeover, when set, makes every slot found at most this late fire,
	// not only the newest: a replica that takes the leadership over from
	// one that died fires the slots of the gap, each once, but for those
	// past their starting_deadline, missed as after downtime. Zero (one
	// scheduler on one host) keeps the rule that the older slots of a gap
	// were missed.
	Takeover time.Duration
}

// Scheduler fires the loaded playbooks. Its methods are safe for concurrent
// use.
type Scheduler struct {
	cfg     Config
	log     zerolog.Logger
	metrics *Metrics
	wake    chan struct{} // one pending wake-up for the loop or shutdown
	stop    chan struct{} // closed when shutdown begins: retries wait no more
	// stopped ends when stop is closed, cutting short a store write that
	// shutdown would otherwise wait for.
	stopped    context.Context
	endStopped context.CancelFunc

	// loadMu keeps Loads one at a time: each records its schedules in
	// the store before it takes mu.
	loadMu sync.Mutex

	// mu guards everything below. The loop releases it while the store
	// records a batch of slots (claim); claiming is set then, and Load
	// waits on claimDone for the batch to be acted on.
	mu        sync.Mutex
	claiming  bool
	claimDone sync.Cond
	entries   map[string]*entry
	names     []string            // sorted keys of entries: a stable firing order
	retired   map[*entry]struct{} // removed by a reload, with runs still going
	launching int                 // Launch calls in flight
	started   bool
	stopping  bool
	stopCause string // the signal that stops it, for its stopping line (SetStopCause)
	parked    bool   // the loop waits for its timer or a wake-up
	ticks     int    // ticks so far
	lastNow   time.Time
	// prevNow is the tick before lastNow's; lastElapsed and prevElapsed,
	// the clock's elapsed time at each (see behind).
	prevNow     time.Time
	lastElapsed time.Duration
	prevElapsed time.Duration
	since       time.Time // the first Load: slots before it were missed as the scheduler was not running
	nextPrune   time.Time
	reloadErr   *Problem
	storeErr    *Problem
	// storeSince is when the store began to fail; storeLogged and
	// storeLoggedText, when and what was last logged of it (storeFailed).
	storeSince      time.Time
	storeLogged     time.Time
	storeLoggedText string
	naming          int // nameBlocker goroutines writing, not waiting to try again
	// waitLogged is when a run waiting for a place was last logged at
	// info (logWaiting).
	waitLogged time.Time
	pruning    bool // a prune of old slot records is going on
	// settles are the later outcomes of claimed slots decided while s.mu
	// is held, which whoever releases it writes (unlock); settling counts
	// those not written yet.
	settles  []history.Slot
	settling atomic.Int64
	// resume are the entries whose queued slot starts once the pauses
	// are read (afterEnd), which whoever releases s.mu reads (unlock);
	// settling counts them too.
	resume []*entry
	// ahead are the runs of slots claimed ahead of their fire time, in
	// the order they were decided; each also is its entry's ahead.
	ahead []*runState
	lead  time.Duration // how far ahead idle playbooks' slots are decided

	// disk tells whether a playbook's file changed since it was loaded.
	disk steps.DiskCheck

	runs   sync.WaitGroup // one goroutine per run, from Launch to its end
	writes sync.WaitGroup // nameBlocker's goroutines and the prune
}

// entry is one loaded playbook and its firing state.
type entry struct {
	pb          *steps.Playbook
	tt          *Timetable
	fingerprint string
	cursor      time.Time // the newest slot decided; only later slots fire
	next        time.Time // the first slot after cursor; zero: none
	fireAt      time.Time // next plus its jitter
	retryAt     time.Time // after the store failed
	failing     string    // why the store failed, until it records e's slots again
	running     []*runState
	pending     *pending
	ahead       *runState // its slot, claimed ahead, waits for its fire time
	last        *RunInfo
	removed     bool
	// pausePath is history.PausePath of pathOf's file, made once per
	// playbook loaded (see pausedBy), not on every slot.
	pausePath string
	pathOf    *steps.Playbook
	series    *playbookSeries // made at its first run's end (seriesOf)
}

// idle tells whether e has no run going, starting or claimed ahead, and no
// queued slot: only then is its next slot decided ahead, as the decision
// cannot depend on a run that ends in the meantime.
func (e *entry) idle() bool {
	return len(e.running) == 0 && e.pending == nil && e.ahead == nil
}

// runState is one run of an entry, from the decision to launch to its end.
type runState struct {
	owner  *entry // moves to the new entry when a reload changes the schedule
	slot   time.Time
	fireAt time.Time
	// planned is when the run should have started: its slot plus the
	// jitter drawn for it. Its delay is its real start less planned,
	// however late it was found or how long it waited for a place.
	planned time.Time
	// startAt, for a run claimed ahead, is fireAt read on the clock of
	// the decision, monotonic on the system clock: a wall-clock jump in
	// between neither holds the run back nor starts it early.
	startAt time.Time
	start   time.Time
	id      string
	handle  Handle // nil while Launch runs
	cancel  error  // a cancel asked for while Launch ran
	// file is what the check of the playbook's file found as the run
	// was launched: Job.File points to it.
	file steps.FileVerdict
	// waiting is set while Launch has returned but the run waits for a
	// place (see Waiter); withdrawn once the scheduler stopped and took it
	// back, and its slot was recorded missed.
	waiting   bool
	withdrawn bool
	// fired, for the run of a queued slot, is the slot's record as
	// fired, which its supervise writes before the Launch.
	fired *history.Slot
	// skipped are the slots skipped behind the run while Launch ran,
	// named in their records once it has an id (nameBlocker).
	skipped []skippedSlot
}

// pending is a claimed slot waiting for the running runs to end.
type pending struct {
	slot      time.Time
	planned   time.Time // the slot plus its jitter
	blockedBy string
	// resuming is set while the runs before it have ended and the pauses
	// are read, s.mu released, to tell whether it starts (afterEnd).
	resuming bool
}

// New returns a Scheduler with no playbooks.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Launcher == nil || cfg.Store == nil {
		return nil, errors.New("scheduler: a Launcher and a Store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.MaxConcurrentRuns <= 0 {
		cfg.MaxConcurrentRuns = DefaultMaxConcurrentRuns
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = DefaultTolerance
	}
	if cfg.Recheck <= 0 || cfg.Recheck > MaxRecheck {
		cfg.Recheck = MaxRecheck
	}
	if cfg.Lead == 0 {
		cfg.Lead = DefaultLead
	}
	cfg.Lead = min(cfg.Lead, MaxLead)
	if cfg.SlotRetention <= 0 {
		cfg.SlotRetention = DefaultSlotRetention
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(max time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(max))) }
	}
	s := &Scheduler{
		cfg:     cfg,
		log:     zerolog.Nop(),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		entries: map[string]*entry{},
		retired: map[*entry]struct{}{},
		lead:    max(cfg.Lead, 0),
	}
	s.claimDone.L = &s.mu
	s.stopped, s.endStopped = context.WithCancel(context.Background())
	if cfg.Logger != nil {
		s.log = cfg.Logger.With().Str("component", Component).Logger()
	}
	s.metrics = cfg.Metrics
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if err := s.metrics.register(cfg.Registry); err != nil {
		return nil, fmt.Errorf("scheduler: metrics: %w", err)
	}
	return s, nil
}

// Registry returns the registry the scheduler's metrics are on, so that
// the caller can add its own (step durations, for one) to one /metrics.
func (s *Scheduler) Registry() *prometheus.Registry { return s.cfg.Registry }

// storeTimeout bounds one call to the Store.
const storeTimeout = 30 * time.Second

// signal wakes the loop, or shutdown, once.
func (s *Scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// plan sets e's next slot after its cursor, and when it fires.
func (s *Scheduler) plan(e *entry, now time.Time) {
	e.next = e.tt.Next(e.cursor)
	e.fireAt = e.next
	if e.next.IsZero() {
		s.log.Warn().Str("playbook", e.pb.Name).Msg("the schedule has no slot in the next five years")
		return
	}
	if j := e.pb.Schedule.Jitter; j > 0 {
		e.fireAt = e.next.Add(s.cfg.Jitter(j))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
