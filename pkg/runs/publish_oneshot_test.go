package runs

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPublisherWithoutEventsCopiesNothing: the publisher of an executed
// operation, whose events nobody can subscribe to, passes its finished
// report by without copying it for them (a copy of some 350 bytes each
// execute, thrown away at once), and the report is left as it was.
func TestPublisherWithoutEventsCopiesNothing(t *testing.T) {
	p := newPublisher(nil, NewStream(), "r1", false, false)
	rep := &report.Report{RunID: "r1", Status: report.StatusSucceeded}
	ev := engine.Event{Kind: engine.EventRunFinished, RunID: "r1", Status: "succeeded", Report: rep}
	got := testing.AllocsPerRun(100, func() { p.Event(ev) })
	if got != 0 {
		t.Errorf("publishing a finished run to nobody made %.0f allocations, want none", got)
	}
	if rep.RunID != "r1" || rep.Status != report.StatusSucceeded {
		t.Errorf("the report changed: %+v", rep)
	}
}
