package scheduler

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// heldStore is a Store whose first call named gate waits for release,
// once entered has been closed: a store slow to answer it. Later calls
// answer at once.
type heldStore struct {
	Store
	gate             string // "SettleSlot", "Pauses", "TrackSchedules"
	entered, release chan struct{}
	once             sync.Once
}

func newHeldStore(inner Store, gate string) *heldStore {
	return &heldStore{Store: inner, gate: gate, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *heldStore) wait(call string) {
	if call != g.gate {
		return
	}
	first := false
	g.once.Do(func() { first = true; close(g.entered) })
	if first {
		<-g.release
	}
}

func (g *heldStore) SettleSlot(ctx context.Context, slot history.Slot) error {
	g.wait("SettleSlot")
	return g.Store.SettleSlot(ctx, slot)
}

func (g *heldStore) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	g.wait("Pauses")
	return g.Store.Pauses(ctx)
}

func (g *heldStore) TrackSchedules(ctx context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error) {
	g.wait("TrackSchedules")
	return g.Store.TrackSchedules(ctx, now, refs)
}

// gate puts a heldStore over h's store for the calls named gate, and
// returns it with the function that releases it (called at cleanup too).
func (h *harness) gate(call string) (*heldStore, func()) {
	st := newHeldStore(h.s.cfg.Store, call)
	released := sync.OnceFunc(func() { close(st.release) })
	h.t.Cleanup(released)
	h.s.mu.Lock()
	h.s.cfg.Store = st
	h.s.mu.Unlock()
	return st, released
}

// answersWhileGated waits for the gated call to be entered, then checks
// that /healthz's Health answers while it waits: the scheduler's lock is
// not held over it.
func answersWhileGated(t *testing.T, h *harness, st *heldStore) {
	t.Helper()
	select {
	case <-st.entered:
	case <-time.After(10 * time.Second):
		t.Fatalf("the store's %s was not called", st.gate)
	}
	answered := make(chan Health, 1)
	go func() { answered <- h.s.Health() }()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatalf("/healthz's Health waited for the store's %s: the lock is held over the store call", st.gate)
	}
}

// TestSlowSettleHoldsNoLock: while the store records the later outcome
// of a claimed slot (a slow store), the scheduler's lock is free, and
// /healthz answers; the outcome is then recorded as before.
func TestSlowSettleHoldsNoLock(t *testing.T) {
	m := time.Minute
	eachStore(t, func(t *testing.T) {
		t.Run("launch failed", func(t *testing.T) {
			h := newHarness(t, t10.Add(-time.Second), func(c *Config) { c.Lead = -1 })
			h.launcher.fail = func(int, Job) error { return errors.New("no room") }
			h.load(playbook("p", "@every 1m"))
			h.run(0)
			st, release := h.gate("SettleSlot")
			h.clock.Advance(time.Second)
			h.s.tick()
			answersWhileGated(t, h, st)
			release()
			h.quiesce()
			if got, want := h.slots("p"), []string{"2026-06-01T10:00:00Z failed"}; !slices.Equal(got, want) {
				t.Errorf("slots %v, want %v", got, want)
			}
		})
		t.Run("queued run starts", func(t *testing.T) {
			h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
			h.launcher.hold = true
			h.load(playbook("p", "@every 1m", overlap("queue")))
			h.run(2 * m)
			st, release := h.gate("SettleSlot")
			h.launcher.started()[0].end("succeeded")
			answersWhileGated(t, h, st)
			release()
			h.quiesce()
			if got, want := h.slots("p"), []string{"2026-06-01T10:01:00Z fired", "2026-06-01T10:02:00Z fired run-1"}; !slices.Equal(got, want) {
				t.Errorf("slots %v, want %v", got, want)
			}
			if got := h.launcher.slotsOf("p"); len(got) != 2 {
				t.Errorf("runs launched for slots %v, want 10:01 and 10:02", got)
			}
		})
		t.Run("queued slot superseded", func(t *testing.T) {
			h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
			h.launcher.hold = true // a cancelled run goes on until its finally steps end
			h.load(playbook("p", "@every 1m", overlap("replace")))
			h.run(2 * m)
			st, release := h.gate("SettleSlot")
			h.clock.Advance(m)
			ticked := make(chan struct{})
			go func() {
				defer close(ticked)
				h.s.tick()
			}()
			answersWhileGated(t, h, st)
			release()
			<-ticked
			h.quiesce()
			want := []string{"2026-06-01T10:01:00Z fired", "2026-06-01T10:02:00Z skipped run-1", "2026-06-01T10:03:00Z queued run-1"}
			if got := h.slots("p"); !slices.Equal(got, want) {
				t.Errorf("slots %v, want %v", got, want)
			}
		})
	})
}

// TestSlowPausesAfterEndHoldNoLock: when a run ends with a slot queued
// behind it, the pauses are read to tell whether the slot starts; while
// a slow store answers, the scheduler's lock is free and /healthz
// answers, and the loop decides no slot of the playbook: the queued slot
// then starts as it would have.
func TestSlowPausesAfterEndHoldNoLock(t *testing.T) {
	m := time.Minute
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10, func(c *Config) { c.Lead = -1 })
		h.launcher.hold = true
		h.load(playbook("p", "@every 1m", overlap("queue")))
		h.run(2 * m)
		st, release := h.gate("Pauses")
		h.launcher.started()[0].end("succeeded")
		answersWhileGated(t, h, st)
		// The loop, meanwhile, leaves the queued slot's playbook alone:
		// the slot of 10:03 is decided once the queued one started.
		h.clock.Advance(m)
		h.s.tick()
		if got := h.launcher.slotsOf("p"); len(got) != 1 {
			t.Errorf("runs launched for slots %v while the pauses were read, want the one of 10:01", got)
		}
		release()
		h.quiesce()
		h.s.tick()
		h.quiesce()
		want := []string{"2026-06-01T10:01:00Z fired", "2026-06-01T10:02:00Z fired run-1", "2026-06-01T10:03:00Z queued run-2"}
		if got := h.slots("p"); !slices.Equal(got, want) {
			t.Errorf("slots %v, want %v", got, want)
		}
	})
}

// TestSlowTrackSchedulesHoldsNoLock: while a reload records the
// schedules in the history (a slow store), the scheduler's lock is free
// and /healthz answers; a second reload meanwhile waits for the first,
// so that the last one asked for is the set loaded.
func TestSlowTrackSchedulesHoldsNoLock(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("a", "@every 1m"))
		st, release := h.gate("TrackSchedules")
		first, second := make(chan error, 1), make(chan error, 1)
		go func() { first <- h.s.Load([]*steps.Playbook{playbook("b", "@every 1m")}) }()
		answersWhileGated(t, h, st)
		go func() { second <- h.s.Load([]*steps.Playbook{playbook("c", "@every 1m")}) }()
		select {
		case err := <-second:
			t.Fatalf("the second reload returned (%v) before the first", err)
		case <-time.After(50 * time.Millisecond):
		}
		release()
		for _, c := range []chan error{first, second} {
			if err := <-c; err != nil {
				t.Fatal(err)
			}
		}
		if got := h.s.Health().Playbooks; len(got) != 1 || got[0].Name != "c" {
			t.Errorf("loaded %v, want c, the last reload's", got)
		}
	})
}
