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

// TestSkipReasonOfEachMessage: every message the scheduler records for a
// skipped slot maps to its reason, those of overlap: replace and of the
// pauses included.
func TestSkipReasonOfEachMessage(t *testing.T) {
	var d decision
	rs := &runState{id: "run-1"}
	s := &Scheduler{cfg: Config{MaxConcurrentRuns: 3, LimitFrom: "--max-concurrent-runs"}}
	at := t10.Format(time.RFC3339)
	for msg, want := range map[string]string{
		func() string { d.blockedBy(rs, "skip"); return d.rec.Message }():         ReasonOverlap,
		func() string { d.blockedBy(nil, "skip"); return d.rec.Message }():        ReasonOverlap,
		func() string { d.blockedBy(rs, queueFull); return d.rec.Message }():      ReasonQueueFull,
		func() string { d.blockedBy(rs, s.allowLimit()); return d.rec.Message }(): ReasonAllowLimit,
		"skipped: replaced by the slot of " + at + " (overlap: replace)":          ReasonReplaced,
		"skipped: superseded by the slot of " + at + " (overlap: replace)":        ReasonReplaced,
		pausedMessage(history.Pause{By: "alice", At: t10}):                        ReasonPaused,
		pauseUnknownPrefix + ": database is locked":                               ReasonPauseUnknown,
	} {
		if got := skipReason(msg); got != want {
			t.Errorf("skipReason(%q) = %q, want %q", msg, got, want)
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
