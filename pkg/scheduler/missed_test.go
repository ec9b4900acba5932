package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// messages returns the slot records of a playbook as "RFC3339 outcome:
// message", oldest first.
func (h *harness) messages(name string) []string {
	h.t.Helper()
	recs, err := h.store.Slots(context.Background(), name, time.Time{}, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Slot.UTC().Format(time.RFC3339)+" "+string(r.Outcome)+": "+r.Message)
	}
	return out
}

// TestQueuedSlotLeftByADeadProcessIsMissed: a slot queued behind a run
// when the process was killed (kill -9) is recorded missed when the next
// process starts, with why, and shows in the history.
func TestQueuedSlotLeftByADeadProcessIsMissed(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second))
	h.launcher.hold = true
	h.load(playbook("q", "@every 1m", overlap("queue")))
	h.runUntil(t10.Add(time.Minute)) // 10:00 runs, 10:01 queued behind it
	if diff := cmp.Diff([]string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:01:00Z queued run-1"}, h.slots("q")); diff != "" {
		t.Fatalf("before the kill (-want +got):\n%s", diff)
	}
	h.restart()
	h.load(playbook("q", "@every 1m", overlap("queue")))
	if diff := cmp.Diff([]string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:01:00Z missed run-1"}, h.slots("q")); diff != "" {
		t.Errorf("after the restart (-want +got):\n%s", diff)
	}
	if got := h.messages("q")[1]; !strings.HasSuffix(got, LeftQueuedMessage) {
		t.Errorf("the slot's message: %s", got)
	}
	list, err := h.store.List(context.Background(), history.Filter{Playbook: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != history.StatusMissed || list[0].Slot == nil || !list[0].Slot.Equal(t10.Add(time.Minute)) {
		t.Errorf("history of q: %+v", list)
	}
	// A reload settles nothing of its own: the queue of this process
	// stays.
	h.runUntil(t10.Add(2 * time.Minute))
	h.load(playbook("q", "@every 1m", overlap("queue")))
	if got := h.slots("q"); len(got) != 3 || got[2] != "2026-06-01T10:02:00Z fired" {
		t.Errorf("after a reload: %v", got)
	}
}

// TestMissedSlotsSayWhy: a slot missed while the scheduler ran says why:
// the history could not record it, the playbook's jitter went past the
// next slot, or the machine was suspended; a schedule removed and added
// back by reloads records nothing for the time it was not loaded.
func TestMissedSlotsSayWhy(t *testing.T) {
	t.Run("store", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second))
		h.load(playbook("p", "@every 10s"))
		h.s.cfg.Store = &failingStore{Store: h.store, failures: 5}
		h.runUntil(t10.Add(30 * time.Second))
		got := h.messages("p")
		if len(got) < 3 || !strings.Contains(got[0], "missed: the history could not record slots at 2026-06-01T10:00:00Z") || !strings.Contains(got[1], "could not record slots at 2026-06-01T10:00:10Z") {
			t.Errorf("slots: %q", got)
		}
	})
	t.Run("jitter", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second), func(c *Config) {
			c.Jitter = func(time.Duration) time.Duration { return 80 * time.Second }
		})
		h.load(playbook("p", "@every 1m", jitter(50*time.Second))) // Load refuses a jitter at or above the interval: the draw goes past it here
		h.runUntil(t10.Add(90 * time.Second))
		got := h.messages("p")
		if len(got) == 0 || !strings.Contains(got[0], "2026-06-01T10:00:00Z missed: missed: its jitter of 1m20s put its fire time") {
			t.Errorf("slots: %q", got)
		}
	})
	t.Run("suspended", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second))
		h.load(playbook("p", "@every 1m"))
		h.runUntil(t10.Add(time.Second))
		h.clock.Jump(3 * time.Minute)
		h.run(time.Second)
		got := h.messages("p")
		if len(got) != 4 || !strings.Contains(got[1], "2026-06-01T10:01:00Z missed: missed: the scheduler was running but did not get to") {
			t.Errorf("slots: %q", got)
		}
	})
	t.Run("removed and added back", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second))
		h.load(playbook("a", "@every 1m"), playbook("b", "@every 1m"))
		h.runUntil(t10.Add(30 * time.Second))
		h.load(playbook("a", "@every 1m"))
		h.runUntil(t10.Add(5*time.Minute + 30*time.Second))
		h.load(playbook("a", "@every 1m"), playbook("b", "@every 1m"))
		h.runUntil(t10.Add(7 * time.Minute))
		want := []string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:06:00Z fired", "2026-06-01T10:07:00Z fired"}
		if diff := cmp.Diff(want, h.slots("b")); diff != "" {
			t.Errorf("slots of b (-want +got):\n%s", diff)
		}
		loads := h.logs.lines("schedules loaded")
		if got := loads[len(loads)-1]["added"]; !cmp.Equal(got, []any{"b"}) {
			t.Errorf("the reload's log line names as added: %v", got)
		}
		if got := loads[len(loads)-2]["removed"]; !cmp.Equal(got, []any{"b"}) {
			t.Errorf("the reload's log line names as removed: %v", got)
		}
	})
}

// unreachableStore is a store that could not reach its database from
// `from` to `to`, as a PostgreSQL store tells its outages.
type unreachableStore struct {
	Store
	from, to time.Time
}

func (u *unreachableStore) Unreachable(t time.Time) bool { return !t.Before(u.from) && !t.After(u.to) }

// TestSlotsMissedWhileTheDatabaseWasAway: after a database outage, the
// slots no replica could fire say so, rather than that the scheduler was
// not running (every replica ran the whole time).
func TestSlotsMissedWhileTheDatabaseWasAway(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second))
	h.load(playbook("p", "@every 1m"))
	h.runUntil(t10.Add(30 * time.Second))
	h.clock.Jump(5 * time.Minute)
	h.restart()
	h.s.cfg.Store = &unreachableStore{Store: h.s.cfg.Store, from: t10.Add(50 * time.Second), to: t10.Add(2*time.Minute + 10*time.Second)}
	h.load(playbook("p", "@every 1m"))
	h.run(time.Second)
	got := strings.Join(h.messages("p"), "\n")
	for _, want := range []string{
		"2026-06-01T10:01:00Z missed: missed: the database could not be reached at 2026-06-01T10:01:00Z",
		"2026-06-01T10:02:00Z missed: missed: the database could not be reached at 2026-06-01T10:02:00Z",
		"2026-06-01T10:03:00Z missed: missed: the scheduler was not running at 2026-06-01T10:03:00Z",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the slots:\n%s", want, got)
		}
	}
}

// TestMissedBehindSaysSo: a leader whose loop decided nothing for longer
// than the takeover window (a slow store, an overloaded machine) while
// the clock ran on and the machine was awake says by how much it was
// behind, not that the machine was suspended; a clock that jumped still
// says the old reasons.
func TestMissedBehindSaysSo(t *testing.T) {
	take := func(c *Config) { c.Takeover = 9 * time.Second }
	t.Run("stalled", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second), take)
		h.load(playbook("p", "@every 1s"))
		h.runUntil(t10.Add(time.Second))
		h.clock.Advance(12 * time.Second) // elapsed and wall together: the loop was held up
		h.run(time.Millisecond)
		got := strings.Join(h.messages("p"), "\n")
		if !strings.Contains(got, "2026-06-01T10:00:02Z missed: missed: the scheduler was behind by 11s when it got to the slot of 2026-06-01T10:00:02Z: it decided nothing for 12s") {
			t.Errorf("slots:\n%s", got)
		}
		if strings.Contains(got, "suspended") {
			t.Errorf("a stalled loop is said to be a suspended machine:\n%s", got)
		}
	})
	t.Run("jumped", func(t *testing.T) {
		h := newHarness(t, t10.Add(-time.Second), take)
		h.load(playbook("p", "@every 1s"))
		h.runUntil(t10.Add(time.Second))
		h.clock.Jump(12 * time.Second)
		h.run(time.Millisecond)
		got := strings.Join(h.messages("p"), "\n")
		if !strings.Contains(got, "2026-06-01T10:00:02Z missed: missed: the scheduler was running but did not get to the slot") {
			t.Errorf("slots:\n%s", got)
		}
	})
}
