package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// fakeRun is a Handle the test ends when it wants. It remembers the cause
// of every Cancel; with endOnCancel it ends as cancelled when cancelled,
// as a run whose finally steps are quick does.
type fakeRun struct {
	id          string
	job         Job
	launchedAt  time.Time
	endOnCancel bool
	letGo       bool // a Cancel(ErrShutdown) lets go of it, as a queued run's

	mu      sync.Mutex
	done    chan struct{}
	status  report.Status
	causes  []error
	stPanic bool
}

func (r *fakeRun) ID() string            { return r.id }
func (r *fakeRun) Done() <-chan struct{} { return r.done }

func (r *fakeRun) Status() report.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stPanic {
		panic("status exploded")
	}
	return r.status
}

func (r *fakeRun) Cancel(cause error) {
	r.mu.Lock()
	r.causes = append(r.causes, cause)
	end := r.endOnCancel
	letGo := r.letGo
	r.mu.Unlock()
	if letGo && errors.Is(cause, ErrShutdown) {
		r.end(history.StatusRunning)
		return
	}
	if end {
		r.end(report.StatusCancelled)
	}
}

func (r *fakeRun) cancelCauses() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.causes...)
}

// end ends the run with st; ending twice is a no-op.
func (r *fakeRun) end(st report.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.done:
	default:
		r.status = st
		close(r.done)
	}
}

// fakeLauncher starts fakeRuns. Unless hold is set, a run ends as
// succeeded as soon as it starts. fail, when set, decides per launch.
type fakeLauncher struct {
	clock *FakeClock

	mu          sync.Mutex
	hold        bool
	endOnCancel bool
	letGo       bool
	fail        func(n int, job Job) error // n counts launches from 1
	runs        []*fakeRun
	calls       int
}

func (l *fakeLauncher) Launch(_ context.Context, job Job) (Handle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.fail != nil {
		if err := l.fail(l.calls, job); err != nil {
			return nil, err
		}
	}
	r := &fakeRun{id: fmt.Sprintf("run-%d", len(l.runs)+1), job: job, launchedAt: l.clock.Now(), done: make(chan struct{}), endOnCancel: l.endOnCancel, letGo: l.letGo}
	if !l.hold {
		r.status = report.StatusSucceeded
		close(r.done)
	}
	l.runs = append(l.runs, r)
	return r, nil
}

func (l *fakeLauncher) started() []*fakeRun {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*fakeRun(nil), l.runs...)
}

// slotsOf lists the slots of the runs started for a playbook, formatted in
// their own zone.
func (l *fakeLauncher) slotsOf(name string) []string {
	var out []string
	for _, r := range l.started() {
		if r.job.Playbook.Name == name {
			out = append(out, r.job.Slot.Format(time.RFC3339))
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the scheduler's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// lines returns the JSON log lines with message msg.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) lines(msg string) []map[string]any {
	return b.linesWhere(func(m map[string]any) bool { return m["message"] == msg })
}

// linesWhere are the JSON log lines for which keep is true.
func (b *syncBuffer) linesWhere(keep func(map[string]any) bool) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// harness is a Scheduler on a fake clock, a fake launcher and a real
// store: the SQLite history of a temporary state dir, or, under a subtest
// named postgres (see eachStore), a new PostgreSQL database.
type harness struct {
	t        *testing.T
	dir      string
	dsn      string // the database, for the postgres backend
	clock    *FakeClock
	store    store.Store
	launcher *fakeLauncher
	s        *Scheduler
	logs     *syncBuffer
	cfg      Config
}

func newHarness(t *testing.T, start time.Time, tweak ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clock: NewFakeClock(start), logs: &syncBuffer{}}
	if backendOf(t) == "postgres" {
		h.dsn = pgtest.DSN(t)
	}
	h.launcher = &fakeLauncher{clock: h.clock}
	h.cfg = Config{Launcher: h.launcher, Clock: h.clock}
	for _, f := range tweak {
		f(&h.cfg)
	}
	h.open()
	return h
}

// open opens the store and a new Scheduler on it, as a process start does.
func (h *harness) open() {
	h.t.Helper()
	st, err := store.Open(context.Background(), store.Spec{Dir: h.dir})
	if h.dsn != "" {
		st, err = store.Open(context.Background(), store.Spec{URL: h.dsn})
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = st
	h.t.Cleanup(func() { st.Close() })
	cfg := h.cfg
	cfg.Store = st
	logger := zerolog.New(h.logs).With().Timestamp().Logger()
	cfg.Logger = &logger
	h.s, err = New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
}

// eachStore runs f against both stores, as the subtests sqlite and
// postgres: the scheduler's semantics must not depend on where its slots
// are recorded.
func eachStore(t *testing.T, f func(t *testing.T)) {
	t.Run("sqlite", f)
	t.Run("postgres", f)
}

// backendOf is the store a test's harness uses: the name of the subtest
// eachStore started it in.
func backendOf(t *testing.T) string {
	if parts := strings.Split(t.Name(), "/"); len(parts) > 1 && parts[1] == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// restart drops the Scheduler without a shutdown, as a crash or kill does,
// and opens a new one on the same state dir.
func (h *harness) restart() {
	h.t.Helper()
	h.store.Close()
	h.open()
}

func (h *harness) load(pbs ...*steps.Playbook) {
	h.t.Helper()
	if err := h.s.Load(pbs); err != nil {
		h.t.Fatal(err)
	}
}

// runUntil drives the scheduler's loop by hand up to target: a tick, then
// the clock moves by what the tick asked for, until the clock reads target
// and that moment has been ticked too.
func (h *harness) runUntil(target time.Time) {
	h.t.Helper()
	for {
		d, _ := h.s.tick()
		h.quiesce()
		now := h.clock.Now()
		if !now.Before(target) {
			return
		}
		h.clock.Advance(min(d, target.Sub(now)))
	}
}

// run is runUntil for a duration.
func (h *harness) run(d time.Duration) { h.runUntil(h.clock.Now().Add(d)) }

// quiesce waits until every Launch has returned, every run that ended
// has been taken in by the scheduler, every slot settled is written, and
// every run that blocked skipped slots is named in their records or waits
// on the clock to try again.
func (h *harness) quiesce() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.s.mu.Lock()
		busy := h.s.launching > 0 || h.s.naming > 0 || h.s.settling.Load() > 0
		h.s.eachRun(func(rs *runState) {
			if rs.handle == nil {
				return
			}
			select {
			case <-rs.handle.Done():
				busy = true
			default:
			}
		})
		h.s.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the scheduler did not settle within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// slots returns the slot records of a playbook as "RFC3339 outcome
// blocked_by", oldest first.
func (h *harness) slots(name string) []string {
	h.t.Helper()
	recs, err := h.store.Slots(context.Background(), name, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, strings.TrimSpace(r.Slot.UTC().Format(time.RFC3339)+" "+string(r.Outcome)+" "+r.BlockedBy))
	}
	return out
}

// playbook returns a scheduled playbook built by hand, as Load would get
// it from steps.Load.
func playbook(name, cron string, opts ...func(*steps.Schedule)) *steps.Playbook {
	sc := &steps.Schedule{Cron: cron, Location: time.UTC, Overlap: "skip", Catchup: "none"}
	for _, o := range opts {
		o(sc)
	}
	abs, err := filepath.Abs(name + ".yaml")
	if err != nil {
		panic(err)
	}
	return &steps.Playbook{Name: name, File: name + ".yaml", AbsFile: abs, Schedule: sc}
}

func zone(loc *time.Location) func(*steps.Schedule) {
	return func(sc *steps.Schedule) { sc.Location, sc.Timezone = loc, loc.String() }
}

func overlap(p string) func(*steps.Schedule) {
	return func(sc *steps.Schedule) { sc.Overlap = p }
}

func catchup(mode string, deadline time.Duration) func(*steps.Schedule) {
	return func(sc *steps.Schedule) { sc.Catchup, sc.StartingDeadline = mode, deadline }
}

func jitter(d time.Duration) func(*steps.Schedule) {
	return func(sc *steps.Schedule) { sc.Jitter = d }
}

// utc formats times as the slot records show them.
func utc(ts ...time.Time) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.UTC().Format(time.RFC3339))
	}
	return out
}

// t10 is a Monday, 10:00 UTC.
var t10 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// startLoop runs the real loop (Run) in a goroutine and waits until it is
// parked; the returned function stops it and waits for Run to return.
func (h *harness) startLoop() func() error {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h.s.mu.Lock()
	before := h.s.ticks
	h.s.mu.Unlock()
	go func() { done <- h.s.Run(ctx) }()
	h.awaitParked(before)
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			h.t.Fatal("Run did not return within 10s")
			return nil
		}
	}
}

// awaitParked waits until the loop has ticked since tick number before,
// is parked with nothing to take in, and no launch, ended run, settled
// slot or naming of a blocking run (see quiesce) is left.
func (h *harness) awaitParked(before int) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.s.mu.Lock()
		ok := h.s.parked && h.s.ticks > before && len(h.s.wake) == 0 && h.s.launching == 0 && h.s.naming == 0 && !h.s.pruning && h.s.settling.Load() == 0
		h.s.eachRun(func(rs *runState) {
			if rs.handle == nil {
				return
			}
			select {
			case <-rs.handle.Done():
				ok = false
			default:
			}
		})
		h.s.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the loop did not park within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// loopStep moves the clock forward by d in the steps the loop's timers
// ask for, letting the loop take in each one, and checks that the loop
// never waits longer than MaxRecheck.
func (h *harness) loopStep(d time.Duration) {
	h.t.Helper()
	for d > 0 {
		ts := h.clock.Timers()
		if len(ts) != 1 {
			h.t.Fatalf("the parked loop has %d timers, want 1", len(ts))
		}
		if ts[0] > MaxRecheck {
			h.t.Fatalf("the loop waits %s, longer than %s", ts[0], MaxRecheck)
		}
		step := min(ts[0], d)
		h.s.mu.Lock()
		before := h.s.ticks
		h.s.mu.Unlock()
		h.clock.Advance(step)
		d -= step
		if step == ts[0] {
			h.awaitParked(before)
		}
	}
}

// metricValue returns the value of a counter or gauge of the scheduler's
// registry whose playbook label is playbook ("" for none).
func metricValue(t *testing.T, s *Scheduler, name, playbook string) float64 {
	t.Helper()
	v, _ := gathered(t, s.Registry(), name, playbook)
	return v
}
