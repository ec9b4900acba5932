package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDryRunOutputsReadingUnexecutedSteps checks that in a dry run an
// output that reads a step the dry run did not execute is left out, with
// a reason naming the step, instead of passing a default or a null for a
// result, while an output that reads executed steps is computed.
func TestDryRunOutputsReadingUnexecutedSteps(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: make, op: test.write}
  - {id: look, op: control.set, with: {v: seen}}
outputs:
  made: "${{ steps.make.output?.env ?? 'none' }}"
  status: "${{ steps.make.status }}"
  seen: "${{ steps.look.output.v }}"
`), nil, DryRun())
	if diff := cmp.Diff(map[string]any{"seen": "seen"}, rep.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	want := map[string]string{
		"made":   "dry run: reads steps.make, which the dry run did not execute",
		"status": "dry run: reads steps.make, which the dry run did not execute",
	}
	if diff := cmp.Diff(want, rep.OutputErrors); diff != "" {
		t.Errorf("output_errors (-want +got):\n%s", diff)
	}
}

// TestDryRunOutputsReadingAllSteps: an output that reads steps as a whole
// (keys(steps), map(values(steps), .status)) reads the steps the dry run
// did not execute too, so it is left out as one naming a step is, rather
// than passing their "skipped" for what a real run would give; with every
// step executed it is computed.
func TestDryRunOutputsReadingAllSteps(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: look, op: control.set, with: {v: seen}}
  - {id: make, op: test.write}
outputs:
  statuses: "${{ map(values(steps), .status) }}"
  seen: "${{ steps.look.output.v }}"
`), nil, DryRun())
	if diff := cmp.Diff(map[string]any{"seen": "seen"}, rep.Outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	want := map[string]string{"statuses": "dry run: reads all of steps, steps.make among them, which the dry run did not execute"}
	if diff := cmp.Diff(want, rep.OutputErrors); diff != "" {
		t.Errorf("output_errors (-want +got):\n%s", diff)
	}

	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: look, op: control.set, with: {v: seen}}
outputs:
  n: "${{ len(keys(steps)) }}"
`), nil, DryRun())
	if diff := cmp.Diff(map[string]any{"n": 1}, rep.Outputs); diff != "" || rep.OutputErrors != nil {
		t.Errorf("outputs (-want +got):\n%s%v", diff, rep.OutputErrors)
	}
}
