package runs

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestProgressNamesWhatStillRuns: a process that exits at once names the
// steps still running and, in a fan-out, the items of them not finished
// (the hosts whose remote programs may still be running), on its way out
// and in the report it writes from its progress.
func TestProgressNamesWhatStillRuns(t *testing.T) {
	pb, err := steps.Parse("roll.yaml", []byte(`version: 1
name: roll
steps:
  - {id: drain, op: control.noop}
  - {id: restart, op: control.sleep, foreach: '["web-1", "web-2", "web-3"]', with: {duration: 1m}}
  - {id: check, op: control.noop}
`), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	now := time.Now()
	ev := func(e engine.Event) {
		e.RunID, e.Time = "r1", now
		p.Event(e)
	}
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "drain", Op: "control.noop"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "drain", Status: "succeeded"})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "restart", Op: "control.sleep", Items: 3})
	for i, h := range []string{"web-1", "web-2"} {
		ev(engine.Event{Kind: engine.EventItemStarted, Step: "restart", Index: &i, Label: h})
	}
	two := 2 // a value without a name: its preview
	ev(engine.Event{Kind: engine.EventItemStarted, Step: "restart", Index: &two, Item: "web-3"})
	one := 1
	ev(engine.Event{Kind: engine.EventItemFinished, Step: "restart", Index: &one})

	if diff := cmp.Diff([]string{"restart (control.sleep): items web-1, web-3"}, p.stillRunning()); diff != "" {
		t.Errorf("still running (-want +got):\n%s", diff)
	}
	rep := p.report("interrupted by SIGINT, then by SIGINT")
	st := rep.Steps[1]
	if st.ID != "restart" || st.Error == nil || !strings.Contains(st.Error.Message, "may still be running; items still running: web-1, web-3") || st.Reason != "1 of 3 items had finished" {
		t.Errorf("restart in the report: %+v %+v", st, st.Error)
	}
}
