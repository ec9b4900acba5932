package engine

import (
	"fmt"
	"strings"
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
		"after": {"skipped", "dry run: reads steps.some, which the dry run could not judge in full: it needs steps.put, which the dry run did not execute", nil},
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

// TestDryRunUnsureStepIsNotSaidUnexecuted: a step skipped for failing
// after a need the dry run did not execute was executed: the steps after
// it and the readers of its state name the step that was not executed,
// not it as one the dry run did not execute.
func TestDryRunUnsureStepIsNotSaidUnexecuted(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: put, op: test.write}
  - {id: read, op: control.fail, with: {message: no such file}}
  - {id: each, op: control.fail, foreach: "${{ [1] }}", with: {message: no such item}}
  - {id: use, op: control.log, with: {message: "${{ steps.read.output }}"}}
  - {id: late, op: control.log, needs: [use], with: {message: "${{ steps.each.output }}"}}
outputs:
  got: "${{ steps.read.output }}"
`), nil, DryRun())
	got := map[string]string{}
	for _, s := range rep.Steps {
		got[s.ID] = s.Reason
		for i, it := range s.Items {
			got[fmt.Sprintf("%s[%d]", s.ID, i)] = it.Reason
		}
	}
	unsure := func(msg string) string {
		return "dry run: failed (execution: " + msg + "), but it needs steps.put, which the dry run did not execute: a real run may not fail here"
	}
	want := map[string]string{
		"put":     "dry run: test.write is a write operation and was not executed",
		"read":    unsure("no such file"),
		"each":    unsure("no such item"),
		"each[0]": unsure("no such item"),
		"use":     "dry run: reads steps.read, which the dry run could not judge: it needs steps.put, which the dry run did not execute",
		"late":    "dry run: reads steps.each, which the dry run could not judge: it needs steps.put, which the dry run did not execute",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if out, want := rep.OutputErrors["got"], "dry run: reads steps.read, which the dry run could not judge: it needs steps.put, which the dry run did not execute"; !strings.Contains(out, want) {
		t.Errorf("output: %q, want %q", out, want)
	}
}
