package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestMissedLinesCarryReason: a missed slot's line carries reason, a word
// to count by, as a skipped slot's does; its message, and the why of a
// gap's "slots were missed" line, still say in a sentence what happened.
func TestMissedLinesCarryReason(t *testing.T) {
	h := newHarness(t, t10.Add(-30*time.Minute))
	pb := playbook("p", "0 * * * *")
	h.load(pb)
	h.runUntil(t10.Add(30 * time.Minute))
	h.restart()
	h.clock.Jump(5 * time.Hour) // down until 15:30
	h.load(pb)
	h.run(0)
	gaps := h.logs.lines("slots were missed")
	if len(gaps) != 1 || gaps[0]["reason"] != ReasonSchedulerDown || !strings.HasPrefix(gaps[0]["why"].(string), "missed: the scheduler was not running at ") {
		t.Errorf("gap lines %v, want one with reason %q and why its sentence", gaps, ReasonSchedulerDown)
	}
	var newest []map[string]any
	for _, l := range h.logs.linesWhere(func(m map[string]any) bool { return m["slot"] == "2026-06-01T15:00:00Z" }) {
		newest = append(newest, l)
	}
	if len(newest) != 1 || newest[0]["reason"] != ReasonCatchupNone || !strings.HasPrefix(newest[0]["message"].(string), "missed: found ") {
		t.Errorf("lines of the newest slot %v, want one with reason %q and its sentence", newest, ReasonCatchupNone)
	}
}

// TestMissedReasonOfEachMessage: every message the scheduler records for a
// missed slot maps to its reason.
func TestMissedReasonOfEachMessage(t *testing.T) {
	sc := &steps.Schedule{Catchup: "last", StartingDeadline: time.Minute}
	for msg, want := range map[string]string{
		"missed: the database could not be reached at 2026-06-01T10:00:00Z, so no scheduler could fire the slot": ReasonUnreachable,
		"missed: the scheduler was not running at 2026-06-01T10:00:00Z":                                          ReasonSchedulerDown,
		"missed: the history could not record slots at 2026-06-01T10:00:00Z (disk full); nothing fires":          ReasonHistoryFailing,
		"missed: its jitter of 2m put its fire time, x, past the next slot, y; make schedule.jitter shorter":     ReasonJitter,
		"missed: the scheduler was behind by 11s when it got to the slot of x":                                   ReasonBehind,
		"missed: the scheduler was running but did not get to the slot of x in time":                             ReasonNotReached,
		lateMessage(sc, t10, t10.Add(time.Hour), time.Hour):                                                      ReasonStartingDeadline,
		lateMessage(&steps.Schedule{Catchup: "none"}, t10, t10.Add(time.Hour), time.Hour):                        ReasonCatchupNone,
		"missed: waited 5m behind run r1, past its starting_deadline of 1m":                                      ReasonStartingDeadline,
		LeftQueuedMessage:    ReasonProcessEnded,
		stoppedQueuedMessage: ReasonStopped,
		removedQueuedMessage: ReasonRemoved,
		"missed: the scheduler stopped before the run could start (it was waiting for a place)": ReasonStopped,
		"missed: the schedule was changed by a reload before its fire time x":                   ReasonReloaded,
		"missed: the playbook was removed from the schedule before its fire time x":             ReasonRemoved,
	} {
		if got := missedReason(msg); got != want {
			t.Errorf("missedReason(%q) = %q, want %q", msg, got, want)
		}
	}
}

// pausesFail is a Store whose Pauses fails once fail is set.
type pausesFail struct {
	Store
	fail bool
}

func (p *pausesFail) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	if p.fail {
		return nil, errors.New("database is locked")
	}
	return p.Store.Pauses(ctx)
}

// TestPauseUnknownSkipIsOneLine: a queued slot skipped because the
// history could not tell whether its schedule is paused is told by one
// line, as every skipped slot is: its slot, the run it waited for, the
// reason pause_unknown and the message recorded, which holds the error.
func TestPauseUnknownSkipIsOneLine(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	st := &pausesFail{Store: h.s.cfg.Store}
	h.s.mu.Lock()
	h.s.cfg.Store = st
	h.s.mu.Unlock()
	h.load(playbook("p", "@every 1m", overlap("queue")))
	h.run(2*time.Minute + 10*time.Second)
	h.s.mu.Lock()
	st.fail = true
	h.s.mu.Unlock()
	h.launcher.started()[0].end(report.StatusSucceeded)
	h.quiesce()
	lines := h.logs.linesWhere(func(m map[string]any) bool {
		msg, _ := m["message"].(string)
		return strings.Contains(msg, "paused")
	})
	if len(lines) != 1 {
		t.Fatalf("%d lines about the pause, want 1:\n%s", len(lines), h.logs.String())
	}
	l := lines[0]
	if l["reason"] != ReasonPauseUnknown || l["slot"] != t10.Add(2*time.Minute).Format(time.RFC3339) || l["blocked_by"] != "run-1" ||
		l["message"] != pauseUnknownPrefix+": database is locked" {
		t.Errorf("line %v: want reason %q, the slot, blocked_by run-1 and the recorded message", l, ReasonPauseUnknown)
	}
}
