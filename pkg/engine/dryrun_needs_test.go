package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestDryRunFailureAfterUnexecutedNeed: a read step that fails in a dry
// run after a step it needs (directly or not) was not executed saw the
// world without that step's change (a file.read of the file an earlier
// file.write would have written): it is marked skipped with the failure in
// its reason, and the run neither fails nor fires on_failure, since a real
// run may not fail there. A read step that needs no such step still fails
// the dry run.
func TestDryRunFailureAfterUnexecutedNeed(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: put, op: test.write}
  - {id: look, op: control.noop}
  - {id: read, op: control.fail, with: {message: no such file}}
on_failure:
  - {id: alert, op: control.log, with: {message: failed}}
`), nil, DryRun())
	type row struct {
		Status report.Status
		Reason string
	}
	got := map[string]row{}
	for _, s := range rep.Steps {
		got[s.ID] = row{s.Status, s.Reason}
	}
	want := map[string]row{
		"put":   {"skipped", "dry run: test.write is a write operation and was not executed"},
		"look":  {"succeeded", ""},
		"read":  {"skipped", "dry run: failed (execution: no such file), but it needs steps.put, which the dry run did not execute: a real run may not fail here"},
		"alert": {"skipped", "the run did not fail"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusSucceeded || rep.Error != nil {
		t.Errorf("run %s %+v, want succeeded", rep.Status, rep.Error)
	}

	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: read, op: control.fail, with: {message: broken}}
  - {id: put, op: test.write, needs: []}
`), nil, DryRun())
	if rep.Status != report.StatusFailed || rep.Steps[0].Status != report.StatusFailed {
		t.Errorf("a failure needing no unexecuted step: run %s, step %s", rep.Status, rep.Steps[0].Status)
	}
}
