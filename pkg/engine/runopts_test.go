package engine

import (
	"maps"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunOptionsAllocs holds the options a server gives each run to no
// allocation: built as closures that captured their arguments, they
// cost one each, ten an execute of the API.
func TestRunOptionsAllocs(t *testing.T) {
	roles, env := []string{"admin"}, []string{"PATH=/bin"}
	pre := map[string]report.Decision{"s0": {Allowed: true, Rule: "admin may run anything"}}
	var obs Observer = ObserverFunc(func(Event) {})
	got := testing.AllocsPerRun(100, func() {
		opts := [...]RunOption{
			WithRunID("20260601T100000-0123456789abcdef0123456789abcdef"), WithRoles(roles...),
			WithRunAuthorizer(allowAll{}), WithRunObserver(obs), WithEnviron(env),
			WithPreflight(pre), WithCaller("bench", "127.0.0.1"), WithInventory(nil),
			WithRunURL("http://127.0.0.1/runs/x"), WithConfirmHint("ask"), AssumeYes(),
		}
		var o runOptions
		for _, a := range opts {
			a.apply(&o)
		}
		if o.id == "" || o.auth == nil || o.observer == nil || len(o.preflight) != 1 || !o.yes {
			t.Fatal("options not applied")
		}
	})
	if got != 0 {
		t.Errorf("building and applying a run's options made %.0f allocations, want 0", got)
	}
}

// TestPreflightSharedByConcurrentRuns: the runs read the decisions they
// are given, without a copy of their own, so many runs may be given one
// map at once: each reports the decisions, none changes the map, and a
// report's decision is its own.
func TestPreflightSharedByConcurrentRuns(t *testing.T) {
	e, _ := newEngine(t, WithAuthorizer(denyWrites{}))
	p := plan(t, e, header+`
steps:
  - {id: look, op: control.noop}
  - {id: w, op: test.write}
  - {id: maybe, op: test.write, when: "false", needs: []}
`)
	pre := map[string]report.Decision{
		"look": {Allowed: true, Rule: "reads are allowed"}, "w": {Allowed: false, Rule: "no writes"},
		"maybe": {Allowed: false, Rule: "no writes"},
	}
	want := maps.Clone(pre)
	reps := make([]*report.Report, 8)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Go(func() { reps[i] = mustRun(t, p, nil, DryRun(), WithPreflight(pre)) })
	}
	wg.Wait()
	for i, rep := range reps {
		if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
			t.Errorf("run %d: %s %+v, want failed with class authorization", i, rep.Status, rep.Error)
		}
		for _, s := range rep.Steps {
			if d := s.Authorization; d == nil || *d != pre[s.ID] {
				t.Errorf("run %d: step %s reports %+v, want %+v", i, s.ID, d, pre[s.ID])
			}
		}
	}
	// maybe never ran: its decision is the preflight's, a copy per report.
	stepOf(t, reps[0], "maybe").Authorization.Rule = "changed"
	if got := stepOf(t, reps[1], "maybe").Authorization.Rule; got != "no writes" {
		t.Errorf("changing one report's decision changed another's: %q", got)
	}
	if !maps.Equal(pre, want) {
		t.Errorf("the runs changed the decisions they were given: %v, want %v", pre, want)
	}
}
