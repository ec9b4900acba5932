package engine

import (
	"context"
	"testing"
)

// TestBaseEnvAllocs bounds the allocations of a run's expression
// environment, which every run makes at least once, a thousand times a
// second under a thousand playbooks @every 1s: its maps. A status the
// engine knows and an empty list of failed steps are boxed once for all
// runs, the playbook's name once for its plan, the run's id and start
// once for the run.
func TestBaseEnvAllocs(t *testing.T) {
	p := plan(t, New(registry(t)), noopChain(3))
	r := p.newRun(nil, runOptions{id: "20260601T100000-0123456789abcdef0123456789abcdef"})
	ctx := context.Background()
	got := testing.AllocsPerRun(100, func() { r.baseEnv(ctx, "running") })
	t.Logf("%.0f allocations", got)
	if got > baseEnvAllocs {
		t.Errorf("a run's expression environment took %.0f allocations, more than the %d budgeted", got, baseEnvAllocs)
	}
}

// baseEnvAllocs is the budget of baseEnv while the run's steps run, the
// same under the race detector: lower it when the environment gets
// cheaper. It took 10 when the status and the empty list of failed steps
// were boxed anew for each run, and 8 when the run's id, playbook and
// start (formatted too) were boxed anew for each phase.
const baseEnvAllocs = 4
