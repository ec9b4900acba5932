package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// gatedStore is a Store whose next ClaimSlots, once armed, waits until the
// test lets it go, as a claim waits behind the run service's own writes
// to the history, or for a disk that is slow.
type gatedStore struct {
	Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func newGatedStore(st Store) *gatedStore {
	return &gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedStore) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Store.ClaimSlots(ctx, slots)
}

// tickHeld starts a tick whose claim waits in g, and waits until it does;
// the returned function lets the claim go and waits for the tick.
func tickHeld(t *testing.T, h *harness, g *gatedStore) (letGo func()) {
	t.Helper()
	g.armed.Store(true)
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		h.s.tick()
	}()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the tick did not claim its slots within 10s")
	}
	var done atomic.Bool
	letGo = func() {
		if done.Swap(true) {
			return
		}
		close(g.release)
		<-ticked
		h.quiesce()
	}
	t.Cleanup(letGo)
	return letGo
}

// healthWithin returns the scheduler's health once ok says it is the one
// awaited, or fails the test when it is not within 10 s (Health, or ok,
// never true, waiting all that time).
func healthWithin(t *testing.T, s *Scheduler, ok func(Health) bool) {
	t.Helper()
	got := make(chan struct{})
	go func() {
		defer close(got)
		for !ok(s.Health()) {
			time.Sleep(time.Millisecond)
		}
	}()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler's health was not what was awaited within 10s: it waited for the store to record a batch of slots")
	}
}

// TestRunEndsWhileSlotsAreRecorded: while the store records a batch of
// slots, which may take seconds on a busy or slow disk, /healthz answers
// and a run that ends is taken in: neither waits for the store. The
// slot decided while the run went is recorded as it was decided.
func TestRunEndsWhileSlotsAreRecorded(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
		g := newGatedStore(h.store)
		h.s.cfg.Store = g
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m"))
		h.run(time.Minute) // 10:01 fires; its run goes on
		runs := h.launcher.started()
		if len(runs) != 1 {
			t.Fatalf("%d runs started at 10:01, want 1", len(runs))
		}
		h.clock.Advance(time.Minute)
		letGo := tickHeld(t, h, g) // 10:02, skipped behind run-1
		runs[0].end(report.StatusSucceeded)
		healthWithin(t, h.s, func(hl Health) bool {
			last := hl.Playbooks[0].LastRun
			return hl.Running == 0 && last != nil && last.ID == "run-1" && last.Status == report.StatusSucceeded
		})
		letGo()
		want := []string{slotIs(t10.Add(time.Minute), "fired"), slotIs(t10.Add(2*time.Minute), "skipped run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestSkippedBehindARunThatStartsWhileRecorded: a slot skipped behind a
// run still starting, whose Launch returns while the store records the
// slot, is named in the slot's record and row all the same.
func TestSkippedBehindARunThatStartsWhileRecorded(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
		g := newGatedStore(h.store)
		h.s.cfg.Store = g
		h.launcher.hold = true
		gate := make(chan struct{})
		h.launcher.fail = func(int, Job) error { <-gate; return nil }
		h.load(playbook("p", "@every 1m", overlap("skip")))
		h.clock.Advance(time.Minute)
		h.s.tick() // 10:01 fires; its Launch waits for the gate
		h.clock.Advance(time.Minute)
		letGo := tickHeld(t, h, g) // 10:02, skipped behind the run starting
		close(gate)
		healthWithin(t, h.s, func(hl Health) bool {
			r := hl.Playbooks[0].Running
			return len(r) == 1 && r[0].ID == "run-1"
		})
		letGo()
		s2 := t10.Add(2 * time.Minute)
		if diff := cmp.Diff([]string{slotIs(t10.Add(time.Minute), "fired"), slotIs(s2, "skipped run-1")}, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{slotIs(s2, "run-1")}, skippedRows(h)); diff != "" {
			t.Errorf("skipped rows (-want +got):\n%s", diff)
		}
	})
}

// TestQueuedBehindARunThatStartsWhileRecorded: a slot queued behind a run
// still starting, whose Launch returns while the store records the slot,
// names that run once it fires after it.
func TestQueuedBehindARunThatStartsWhileRecorded(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
		g := newGatedStore(h.store)
		h.s.cfg.Store = g
		h.launcher.hold = true
		gate := make(chan struct{})
		h.launcher.fail = func(n int, _ Job) error {
			if n == 1 {
				<-gate
			}
			return nil
		}
		h.load(playbook("p", "@every 1m", overlap("queue")))
		h.clock.Advance(time.Minute)
		h.s.tick() // 10:01 fires; its Launch waits for the gate
		h.clock.Advance(time.Minute)
		letGo := tickHeld(t, h, g) // 10:02, queued behind the run starting
		close(gate)
		healthWithin(t, h.s, func(hl Health) bool {
			r := hl.Playbooks[0].Running
			return len(r) == 1 && r[0].ID == "run-1"
		})
		letGo()
		h.launcher.started()[0].end(report.StatusSucceeded)
		h.quiesce()
		want := []string{slotIs(t10.Add(time.Minute), "fired"), slotIs(t10.Add(2*time.Minute), "fired run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// TestQueuedBehindARunThatEndsWhileRecorded: a slot queued behind a run
// that ends while the store records the slot starts as soon as it is
// recorded: nothing is left for it to wait for.
func TestQueuedBehindARunThatEndsWhileRecorded(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
		g := newGatedStore(h.store)
		h.s.cfg.Store = g
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("queue")))
		h.run(time.Minute) // 10:01 fires; its run goes on
		h.clock.Advance(time.Minute)
		letGo := tickHeld(t, h, g) // 10:02, queued behind run-1
		h.launcher.started()[0].end(report.StatusSucceeded)
		healthWithin(t, h.s, func(hl Health) bool { return hl.Running == 0 })
		letGo()
		runs := h.launcher.started()
		if len(runs) != 2 || !runs[1].job.Slot.Equal(t10.Add(2*time.Minute)) {
			t.Fatalf("%d runs started; want the queued slot of 10:02 started once run-1 ended", len(runs))
		}
		want := []string{slotIs(t10.Add(time.Minute), "fired"), slotIs(t10.Add(2*time.Minute), "fired run-1")}
		if diff := cmp.Diff(want, h.slots("p")); diff != "" {
			t.Errorf("slot records (-want +got):\n%s", diff)
		}
	})
}

// gatedPauses is a Store whose Pauses waits for release, once entered
// has been closed: a store slow to answer.
type gatedPauses struct {
	Store
	entered, release chan struct{}
	once             sync.Once
}

func (g *gatedPauses) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return g.Store.Pauses(ctx)
}

// TestSlowPausesHoldNoLock: while the loop reads the pauses for a batch
// that fires (a slow store), the scheduler's lock is free: /healthz
// answers, and the batch then fires as it would have.
func TestSlowPausesHoldNoLock(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Lead = -1 })
	h.load(playbook("p", "@every 1m"))
	h.run(0)
	st := &gatedPauses{Store: h.s.cfg.Store, entered: make(chan struct{}), release: make(chan struct{})}
	released := sync.OnceFunc(func() { close(st.release) })
	t.Cleanup(released)
	h.s.mu.Lock()
	h.s.cfg.Store = st
	h.s.mu.Unlock()
	h.clock.Advance(time.Second)
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		h.s.tick()
	}()
	<-st.entered
	answered := make(chan Health, 1)
	go func() { answered <- h.s.Health() }()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("/healthz's Health waited for the store's Pauses: the lock is held over the store call")
	}
	released()
	<-ticked
	h.quiesce()
	if got := h.launcher.slotsOf("p"); len(got) != 1 {
		t.Errorf("runs launched for slots %v, want the one of 10:00", got)
	}
}
