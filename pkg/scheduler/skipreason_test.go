package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// skippedLines are the JSON log lines whose message begins "skipped".
func (b *syncBuffer) skippedLines() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && strings.HasPrefix(m["message"].(string), "skipped") {
			out = append(out, m)
		}
	}
	return out
}

// TestSkippedLinesCarryReason: each log line of a skipped slot carries a
// reason field of a few stable words, beside the message that names the
// run and the time, so that a log pipeline counts skips by why: a run
// still going (overlap: skip), a slot queued already (overlap: queue), the
// bound of overlap: allow, a pause.
func TestSkippedLinesCarryReason(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		policy, reason string
		tweak          func(*Config)
	}{
		{"skip", ReasonOverlap, nil},
		{"queue", ReasonQueueFull, nil},
		{"allow", ReasonAllowLimit, func(c *Config) { c.MaxConcurrentRuns = 1 }},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			var tweaks []func(*Config)
			if tc.tweak != nil {
				tweaks = append(tweaks, tc.tweak)
			}
			h := newHarness(t, t10, tweaks...)
			h.launcher.hold = true
			h.load(playbook("p", "@every 1m", overlap(tc.policy)))
			h.run(3*m + 10*time.Second)
			lines := h.logs.skippedLines()
			if len(lines) == 0 {
				t.Fatalf("no skipped line in\n%s", h.logs.b.String())
			}
			for _, l := range lines {
				if l["reason"] != tc.reason || l["playbook"] != "p" || l["blocked_by"] != "run-1" {
					t.Errorf("skipped line %v: want reason %q, playbook p, blocked_by run-1", l, tc.reason)
				}
			}
		})
	}
	t.Run("paused", func(t *testing.T) {
		h := newHarness(t, t10)
		h.load(playbook("p", "@every 1m"))
		if _, _, err := h.store.PauseSchedule(context.Background(), history.Pause{Playbook: "p", By: "alice", At: t10}); err != nil {
			t.Fatal(err)
		}
		h.run(2 * m)
		lines := h.logs.skippedLines()
		if len(lines) != 2 {
			t.Fatalf("%d skipped lines, want 2:\n%s", len(lines), h.logs.b.String())
		}
		for _, l := range lines {
			if l["reason"] != ReasonPaused {
				t.Errorf("skipped line %v: want reason %q", l, ReasonPaused)
			}
		}
	})
}

// TestSkipReasonComesWithItsMessage: each way a slot is found skipped
// gives its reason beside its message, from the code that decides it, not
// by reading the message back: a message reworded keeps its reason. Each
// case's message is checked for the words that say why, so that a case
// that no longer reaches its branch fails too.
func TestSkipReasonComesWithItsMessage(t *testing.T) {
	rs := &runState{id: "run-1"}
	starting := &runState{slot: t10}
	s := &Scheduler{cfg: Config{MaxConcurrentRuns: 3, LimitFrom: "--max-concurrent-runs"}}
	blocked := func(rs *runState, policy, reason string) decision {
		var d decision
		d.blockedBy(rs, policy, reason)
		return d
	}
	h := newHarness(t, t10, func(c *Config) { c.Takeover = time.Hour })
	pb := playbook("p", "@every 1m", overlap("replace"))
	tt, err := ForSchedule(pb.Schedule)
	if err != nil {
		t.Fatal(err)
	}
	e := &entry{pb: pb, tt: tt, cursor: t10}
	h.s.mu.Lock()
	h.s.plan(e, t10)
	gap := h.s.due(e, t10.Add(3*time.Minute))
	h.s.mu.Unlock()
	if len(gap) != 3 {
		t.Fatalf("%d decisions for a gap of 3 slots under takeover", len(gap))
	}
	paused := []decision{
		{e: e, rec: history.Slot{Slot: t10, Outcome: history.SlotFired}},
		{e: e, rec: history.Slot{Slot: t10, Outcome: history.SlotMissed, Message: "missed: x"}, reason: ReasonSchedulerDown},
	}
	if _, _, err := h.store.PauseSchedule(context.Background(), history.Pause{Playbook: "p", By: "alice", At: t10.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h.s.mu.Lock()
	ok := h.s.applyPauses(paused, t10)
	h.s.mu.Unlock()
	if !ok {
		t.Fatal("applyPauses could not read the pauses")
	}
	for _, c := range []struct {
		name   string
		d      decision
		reason string
		says   string
	}{
		{"overlap skip", blocked(rs, "skip", ReasonOverlap), ReasonOverlap, "was still running (overlap: skip)"},
		{"overlap skip, no run", blocked(nil, "skip", ReasonOverlap), ReasonOverlap, "(overlap: skip)"},
		{"behind a run starting", blocked(starting, "skip", ReasonOverlap), ReasonOverlap, "was still starting"},
		{"queue full", blocked(rs, queueFull, ReasonQueueFull), ReasonQueueFull, queueFull},
		{"allow limit", blocked(rs, s.allowLimit(), ReasonAllowLimit), ReasonAllowLimit, "at most 3 of its runs at once, --max-concurrent-runs"},
		{"replaced in a gap", gap[0], ReasonReplaced, "skipped: replaced by the slot of"},
		{"paused, would fire", paused[0], ReasonPaused, pausedPrefix},
		{"paused, missed", paused[1], ReasonPaused, pausedPrefix},
	} {
		if c.d.rec.Outcome != history.SlotSkipped || c.d.reason != c.reason || !strings.Contains(c.d.rec.Message, c.says) {
			t.Errorf("%s: outcome %s, reason %q, message %q; want skipped, %q, saying %q", c.name, c.d.rec.Outcome, c.d.reason, c.d.rec.Message, c.reason, c.says)
		}
	}
}

// TestStopIsOneLine: stopped for a signal (SetStopCause), the scheduler
// writes one "stopping" line with the signal, the runs it waits for and
// the grace, and no second line that says the same.
func TestStopIsOneLine(t *testing.T) {
	h := newHarness(t, t10.Add(-30*time.Second), func(c *Config) { c.Grace = 20 * time.Second })
	h.launcher.hold = true
	h.launcher.endOnCancel = true
	h.load(playbook("p", "@every 1m"))
	stop := h.startLoop()
	h.loopStep(30 * time.Second)
	h.s.SetStopCause("SIGTERM")
	returned := make(chan error, 1)
	go func() { returned <- stop() }()
	waitFor(t, "the grace timer", func() bool {
		ts := h.clock.Timers()
		return len(ts) == 1 && ts[0] == 20*time.Second
	})
	h.launcher.started()[0].end(report.StatusSucceeded)
	if err := <-returned; err != nil {
		t.Fatal(err)
	}
	var stopping []map[string]any
	for _, msg := range []string{"stopping: no more slots fire; waiting for the running runs", "stopping: waiting for running runs"} {
		stopping = append(stopping, h.logs.lines(msg)...)
	}
	if len(stopping) != 1 {
		t.Fatalf("%d stopping lines, want 1:\n%s", len(stopping), h.logs.b.String())
	}
	l := stopping[0]
	if l["message"] != "stopping: no more slots fire; waiting for the running runs" || l["signal"] != "SIGTERM" || l["runs"] != float64(1) || l["grace"] != "20s" || l["component"] != Component {
		t.Errorf("stopping line %v: want signal SIGTERM, runs 1, grace 20s, component scheduler", l)
	}
}
