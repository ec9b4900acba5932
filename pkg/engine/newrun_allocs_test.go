package engine

import (
	"testing"
)

// TestNewRunAllocs bounds what setting up a run costs beyond its steps:
// a scheduled playbook of a few short steps pays it every time it fires,
// a thousand playbooks @every 1s a thousand times a second. The steps'
// states and records come from one allocation each for the whole run,
// not one a step, so the count hardly grows with the playbook (only the
// map of states does, past eight steps).
func TestNewRunAllocs(t *testing.T) {
	e := New(registry(t))
	for _, c := range []struct {
		steps int
		want  float64
	}{{3, newRunAllocs}, {100, newRunAllocs + 2}} {
		p := plan(t, e, noopChain(c.steps))
		o := runOptions{id: "20260601T100000-0123456789abcdef0123456789abcdef"}
		p.newRun(nil, o) // the host environment read once
		got := testing.AllocsPerRun(100, func() { p.newRun(nil, o) })
		t.Logf("%d steps: %.0f allocations", c.steps, got)
		if got > c.want {
			t.Errorf("setting up a run of %d steps made %.0f allocations, more than the %.0f budgeted", c.steps, got, c.want)
		}
	}
}

// newRunAllocs is the budget of newRun for a playbook of a few steps,
// the same under the race detector: lower it when a run gets cheaper. It
// made 10 when the steps' records were pointed to from a slice of their
// own and the steps' counts of needs yet to end were another, 12 when each step's state and record were two allocations for the
// run and the log of a run that logs nothing was boxed for each, 18 for
// three steps (214 for a hundred) when each step's state and
// record were allocated on their own, and the run's output budget and
// record of lost audit lines apart from the run.
const newRunAllocs = 8
