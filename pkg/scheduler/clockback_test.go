package scheduler

import (
	"testing"
	"time"
)

// TestStartWithTheClockSetBack: a scheduler started on a wall clock set
// back behind slots already decided (a VM snapshot restored) fires none
// of them again, says at start why its playbooks stay quiet, and fires
// again once the clock passes them.
func TestStartWithTheClockSetBack(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second))
	h.load(playbook("p", "@every 1m"), playbook("q", "0 * * * *"))
	h.runUntil(t10.Add(3 * time.Minute))
	h.restart()
	h.clock.Jump(-2 * time.Hour) // 08:03
	h.load(playbook("p", "@every 1m"), playbook("q", "0 * * * *"))
	h.run(time.Hour)
	if got := h.launcher.slotsOf("p"); len(got) != 4 {
		t.Fatalf("p fired %v while the clock was behind, want only the four slots before", got)
	}
	warned := h.logs.lines("the wall clock is behind slots already decided (it was set back); those playbooks fire nothing until it passes them, so that no slot fires twice")
	if len(warned) != 1 {
		t.Fatalf("start with the clock set back: %d warnings, want 1", len(warned))
	}
	if w := warned[0]; w["newest_slot"] != "2026-06-01T10:03:00Z" || w["behind_by"] != "2h" || len(w["playbooks"].([]any)) != 2 {
		t.Errorf("warning: %v", w)
	}
	h.runUntil(t10.Add(5 * time.Minute))
	if got := h.launcher.slotsOf("p"); len(got) != 6 {
		t.Errorf("p once the clock passed its slots: %v", got)
	}
}
