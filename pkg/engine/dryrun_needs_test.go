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

// TestDryRunItemFailureAfterUnexecutedNeed: a foreach item that fails in
// a dry run after a step the fan-out needs was not executed is skipped
// with its failure in its reason, as a plain step is; the fan-out is
// skipped when no item ran to the end, else succeeded with its readers
// skipped, and the run does not fail. Items of a fan-out that needs no
// unexecuted step still fail the dry run.
func TestDryRunItemFailureAfterUnexecutedNeed(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: put, op: test.write}
  - {id: all, op: control.fail, foreach: "${{ [1, 2] }}", fail_fast: true, with: {message: no such file}}
  - {id: some, op: control.assert, foreach: "${{ [1, 2] }}", needs: [put], with: {that: "${{ item == 1 }}", message: missing}}
  - {id: after, op: control.log, needs: [some], with: {message: "${{ steps.some.output }}"}}
on_failure:
  - {id: alert, op: control.log, with: {message: failed}}
`), nil, DryRun())
	unsure := func(msg string) string {
		return "dry run: failed (execution: " + msg + "), but it needs steps.put, which the dry run did not execute: a real run may not fail here"
	}
	type row struct {
		Status report.Status
		Reason string
		Items  []report.Status
	}
	got := map[string]row{}
	var itemReason string
	for _, s := range rep.Steps {
		r := row{Status: s.Status, Reason: s.Reason}
		for _, it := range s.Items {
			r.Items = append(r.Items, it.Status)
			if s.ID == "some" && it.Status == report.StatusSkipped {
				itemReason = it.Reason
			}
		}
		got[s.ID] = r
	}
	want := map[string]row{
		"put":   {"skipped", "dry run: test.write is a write operation and was not executed", nil},
		"all":   {"skipped", unsure("no such file"), []report.Status{"skipped", "skipped"}},
		"some":  {"succeeded", "", []report.Status{"succeeded", "skipped"}},
		"after": {"skipped", "dry run: reads steps.some, which the dry run did not execute in full", nil},
		"alert": {"skipped", "the run did not fail", nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if itemReason != unsure("missing") {
		t.Errorf("the skipped item's reason: %q", itemReason)
	}
	if rep.Status != report.StatusSucceeded || rep.Error != nil {
		t.Errorf("run %s %+v, want succeeded", rep.Status, rep.Error)
	}

	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: each, op: control.fail, foreach: "${{ [1] }}", with: {message: broken}}
  - {id: put, op: test.write, needs: []}
`), nil, DryRun())
	if rep.Status != report.StatusFailed || rep.Steps[0].Status != report.StatusFailed {
		t.Errorf("an item failing with no unexecuted need: run %s, step %s", rep.Status, rep.Steps[0].Status)
	}
}
