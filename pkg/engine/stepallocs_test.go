package engine

import (
	"context"
	"testing"
)

// TestStepAllocs bounds what one more step of a run costs, its call
// through the chain included: a scheduled playbook pays it for each step
// each time it fires. The call's literal parameters are the step's own,
// not a function made for the call; the call reaches playbook.run in
// one value of its context, not two; the guard's copy of the call and
// its outcome are one allocation.
func TestStepAllocs(t *testing.T) {
	e := New(registry(t))
	allocs := func(steps int) float64 {
		p := plan(t, e, noopChain(steps))
		run := func() {
			if _, err := p.Run(context.Background(), nil, WithRunID("20260601T100000-0123456789abcdef0123456789abcdef"), WithEnviron([]string{})); err != nil {
				t.Fatal(err)
			}
		}
		run()
		return testing.AllocsPerRun(50, run)
	}
	one, eleven := allocs(1), allocs(11)
	got := (eleven - one) / 10
	t.Logf("%.0f allocations a run of one step, %.0f of eleven: %.1f a step", one, eleven, got)
	if got > stepAllocs {
		t.Errorf("a step made %.1f allocations, more than the %.1f budgeted", got, stepAllocs)
	}
}

// stepAllocs is the budget of a step of control.noop: 13.5, 14.2 under
// the race detector; 17.5 when each call made a function for its literal
// parameters, put the run and the item's name in its context apart, and
// the guard copied the call and made a channel of outcomes apart. Lower
// it when a step gets cheaper.
const stepAllocs = 14.5
