package runs

import (
	"context"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestCancelledQueuedRunPublishesACopy: the run_finished event of a queued
// run cancelled before it started carries a copy of its report, not the
// report itself, which the service signs and writes after publishing it,
// while a subscriber (an event stream encoding it) may be reading it.
func TestCancelledQueuedRunPublishesACopy(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1, MaxQueued: 1})
	path := writePlaybook(t, sleeper)
	first, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, first)
	queued, err := m.Start(context.Background(), Request{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	queued.Cancel(nil)
	rep := wait(t, queued)
	first.Cancel(nil)
	wait(t, first)
	var fin *Event
	for _, ev := range queued.Events().Events() {
		if ev.Kind == engine.EventRunFinished {
			fin = &ev
		}
	}
	if fin == nil || fin.Report == nil {
		t.Fatalf("no run_finished with a report in %v", queued.Events().Events())
	}
	if fin.Report == rep {
		t.Error("run_finished carries the report the service goes on signing and writing, not a copy")
	}
	if fin.Report.RunID != rep.RunID || fin.Report.Status != rep.Status {
		t.Errorf("the copy: %s %s, the report: %s %s", fin.Report.RunID, fin.Report.Status, rep.RunID, rep.Status)
	}
}
