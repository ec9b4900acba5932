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

// TestMissedReasonComesWithItsMessage: each way a slot is found missed
// gives its reason beside its message, from the code that decides it, not
// by reading the message back: a message reworded keeps its reason. Each
// case drives the deciding code itself (missedWhy, lateMessage, tooLate),
// and the case's message is checked for the words that say why, so that a
// case that no longer reaches its branch fails too.
func TestMissedReasonComesWithItsMessage(t *testing.T) {
	h := newHarness(t, t10)
	s := h.s
	pb := playbook("p", "0 * * * *")
	tt, err := ForSchedule(pb.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	newEntry := func() *entry { return &entry{pb: pb, tt: tt} }
	slot, now := t10.Add(time.Hour), t10.Add(3*time.Hour)
	s.mu.Lock()
	s.since = t10.Add(30 * time.Minute)
	s.mu.Unlock()
	type result struct{ reason, msg string }
	why := func(e *entry, slot time.Time) result {
		s.mu.Lock()
		defer s.mu.Unlock()
		r, m := s.missedWhy(e, slot, now)
		return result{r, m}
	}
	late := func(sc *steps.Schedule) result {
		r, m := lateMessage(sc, t10, t10.Add(time.Hour), time.Hour)
		return result{r, m}
	}
	failing, jittered := newEntry(), newEntry()
	failing.failing = "disk full"
	jittered.next, jittered.fireAt = slot, slot.Add(90*time.Minute)
	cases := []struct {
		name   string
		got    func() result
		reason string
		says   string
	}{
		{"down", func() result { return why(newEntry(), t10) }, ReasonSchedulerDown, "was not running"},
		{"unreachable", func() result {
			s.mu.Lock()
			st := s.cfg.Store
			s.cfg.Store = &unreachableStore{Store: st, to: now}
			s.mu.Unlock()
			defer func() { s.mu.Lock(); s.cfg.Store = st; s.mu.Unlock() }()
			return why(newEntry(), t10)
		}, ReasonUnreachable, "could not be reached"},
		{"failing", func() result { return why(failing, slot) }, ReasonHistoryFailing, "disk full"},
		{"jitter", func() result { return why(jittered, slot) }, ReasonJitter, "jitter"},
		{"behind", func() result {
			s.mu.Lock()
			s.prevNow, s.lastNow = now.Add(-time.Minute), now
			s.prevElapsed, s.lastElapsed = time.Hour, time.Hour+time.Minute
			s.mu.Unlock()
			defer func() { s.mu.Lock(); s.prevNow = time.Time{}; s.mu.Unlock() }()
			return why(newEntry(), slot)
		}, ReasonBehind, "behind by"},
		{"not reached", func() result { return why(newEntry(), slot) }, ReasonNotReached, "did not get to"},
		{"deadline", func() result { return late(&steps.Schedule{Catchup: "last", StartingDeadline: time.Minute}) }, ReasonStartingDeadline, "starting_deadline of 1m"},
		{"catchup none", func() result { return late(&steps.Schedule{Catchup: "none"}) }, ReasonCatchupNone, "catchup is none"},
		{"ahead, too late", func() result {
			e := newEntry()
			e.pb = playbook("p", "0 * * * *", catchup("none", 0))
			r, m := s.tooLate(e, &runState{owner: e, slot: slot, fireAt: slot}, now)
			return result{r, m}
		}, ReasonCatchupNone, "catchup is none"},
	}
	for _, c := range cases {
		got := c.got()
		if got.reason != c.reason || !strings.HasPrefix(got.msg, "missed: ") || !strings.Contains(got.msg, c.says) {
			t.Errorf("%s: reason %q, message %q; want reason %q and a message saying %q", c.name, got.reason, got.msg, c.reason, c.says)
		}
	}
}

// TestReloadDropsAheadWithReason: a slot claimed ahead that a reload
// drops is logged with the reason of what the reload did.
func TestReloadDropsAheadWithReason(t *testing.T) {
	for _, c := range []struct {
		name   string
		reload []*steps.Playbook
		reason string
	}{
		{"changed", []*steps.Playbook{playbook("p", "30 * * * *")}, ReasonReloaded},
		{"removed", nil, ReasonRemoved},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, t10.Add(-30*time.Minute), func(cf *Config) { cf.Lead = time.Second })
			h.load(playbook("p", "0 * * * *"), playbook("q", "0 0 1 1 *"))
			h.run(30*time.Minute - 500*time.Millisecond) // the 10:00 slot is claimed ahead
			h.load(append(c.reload, playbook("q", "0 0 1 1 *"))...)
			lines := h.logs.linesWhere(func(m map[string]any) bool {
				msg, _ := m["message"].(string)
				return strings.Contains(msg, "before its fire time")
			})
			if len(lines) != 1 || lines[0]["reason"] != c.reason {
				t.Errorf("lines of the slot dropped %v, want one with reason %q:\n%s", lines, c.reason, h.logs.String())
			}
		})
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
