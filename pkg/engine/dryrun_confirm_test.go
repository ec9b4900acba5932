package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestDryRunSaysConfirmNotAsked: a dry run does not ask a step's confirm:
// question, and the step's reason says so and what a real run does there
// (ask, and decline on a no; with nobody to ask, deny), rather than the
// step showing succeeded as if the answer had been yes. The question is
// masked as the confirmation is; a real run's reasons are unchanged.
func TestDryRunSaysConfirmNotAsked(t *testing.T) {
	src := header + `
inputs:
  token: {type: string, secret: true, default: hunter2}
steps:
  - {id: look, op: control.noop, confirm: "Use ${{ inputs.token }}?"}
  - {id: put, op: test.write, confirm: "Write?"}
  - {id: each, op: control.noop, foreach: "${{ [1, 2] }}", confirm: "All?"}
  - {id: plain, op: control.noop}
`
	reasons := func(rep *report.Report) map[string]string {
		got := map[string]string{}
		for _, s := range rep.Steps {
			got[s.ID] = string(s.Status) + ": " + s.Reason
		}
		return got
	}
	asks := "; a real run asks it before the step runs, and a no declines the step (the run fails)"
	c := &byName{}
	e, _ := newEngine(t, WithConfirmer(c))
	rep := mustRun(t, plan(t, e, src), nil, DryRun())
	want := map[string]string{
		"look":  `succeeded: dry run: confirm: "Use ***?" was not asked` + asks,
		"put":   `skipped: dry run: test.write is a write operation and was not executed; confirm: "Write?" was not asked` + asks,
		"each":  `succeeded: dry run: confirm: "All?" was not asked` + asks,
		"plain": "succeeded: ",
	}
	if diff := cmp.Diff(want, reasons(rep)); diff != "" {
		t.Errorf("dry run with a confirmer (-want +got):\n%s", diff)
	}
	if len(c.asked) != 0 {
		t.Errorf("the dry run asked %d questions", len(c.asked))
	}

	e, _ = newEngine(t)
	rep = mustRun(t, plan(t, e, src), nil, DryRun(), WithConfirmHint("nobody is asked; pass --yes"))
	denies := `succeeded: dry run: confirm: "Use ***?" was not asked; a real run here denies the step: it needs confirmation, and nobody is asked; pass --yes`
	if got := reasons(rep)["look"]; got != denies {
		t.Errorf("dry run without a confirmer: look\n got %s\nwant %s", got, denies)
	}

	rep = mustRun(t, plan(t, e, src), nil, AssumeYes())
	for id, r := range reasons(rep) {
		if r != "succeeded: " {
			t.Errorf("real run with AssumeYes: %s is %q", id, r)
		}
	}
}
