package scheduler

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunEndedLevelFollowsTheStatus: the "run ended" line of a failed run
// is at error, of a cancelled one at warn, of one that succeeded at info,
// as run's "run finished" line is, so that a schedule log kept at error
// level ends a failed run's lines with its end. Before, it was at info
// whatever the status.
func TestRunEndedLevelFollowsTheStatus(t *testing.T) {
	h := newHarness(t, t10)
	h.launcher.hold = true
	h.load(playbook("p", "@every 1m", overlap("allow")))
	h.runUntil(t10.Add(3 * time.Minute))
	runs := h.launcher.started()
	if len(runs) < 3 {
		t.Fatalf("%d runs started, want 3", len(runs))
	}
	want := map[string]string{}
	for i, st := range []report.Status{report.StatusFailed, report.StatusCancelled, report.StatusSucceeded} {
		runs[i].end(st)
		want[runs[i].id] = map[report.Status]string{report.StatusFailed: "error", report.StatusCancelled: "warn", report.StatusSucceeded: "info"}[st]
	}
	h.quiesce()
	ended := h.logs.lines("run ended")
	if len(ended) != 3 {
		t.Fatalf("%d 'run ended' lines, want 3: %v", len(ended), ended)
	}
	for _, l := range ended {
		id, _ := l["run_id"].(string)
		if l["level"] != want[id] {
			t.Errorf("run %s, status %v: 'run ended' at %v, want %s", id, l["status"], l["level"], want[id])
		}
	}
}
