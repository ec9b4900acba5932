package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const fiveSteps = header + `
steps:
  - {id: one, op: test.record, with: {label: first}}
  - {id: two, op: test.record, with: {label: second}}
  - {id: three, op: test.flaky, with: {key: three, fails: 1}}
  - {id: four, op: test.record, with: {label: "${{ steps.one.output.label }}"}}
  - {id: five, op: test.record}
outputs:
  labels: "${{ steps.one.output.label + '+' + steps.two.output.label }}"
`

// roundTrip passes a report through its JSON form, as --resume reads it.
func roundTrip(t *testing.T, r *report.Report) *report.Report {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out report.Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestResume(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, fiveSteps)
	first := mustRun(t, p, nil)
	if first.Status != "failed" || statuses(first)["three"] != "failed" {
		t.Fatalf("first run: %s %v", first.Status, statuses(first))
	}
	prev := roundTrip(t, first)
	if err := p.CheckResume(prev, false); err != nil {
		t.Fatal(err)
	}
	to.order = nil
	second := mustRun(t, p, nil, Resume(prev))
	if second.Status != "succeeded" || second.ResumedFrom != first.RunID {
		t.Fatalf("resumed run: %s from %q\n%s", second.Status, second.ResumedFrom, dump(second))
	}
	if diff := cmp.Diff([]string{"four", "five"}, to.order); diff != "" {
		t.Errorf("executed (-want +got):\n%s", diff)
	}
	if !stepOf(t, second, "one").Reused || stepOf(t, second, "three").Reused {
		t.Error("reused flags are wrong")
	}
	if second.Outputs["labels"] != "first+second" {
		t.Errorf("outputs from reused steps: %v", second.Outputs)
	}
	if err := p.CheckResume(roundTrip(t, second), false); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("resuming a succeeded run: %v", err)
	}
}

func TestResumeRefusesChangedPlaybook(t *testing.T) {
	e, _ := newEngine(t)
	first := roundTrip(t, mustRun(t, plan(t, e, fiveSteps), nil))

	// Only a later step changed: refused without --force, allowed with it.
	later := plan(t, e, strings.Replace(fiveSteps, "{id: five, op: test.record}", "{id: five, op: test.record, with: {label: x}}", 1))
	if err := later.CheckResume(first, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("changed playbook without force: %v", err)
	}
	if err := later.CheckResume(first, true); err != nil {
		t.Errorf("unchanged succeeded steps with force: %v", err)
	}
	// A step that succeeded changed: refused even with --force.
	changed := plan(t, e, strings.Replace(fiveSteps, "label: second", "label: other", 1))
	if err := changed.CheckResume(first, true); err == nil || !strings.Contains(err.Error(), "the steps two succeeded then") {
		t.Errorf("changed succeeded step with force: %v", err)
	}
}
