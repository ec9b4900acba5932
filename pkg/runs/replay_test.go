package runs

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestReplayRunFinishedHasDuration: the run_finished event told from a
// report (a queued run replaced or cancelled before it started, a run
// another replica ran) carries the report's duration, as the engine's
// does: `run` logged "duration=0ms" for a run that had waited a second
// for its concurrency group, and the event stream said 0 too.
func TestReplayRunFinishedHasDuration(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := &report.Report{RunID: "r1", Playbook: report.Playbook{Name: "p"}, Status: report.StatusCancelled,
		StartedAt: start, FinishedAt: start.Add(1256 * time.Millisecond), DurationMS: 1256,
		Error: &report.Error{Class: "cancelled", Message: "replaced"}}
	var fin *Event
	for _, ev := range ReplayOf(rep).Events() {
		if ev.Kind == engine.EventRunFinished {
			fin = &ev
		}
	}
	if fin == nil {
		t.Fatal("no run_finished event")
	}
	if fin.DurationMS != 1256 {
		t.Errorf("run_finished duration_ms = %d, want the report's 1256", fin.DurationMS)
	}
}
