package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// failingSettle is a Store whose SettleSlot of a skipped slot fails the
// first fails times (-1: always), and counts the calls.
type failingSettle struct {
	Store
	mu    sync.Mutex
	fails int
	calls int
	block bool // each try waits for its context to end, as on a store that is away
}

func (f *failingSettle) SettleSlot(ctx context.Context, sl history.Slot) error {
	if sl.Outcome != history.SlotSkipped {
		return f.Store.SettleSlot(ctx, sl)
	}
	f.mu.Lock()
	f.calls++
	fail := f.fails != 0
	if f.fails > 0 {
		f.fails--
	}
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail {
		return errors.New("the database is away")
	}
	return f.Store.SettleSlot(ctx, sl)
}

func (f *failingSettle) settles() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// skipBehindStarting fires the slot of 10:01 of an @every 1m playbook
// with overlap skip, whose Launch waits until the returned function is
// called, and ticks 10:02 while it waits: the slot of 10:02 is skipped
// behind a run still starting. The function lets the Launch return and
// waits until the scheduler has taken it in.
func skipBehindStarting(h *harness) (launchReturns func()) {
	h.t.Helper()
	gate := make(chan struct{})
	h.launcher.fail = func(int, Job) error { <-gate; return nil }
	h.load(playbook("p", "@every 1m", overlap("skip")))
	h.clock.Advance(time.Minute)
	h.s.tick() // 10:01 fires; its Launch waits for the gate
	h.clock.Advance(time.Minute)
	h.s.tick() // 10:02 comes while the run of 10:01 is starting
	return func() {
		close(gate)
		h.quiesce()
	}
}

// skippedRows returns the history's rows of skipped slots as "slot
// blocked_by".
func skippedRows(h *harness) []string {
	h.t.Helper()
	runs, err := h.store.List(context.Background(), history.Filter{Status: report.StatusSkipped, Trigger: history.TriggerSchedule})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		slot := "no slot"
		if r.Slot != nil {
			slot = utc(*r.Slot)[0]
		}
		out = append(out, slot+" "+r.BlockedBy)
	}
	return out
}

// TestSkippedBehindAStartingRunIsRecordedAtOnce: a slot skipped behind a
// run still starting has its history row as soon as it is claimed, before
// that run's Launch returns (a process that dies meanwhile leaves the row,
// naming no run); once the run has an id, the row and the slot record
// name it, and there is still one row.
func TestSkippedBehindAStartingRunIsRecordedAtOnce(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		h := newHarness(t, t10)
		h.launcher.hold = true
		launchReturns := skipBehindStarting(h)
		s2 := t10.Add(2 * time.Minute)
		if diff := cmp.Diff([]string{slotIs(s2, "")}, skippedRows(h)); diff != "" {
			t.Errorf("skipped rows while the blocking run starts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{slotIs(t10.Add(time.Minute), "fired"), slotIs(s2, "skipped")}, h.slots("p")); diff != "" {
			t.Errorf("slot records while the blocking run starts (-want +got):\n%s", diff)
		}
		launchReturns()
		if diff := cmp.Diff([]string{slotIs(s2, "run-1")}, skippedRows(h)); diff != "" {
			t.Errorf("skipped rows once the blocking run started (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{slotIs(t10.Add(time.Minute), "fired"), slotIs(s2, "skipped run-1")}, h.slots("p")); diff != "" {
			t.Errorf("slot records once the blocking run started (-want +got):\n%s", diff)
		}
	})
}

// TestNamingTheBlockingRunIsRetried: when the store cannot name the run a
// skipped slot waited for, the slot's row stays, naming no run, and the
// naming is tried again on the clock, nameTries times in all, at once
// when the scheduler stops.
func TestNamingTheBlockingRunIsRetried(t *testing.T) {
	s2 := t10.Add(2 * time.Minute)
	setup := func(t *testing.T, fails int) (*harness, *failingSettle) {
		h := newHarness(t, t10)
		st := &failingSettle{Store: h.s.cfg.Store, fails: fails}
		h.s.cfg.Store = st
		skipBehindStarting(h)()
		if diff := cmp.Diff([]string{slotIs(s2, "")}, skippedRows(h)); diff != "" {
			t.Errorf("skipped rows after the naming failed (-want +got):\n%s", diff)
		}
		return h, st
	}
	// retryAfter lets the naming's next try come and waits for it.
	retryAfter := func(h *harness, st *failingSettle, d time.Duration, calls int) {
		h.t.Helper()
		h.clock.Advance(d)
		deadline := time.Now().Add(10 * time.Second)
		for st.settles() < calls {
			if time.Now().After(deadline) {
				h.t.Fatalf("%d tries to name the blocking run, want %d", st.settles(), calls)
			}
			time.Sleep(time.Millisecond)
		}
		h.quiesce()
	}
	t.Run("once", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			h, st := setup(t, 1)
			retryAfter(h, st, storeRetry, 2)
			if diff := cmp.Diff([]string{slotIs(s2, "run-1")}, skippedRows(h)); diff != "" {
				t.Errorf("skipped rows after the retry (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{slotIs(t10.Add(time.Minute), "fired"), slotIs(s2, "skipped run-1")}, h.slots("p")); diff != "" {
				t.Errorf("slot records after the retry (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("always", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			h, st := setup(t, -1)
			wait := storeRetry
			for n := 2; n <= nameTries; n++ {
				retryAfter(h, st, wait, n)
				wait *= 2
			}
			h.clock.Advance(time.Hour)
			h.quiesce()
			if n := st.settles(); n != nameTries {
				t.Errorf("%d tries to name the blocking run, want %d", n, nameTries)
			}
			if len(h.clock.Timers()) != 0 {
				t.Errorf("timers left after the last try: %v", h.clock.Timers())
			}
			if diff := cmp.Diff([]string{slotIs(s2, "")}, skippedRows(h)); diff != "" {
				t.Errorf("skipped rows after every try failed (-want +got):\n%s", diff)
			}
			if n := len(h.logs.lines("could not name the run a skipped slot waited for; its history row names none")); n != 1 {
				t.Errorf("%d errors logged for the naming given up, want 1", n)
			}
		})
	})
	t.Run("shutdown", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			h, st := setup(t, -1)
			stop := h.startLoop()
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if n := st.settles(); n != 2 {
				t.Errorf("%d tries to name the blocking run by the end of shutdown, want the first and one last", n)
			}
		})
	})
	// A store that is away makes each try last until its timeout: a
	// shutdown cuts the try under way short and makes one last short
	// try, so that it does not wait for every try's full timeout.
	t.Run("shutdown with the store away", func(t *testing.T) {
		eachStore(t, func(t *testing.T) {
			h, st := setup(t, -1)
			stop := h.startLoop()
			st.mu.Lock()
			st.block = true
			st.mu.Unlock()
			h.clock.Advance(storeRetry) // the second try starts, and waits
			deadline := time.Now().Add(10 * time.Second)
			for st.settles() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			done := make(chan error, 1)
			go func() { done <- stop() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("shutdown still waits for the store after 20 s")
			}
			if n := st.settles(); n != 3 {
				t.Errorf("%d tries to name the blocking run by the end of shutdown, want 3: the first, the one cut short, one last", n)
			}
		})
	})
}
