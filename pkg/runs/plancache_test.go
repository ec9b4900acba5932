package runs

import (
	"context"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// yesConfirmer answers every confirm: question yes.
type yesConfirmer struct{}

func (yesConfirmer) Confirm(context.Context, string, string) (bool, error) { return true, nil }

// A loaded playbook is planned once for all its runs (schedule and serve
// run the same loaded playbook again and again), and a playbook loaded
// again, or a request whose plan holds something of its own, gets its
// own plan.
func TestPlanKeptWithItsPlaybook(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	s := m.Service()
	src := "version: 1\nname: kept\nsteps:\n  - {id: ask, op: control.noop, confirm: 'go on'}\n"
	pb, err := steps.Parse("kept.yaml", []byte(src), s.Registry())
	if err != nil {
		t.Fatal(err)
	}
	planOf := func(req Request) *engine.Plan {
		t.Helper()
		p, err := s.prepare(context.Background(), &req)
		if err != nil {
			t.Fatal(err)
		}
		return p.plan
	}
	first := planOf(Request{Playbook: pb})
	if again := planOf(Request{Playbook: pb}); again != first {
		t.Error("a second run of the same loaded playbook was planned again")
	}
	if planOf(Request{Playbook: pb, MaxParallel: 3}) == first {
		t.Error("a run with a limit of its own got the plan of another limit")
	}
	if planOf(Request{Playbook: pb, Confirmer: yesConfirmer{}}) == first {
		t.Error("a run with a confirmer of its own got a plan without it")
	}
	reloaded, err := steps.Parse("kept.yaml", []byte(src), s.Registry())
	if err != nil {
		t.Fatal(err)
	}
	if got := planOf(Request{Playbook: reloaded}); got == first || got.Playbook() != reloaded {
		t.Error("a playbook loaded again ran the plan of the one it replaced")
	}
	// What the kept plan does not hold still comes from the request: its
	// confirm: step is denied without a confirmer, answered with one.
	run := func(req Request) string {
		h, err := m.Start(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return string(rep.Status)
	}
	if got := run(Request{Playbook: pb}); got == "succeeded" {
		t.Errorf("a confirm: step nobody answered: run %s", got)
	}
	if got := run(Request{Playbook: pb, Confirmer: yesConfirmer{}}); got != "succeeded" {
		t.Errorf("a confirm: step answered yes: run %s, want succeeded", got)
	}
}

// Runs of one loaded playbook at once share its plan and nothing else:
// each has its own inputs and report (run it under -race).
func TestKeptPlanConcurrentRuns(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{})
	src := "version: 1\nname: twice\ninputs:\n  n: {type: integer, required: true}\nsteps:\n" +
		"  - {id: a, op: control.set, with: {v: '${{ inputs.n * 2 }}'}}\n" +
		"  - {id: b, op: control.assert, with: {that: '${{ steps.a.output.v == inputs.n * 2 }}'}}\n" +
		"outputs:\n  v: '${{ steps.a.output.v }}'\n"
	pb, err := steps.Parse("twice.yaml", []byte(src), m.Service().Registry())
	if err != nil {
		t.Fatal(err)
	}
	const runs = 8
	var wg sync.WaitGroup
	got := make([]any, runs)
	for i := range runs {
		wg.Go(func() {
			h, err := m.Start(context.Background(), Request{Playbook: pb, Inputs: map[string]any{"n": i}})
			if err != nil {
				t.Error(err)
				return
			}
			rep, err := h.Wait(context.Background())
			if err != nil || rep.Status != "succeeded" {
				t.Errorf("run %d: %v %s", i, err, rep.Status)
				return
			}
			got[i] = rep.Outputs["v"]
		})
	}
	wg.Wait()
	for i, v := range got {
		if n, ok := v.(int); !ok || n != 2*i {
			if f, ok := v.(float64); !ok || f != float64(2*i) {
				t.Errorf("run %d: output v = %v (%T), want %d", i, v, v, 2*i)
			}
		}
	}
}

// TestPrepareAllocs bounds what preparing a run of a loaded playbook
// costs, paid by every scheduled and API-started run: its plan is kept
// with the playbook, not made again.
func TestPrepareAllocs(t *testing.T) {
	m := newManager(t, Config{}, Limits{})
	s := m.Service()
	pb, err := steps.Parse("bench.yaml", []byte(noopChain(3)), s.Registry())
	if err != nil {
		t.Fatal(err)
	}
	prepare := func() {
		if _, err := s.prepare(context.Background(), &Request{Playbook: pb}); err != nil {
			t.Fatal(err)
		}
	}
	prepare()
	got := testing.AllocsPerRun(100, prepare)
	t.Logf("%.0f allocations a prepare", got)
	if got > prepareAllocs {
		t.Errorf("preparing a run of a loaded playbook took %.0f allocations, more than the %d budgeted", got, prepareAllocs)
	}
}

// prepareAllocs is the budget of a prepare of a three-step playbook: 32
// allocations, 33 under the race detector. Lower it when a prepare gets
// cheaper. It took 57 when each run planned its playbook anew.
const prepareAllocs = 33
