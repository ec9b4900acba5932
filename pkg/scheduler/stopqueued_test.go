package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestStopRecordsTheQueuedSlotMissedAsTheOthers: a slot queued behind a
// running run when the scheduler stops is recorded missed as every other
// missed slot is: its message starts "missed:", like those history and the
// console list beside it, it counts in slots_missed_total and it is
// logged with its playbook, slot and the run it waited for.
func TestStopRecordsTheQueuedSlotMissedAsTheOthers(t *testing.T) {
	h := newHarness(t, t10, func(c *Config) { c.Grace = time.Hour })
	h.launcher.hold = true
	h.load(playbook("q", "@every 1m", overlap("queue")))
	h.run(2*time.Minute + 10*time.Second) // 10:01 fires, 10:02 queues
	runs := h.launcher.started()
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	returned := make(chan error, 1)
	go func() { returned <- h.s.shutdown() }()
	queued := t10.Add(2 * time.Minute)
	var rec history.Slot
	waitFor(t, "the queued slot to be recorded missed", func() bool {
		slots, err := h.store.Slots(context.Background(), "q", queued, 0)
		if err != nil || len(slots) == 0 || slots[0].Outcome != history.SlotMissed {
			return false
		}
		rec = slots[0]
		return true
	})
	runs[0].end(report.StatusSucceeded)
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not stop once its run ended")
	}
	if !strings.HasPrefix(rec.Message, "missed: ") || rec.BlockedBy != runs[0].id {
		t.Errorf("the queued slot's record: %+v; want a message starting %q, blocked by %s", rec, "missed: ", runs[0].id)
	}
	if got := metricValue(t, h.s, "arsenal_schedule_slots_missed_total", "q"); got != 1 {
		t.Errorf("slots_missed_total{playbook=q} = %v, want 1", got)
	}
	lines := h.logs.lines(rec.Message)
	if len(lines) != 1 || lines[0]["playbook"] != "q" || lines[0]["slot"] != queued.Format(time.RFC3339) || lines[0]["blocked_by"] != runs[0].id {
		t.Errorf("log lines of the missed slot: %v", lines)
	}
}
