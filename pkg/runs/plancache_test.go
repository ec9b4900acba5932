package runs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
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

// prepareAllocs is the budget of a prepare of a three-step playbook: 29
// allocations, 30 under the race detector. Lower it when a prepare gets
// cheaper. It took 57 when each run planned its playbook anew.
const prepareAllocs = 30

// A playbook whose steps set cache:, or that calls a sub-playbook, is
// planned once too for the runs of the same roles under the same policy
// (schedule runs it every second); other roles or another policy, which
// decide what may be cached and under which namespace, get their own
// plan. The kept plan still reads and writes the cache.
func TestCachedPlanKept(t *testing.T) {
	dir := t.TempDir()
	reg := newRegistry(t)
	m := newManager(t, Config{Registry: reg, StateDir: filepath.Join(dir, "st")}, Limits{})
	s := m.Service()
	write := func(name, src string) *steps.Playbook {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		pb, err := steps.Load(path, reg)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	cached := write("cached.yaml", "version: 1\nname: cached\nsteps:\n  - {id: find, op: file.find, with: {path: "+dir+", pattern: '*.txt'}, cache: {ttl: 1h}}\n")
	caller := write("caller.yaml", "version: 1\nname: caller\nsteps:\n  - {id: sub, op: playbook.run, with: {path: cached.yaml}}\n")
	other, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte("version: 1\nroles:\n  ops: {inherits: [admin]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, pb := range []*steps.Playbook{cached, caller} {
		planOf := func(req Request) *engine.Plan {
			t.Helper()
			req.Playbook = pb
			p, err := s.prepare(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			return p.plan
		}
		admin := Caller{Roles: []string{"admin"}}
		first := planOf(Request{Caller: admin})
		if planOf(Request{Caller: admin}) != first {
			t.Errorf("%s: a second run of the same roles was planned again", pb.Name)
		}
		if planOf(Request{Caller: Caller{Roles: []string{"viewer"}}}) == first {
			t.Errorf("%s: a run of other roles got the plan of the admin's cache", pb.Name)
		}
		if planOf(Request{Caller: Caller{Roles: []string{"ops"}}, Policy: other}) == first {
			t.Errorf("%s: a run under another policy got the plan of the first", pb.Name)
		}
	}
	run := func(pb *steps.Playbook) *report.Report {
		t.Helper()
		h, err := m.Start(context.Background(), Request{Playbook: pb, Caller: Caller{Roles: []string{"admin"}}})
		if err != nil {
			t.Fatal(err)
		}
		rep := wait(t, h)
		if rep.Status != report.StatusSucceeded {
			t.Fatalf("%s: %s %+v", pb.Name, rep.Status, rep.Error)
		}
		return rep
	}
	if run(cached).Steps[0].Cached {
		t.Error("the first run found its step cached")
	}
	if !run(cached).Steps[0].Cached {
		t.Error("the second run of the kept plan did not read the cache")
	}
	if sub := run(caller).Steps[0].Sub; sub == nil || !sub.Steps[0].Cached {
		t.Errorf("the sub-playbook of the kept plan did not read the cache: %+v", sub)
	}
}

// TestPrepareCachedAllocs bounds a prepare of a loaded playbook with a
// cache: step, with a state dir: its plan and the cache's middleware are
// kept with it, as a plan without cache: is.
func TestPrepareCachedAllocs(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{})
	s := m.Service()
	pb, err := steps.Parse("cached.yaml", []byte("version: 1\nname: cached\nsteps:\n  - {id: a, op: control.noop, cache: {ttl: 1h}}\n"), s.Registry())
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
	if got > prepareCachedAllocs {
		t.Errorf("preparing a run of a loaded playbook with cache: took %.0f allocations, more than the %d budgeted", got, prepareCachedAllocs)
	}
}

// prepareCachedAllocs is the budget of a prepare of a one-step playbook
// with cache: and a state dir: 31 allocations, 32 under the race
// detector. It took 66 when each run planned it anew.
const prepareCachedAllocs = 32
