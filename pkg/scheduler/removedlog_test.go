package scheduler

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRemovedPlaybookLineNamesItsRunsGoingOn: a reload that removes a
// playbook whose run is going lets that run finish; the log line of the
// removal says so, naming the run, so that whoever reads it does not
// take the run for stopped (or look for it to be killed).
func TestRemovedPlaybookLineNamesItsRunsGoingOn(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	h.load(playbook("gone", "@every 1m"), playbook("idle", "@every 1h"))
	h.runUntil(t10.Add(time.Minute))
	h.load(playbook("stays", "@every 1h"))

	busy := h.logs.lines("no longer scheduled; its runs still going finish, and no slot of it fires after them")
	if len(busy) != 1 || busy[0]["playbook"] != "gone" {
		t.Fatalf("removal lines of a playbook with a run going: %v, want one of gone", busy)
	}
	if runs, _ := busy[0]["running"].([]any); len(runs) != 1 || runs[0] != "run-1" {
		t.Errorf("running: %v, want [run-1]", busy[0]["running"])
	}
	if idle := h.logs.lines("no longer scheduled"); len(idle) != 1 || idle[0]["playbook"] != "idle" {
		t.Errorf("removal lines of a playbook with no run going: %v, want one of idle", idle)
	}
	h.launcher.started()[0].end(report.StatusSucceeded)
	h.quiesce()
}
