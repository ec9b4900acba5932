package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestConfirmDeclined checks that a confirm: answered no is its own
// outcome, not an authorization denial: the step is cancelled with class
// declined, its dependents are skipped, and the run fails saying where.
func TestConfirmDeclined(t *testing.T) {
	e, _ := newEngine(t, WithConfirmer(answer(false)))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: deploy, op: control.noop, confirm: "Deploy now?", continue_on_error: true}
  - {id: after, op: control.noop}
`), nil)
	d := stepOf(t, rep, "deploy")
	if d.Status != report.StatusCancelled || d.Error == nil || d.Error.Class != "declined" || d.Reason == "" {
		t.Errorf("step: %s %q %+v", d.Status, d.Reason, d.Error)
	}
	if a := stepOf(t, rep, "after"); a.Status != report.StatusSkipped || a.Reason != "needs deploy, which was declined" {
		t.Errorf("dependent: %s %q", a.Status, a.Reason)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "declined" || !strings.HasPrefix(rep.Error.Message, "declined at step deploy") {
		t.Errorf("run %s %+v", rep.Status, rep.Error)
	}
}

// denyWrites is an authorizer that denies write operations, as a policy
// would, and records its decisions.
type denyWrites struct{}

func (denyWrites) Authorize(_ context.Context, c *Call) error {
	if c.Entry.RiskFor(c.Params) == ops.RiskRead {
		c.Decision = &report.Decision{Allowed: true, Rule: "reads are allowed"}
		return nil
	}
	c.Decision = &report.Decision{Allowed: false, Rule: "no writes"}
	return ops.WithClass(ops.ClassAuthorization, errors.New("denied: writes are not allowed"))
}

// TestDeniedStepBlocksDependents checks the one rule for a denied step:
// continue_on_error excuses failures, not denials, so a denied step's
// dependents are skipped and the run fails, and the step says why.
func TestDeniedStepBlocksDependents(t *testing.T) {
	e, _ := newEngine(t, WithAuthorizer(denyWrites{}))
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: w, op: test.write, continue_on_error: true}
  - {id: after, op: control.noop}
  - {id: other, op: control.noop, needs: []}
`), nil)
	want := map[string]report.Status{"w": "denied", "after": "skipped", "other": "succeeded"}
	if diff := cmp.Diff(want, statuses(rep)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if w := stepOf(t, rep, "w"); w.Reason != "denied: no writes" || w.Authorization == nil || w.Authorization.Allowed {
		t.Errorf("denied step: reason %q, authorization %+v", w.Reason, w.Authorization)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
		t.Errorf("run %s %+v", rep.Status, rep.Error)
	}
	// The run's error says "denied" once.
	if rep.Error != nil && rep.Error.Message != "step w denied: writes are not allowed" {
		t.Errorf("the run's error: %q", rep.Error.Message)
	}
}

// TestItemsUseDocumentedNames checks that fan-out items read as a whole
// (toJSON, or a lone ${{ }}) have the names the docs give, not Go's.
func TestItemsUseDocumentedNames(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: fan, op: control.set, foreach: '["a"]', with: {v: "${{ item }}"}}
  - id: show
    op: control.set
    with:
      items: "${{ steps.fan.items }}"
      json: "${{ toJSON(steps.fan.items[0]) }}"
      state: "${{ toJSON(steps.fan.error) }}"
`), nil)
	out := stepOf(t, rep, "show").Output.(map[string]any)
	want := []any{map[string]any{
		"index": 0, "item": "a", "status": "succeeded", "output": map[string]any{"v": "a"},
		"error": map[string]any{"class": "", "message": ""},
	}}
	if diff := cmp.Diff(want, out["items"]); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	var viaJSON map[string]any
	if err := json.Unmarshal([]byte(out["json"].(string)), &viaJSON); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"index", "item", "status", "output", "error"} {
		if _, ok := viaJSON[k]; !ok {
			t.Errorf("toJSON of an item lacks %q: %s", k, out["json"])
		}
	}
	var errState map[string]any
	if err := json.Unmarshal([]byte(out["state"].(string)), &errState); err != nil || len(errState) != 2 || errState["class"] != "" {
		t.Errorf("toJSON of an error: %s", out["state"])
	}
}

// runTimeDenials denies writes, and item 1 of a fan-out, and lets
// playbook.run and reads through.
type runTimeDenials struct{}

func (runTimeDenials) Authorize(ctx context.Context, c *Call) error {
	if c.Step.Op == "playbook.run" {
		c.Decision = &report.Decision{Allowed: true, Rule: "sub-playbooks are allowed"}
		return nil
	}
	if c.Index == 1 {
		c.Decision = &report.Decision{Allowed: false, Rule: "not item 1"}
		return ops.WithClass(ops.ClassAuthorization, errors.New("denied: item 1 is off limits"))
	}
	return denyWrites{}.Authorize(ctx, c)
}

// TestRunTimeDenialDecidesTheRunsError checks that a step denied at run
// time makes the run's error class authorization, whichever failed step
// comes first in the playbook: a step of its own, a fan-out item (which
// makes its step denied, past continue_on_error, even beside a failed
// item) and a step of a sub-playbook alike. The run's error names the
// denied step.
func TestRunTimeDenialDecidesTheRunsError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "child.yaml", `version: 1
name: child
steps:
  - {id: x, op: control.fail, with: {message: broken}}
  - {id: y, op: test.write, needs: []}
`)
	for _, tc := range []struct {
		name, steps string
		want        string // the start of the run's error message
		status      map[string]report.Status
	}{
		{"step", `
  - {id: a, op: control.fail, with: {message: broken}}
  - {id: b, op: test.write, needs: []}
`, "step b denied: writes are not allowed", map[string]report.Status{"a": "failed", "b": "denied"}},
		{"item", `
  - {id: a, op: control.fail, with: {message: broken}}
  - {id: fan, op: test.busy, needs: [], foreach: '[true, false]', with: {fail: "${{ item }}"}, fail_fast: false, continue_on_error: true}
  - {id: after, op: control.noop}
`, "step fan denied: 2 of 2 items failed or were denied (1 denied): item 1: denied: item 1 is off limits; also failed: item 0", map[string]report.Status{"a": "failed", "fan": "denied", "after": "skipped"}},
		{"sub-run", `
  - {id: a, op: control.fail, with: {message: broken}}
  - {id: sub, op: playbook.run, needs: [], with: {path: child.yaml}}
`, "step sub denied: sub-playbook child failed: step y denied: writes are not allowed", map[string]report.Status{"a": "failed", "sub": "denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newEngine(t, WithAuthorizer(runTimeDenials{}))
			if err := RegisterPlaybookOp(e); err != nil {
				t.Fatal(err)
			}
			p, err := e.Load(writeFile(t, dir, tc.name+".yaml", header+"steps:"+tc.steps))
			if err != nil {
				t.Fatal(err)
			}
			rep := mustRun(t, p, nil)
			if diff := cmp.Diff(tc.status, statuses(rep)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" || !strings.HasPrefix(rep.Error.Message, tc.want) {
				t.Errorf("run %s %+v; want failed, class authorization, %q", rep.Status, rep.Error, tc.want)
			}
		})
	}
}
