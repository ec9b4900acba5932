package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPlanOfOneStepAllocs bounds what planning an executed operation's
// playbook costs: a plan is made for each execute. Its node comes in one
// allocation with the others, its main section is its nodes, and a plan
// of a few steps finds them by id without a map.
func TestPlanOfOneStepAllocs(t *testing.T) {
	e := New(registry(t))
	pb := plan(t, e, noopChain(1)).pb
	got := testing.AllocsPerRun(100, func() { e.Plan(pb) })
	t.Logf("%.0f allocations a plan", got)
	// 7 when each node, the main section and the map by id (and its
	// first group) were allocations of their own.
	if got > 4 {
		t.Errorf("planning a one-step playbook made %.0f allocations, more than the 4 budgeted", got)
	}
}

// TestPlanFindsStepsByID runs the same graph, needs and a rescue among
// them, as a playbook of a few steps (whose nodes are searched) and of
// more than eight (found through a map): each step ends as its needs and
// its rescue say, and the run's outcome is the same.
func TestPlanFindsStepsByID(t *testing.T) {
	e, _ := newEngine(t)
	for _, extra := range []int{0, fewSteps + 1} {
		t.Run(fmt.Sprintf("%d more steps", extra), func(t *testing.T) {
			var b strings.Builder
			b.WriteString(header + `
steps:
  - id: saved
    op: control.fail
    rescue:
      - {id: fix, op: control.noop}
  - {id: broken, op: control.fail, continue_on_error: true}
  - {id: after, op: control.noop, needs: [saved]}
  - {id: next, op: control.noop, needs: [broken]}
`)
			for i := range extra {
				fmt.Fprintf(&b, "  - {id: x%d, op: control.noop, needs: [after]}\n", i)
			}
			p := plan(t, e, b.String())
			if (p.byID != nil) != (extra > 0) {
				t.Fatalf("a plan of %d steps has a map by id: %v", len(p.nodes), p.byID != nil)
			}
			for _, n := range p.nodes {
				if got := p.node(n.step.ID); got != n {
					t.Errorf("node(%q) = %v, want the step's node", n.step.ID, got)
				}
			}
			if p.node("nowhere") != nil {
				t.Error("node of a step the playbook does not have is not nil")
			}
			rep := mustRun(t, p, nil)
			want := map[string]report.Status{"saved": "failed", "fix": "succeeded", "broken": "failed", "after": "succeeded", "next": "succeeded"}
			for i := range extra {
				want[fmt.Sprintf("x%d", i)] = "succeeded"
			}
			for _, s := range rep.Steps {
				if s.Status != want[s.ID] {
					t.Errorf("step %s %s, want %s", s.ID, s.Status, want[s.ID])
				}
			}
		})
	}
}
