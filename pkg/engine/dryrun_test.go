package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestDryRunSkipsReadersOfSkippedSteps checks that in a dry run a step that
// reads the state of a write step the dry run did not execute is skipped
// with a reason instead of failing on the missing output, that steps that
// do not read it still run, that handlers execute only read operations,
// and that the run succeeds when nothing that ran failed.
func TestDryRunSkipsReadersOfSkippedSteps(t *testing.T) {
	e, to := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: make, op: test.write}
  - {id: use, op: control.set, with: {v: "${{ steps.make.output.env.X }}", list: [1, 2]}}
  - {id: use_again, op: control.set, with: {v: "${{ steps.use.output.v }}"}}
  - {id: fan, op: control.set, foreach: "steps.use.output.list", with: {v: "${{ item }}"}}
  - {id: unrelated, op: control.log, with: {message: "reads no skipped step"}}
  - {id: writes_items, op: test.write, foreach: 0..2, needs: []}
  - {id: reads_items, op: control.set, with: {n: "${{ len(steps.writes_items.output) }}"}}
on_failure:
  - {id: alert, op: control.log, with: {message: "failed"}}
finally:
  - {id: cleanup, op: test.write}
  - {id: note, op: control.log, with: {message: "done"}}
`), nil, DryRun())
	if n := to.writes.Load(); n != 0 {
		t.Fatalf("a dry run executed %d write calls", n)
	}
	type row struct {
		Status report.Status
		Reason string
	}
	got := map[string]row{}
	for _, s := range rep.Steps {
		got[s.ID] = row{s.Status, s.Reason}
	}
	want := map[string]row{
		"make":         {"skipped", "dry run: test.write is a write operation and was not executed"},
		"use":          {"skipped", "dry run: reads steps.make, which the dry run did not execute"},
		"use_again":    {"skipped", "dry run: reads steps.use, which the dry run did not execute"},
		"fan":          {"skipped", "dry run: reads steps.use, which the dry run did not execute"},
		"unrelated":    {"succeeded", ""},
		"writes_items": {"skipped", "dry run: test.write is a write operation and was not executed"},
		"reads_items":  {"skipped", "dry run: reads steps.writes_items, which the dry run did not execute"},
		"alert":        {"skipped", "the run did not fail"},
		"cleanup":      {"skipped", "dry run: test.write is a write operation and was not executed"},
		"note":         {"succeeded", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusSucceeded || rep.Error != nil {
		t.Errorf("run %s %+v, want succeeded", rep.Status, rep.Error)
	}
}

// TestDryRunMarksDecisions checks that a dry run authorizes every step it
// reaches, marks the others with their preflight decision, and fails with
// class authorization when any step would be denied, while steps that do
// not depend on the denied one still run.
func TestDryRunMarksDecisions(t *testing.T) {
	e, to := newEngine(t, WithAuthorizer(denyWrites{}))
	p := plan(t, e, header+`
steps:
  - {id: look, op: control.noop}
  - {id: w, op: test.write}
  - {id: after, op: control.noop}
  - {id: maybe, op: test.write, when: "false", needs: []}
  - {id: other, op: control.noop, needs: []}
`)
	pre := map[string]report.Decision{
		"look": {Allowed: true, Rule: "reads are allowed"}, "w": {Allowed: false, Rule: "no writes"},
		"after": {Allowed: true, Rule: "reads are allowed"}, "maybe": {Allowed: false, Rule: "no writes"},
		"other": {Allowed: true, Rule: "reads are allowed"},
	}
	rep := mustRun(t, p, nil, DryRun(), WithPreflight(pre))
	if to.writes.Load() != 0 {
		t.Fatal("a dry run executed a write")
	}
	type row struct {
		Status  report.Status
		Allowed bool
		Rule    string
	}
	got := map[string]row{}
	for _, s := range rep.Steps {
		if s.Authorization == nil {
			t.Errorf("step %s has no authorization entry", s.ID)
			continue
		}
		got[s.ID] = row{s.Status, s.Authorization.Allowed, s.Authorization.Rule}
	}
	want := map[string]row{
		"look":  {"succeeded", true, "reads are allowed"},
		"w":     {"denied", false, "no writes"},
		"after": {"skipped", true, "reads are allowed"},
		"maybe": {"skipped", false, "no writes"},
		"other": {"succeeded", true, "reads are allowed"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
		t.Errorf("run %s %+v", rep.Status, rep.Error)
	}

	// A step that only preflight denies (it never ran) still fails the
	// dry run as a permission check, with class authorization.
	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: look, op: control.noop}
  - {id: maybe, op: test.write, when: "false"}
`), nil, DryRun(), WithPreflight(pre))
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" || !strings.Contains(rep.Error.Message, "would deny 1 step: maybe") {
		t.Errorf("preflight-only denial: run %s %+v", rep.Status, rep.Error)
	}

	// A fan-out over nothing calls no operation, so only the preflight
	// decides it: denied, as the real run would stop on, not a fan-out
	// of nothing that succeeded.
	rep = mustRun(t, plan(t, e, header+`
steps:
  - {id: none, op: test.write, foreach: "${{ [] }}"}
  - {id: some, op: control.noop, foreach: "${{ [] }}"}
`), nil, DryRun(), WithPreflight(map[string]report.Decision{"none": {Allowed: false, Rule: "no writes"}, "some": {Allowed: true, Rule: "reads are allowed"}}))
	if st := stepOf(t, rep, "none"); st.Status != report.StatusDenied || st.Reason != "denied: no writes" || st.Authorization == nil || st.Authorization.Allowed {
		t.Errorf("a denied fan-out over nothing: %s %q %+v", st.Status, st.Reason, st.Authorization)
	}
	if st := stepOf(t, rep, "some"); st.Status != report.StatusSkipped && st.Status != report.StatusSucceeded {
		t.Errorf("an allowed fan-out over nothing: %s", st.Status)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
		t.Errorf("a denied fan-out over nothing: run %s %+v", rep.Status, rep.Error)
	}
}

// TestSkippedStepsReportPreflightDecision checks that a step skipped at run
// time (a false when, a failed need) reports the decision preflight made.
func TestSkippedStepsReportPreflightDecision(t *testing.T) {
	e, _ := newEngine(t)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: a, op: control.fail}
  - {id: b, op: control.noop}
  - {id: c, op: control.noop, when: "false", needs: []}
`), nil, WithPreflight(map[string]report.Decision{
		"a": {Allowed: true, Rule: "r1"}, "b": {Allowed: true, Rule: "r2"}, "c": {Allowed: true, Rule: "r3", Via: "direct"},
	}))
	for id, rule := range map[string]string{"b": "r2", "c": "r3"} {
		if d := stepOf(t, rep, id).Authorization; d == nil || d.Rule != rule || !d.Allowed {
			t.Errorf("step %s: authorization %+v", id, d)
		}
	}
}

// TestDryRunDescendsIntoSubPlaybooks checks that a dry run runs
// playbook.run as a dry run too, so the steps of a sub-playbook are
// decided and a denied one shows, nested, with its rule.
func TestDryRunDescendsIntoSubPlaybooks(t *testing.T) {
	e, to := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "child.yaml", "version: 1\nname: child\nsteps:\n  - {id: look, op: control.noop}\n  - {id: k, op: test.write}\n")
	p, err := e.Load(writeFile(t, dir, "parent.yaml", "version: 1\nname: parent\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil, DryRun(), WithRunAuthorizer(subAllowed{denyWrites{}}))
	if to.writes.Load() != 0 {
		t.Fatal("a dry run executed a write in a sub-playbook")
	}
	sub := stepOf(t, rep, "sub").Sub
	if sub == nil || len(sub.Steps) != 2 {
		t.Fatalf("no nested sub-run: %+v", sub)
	}
	if k := sub.Steps[1]; k.Status != report.StatusDenied || k.Authorization == nil || k.Authorization.Rule != "no writes" || k.Reason != "denied: no writes" {
		t.Errorf("nested step k: %s %q %+v", k.Status, k.Reason, k.Authorization)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" {
		t.Errorf("run %s %+v", rep.Status, rep.Error)
	}
}

// subAllowed lets playbook.run through and asks a for the rest.
type subAllowed struct{ a Authorizer }

func (s subAllowed) Authorize(ctx context.Context, c *Call) error {
	if c.Step.Op == "playbook.run" {
		c.Decision = &report.Decision{Allowed: true, Rule: "sub-playbooks are allowed"}
		return nil
	}
	return s.a.Authorize(ctx, c)
}

func writeFile(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDryRunSkipsReadersOfIncompleteSubRuns checks that in a dry run a
// step that reads the outputs of a playbook.run step, which come from a
// step the dry sub-run did not execute, is skipped, as a reader of that
// step would be, rather than failing on what the sub-run could not
// compute; a fan-out of playbook.run too. Outputs the sub-run computed in
// full are read as usual.
func TestDryRunSkipsReadersOfIncompleteSubRuns(t *testing.T) {
	e, to := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "child.yaml", `version: 1
name: child
steps:
  - {id: gen, op: test.write, with: {env: {V: generated-value}}}
outputs:
  val: "${{ steps.gen.output.env.V }}"
`)
	writeFile(t, dir, "reader.yaml", `version: 1
name: reader
steps:
  - {id: look, op: control.set, with: {v: seen}}
  - {id: gen, op: test.write}
outputs:
  val: "${{ steps.look.output.v }}"
`)
	p, err := e.Load(writeFile(t, dir, "parent.yaml", `version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
  - {id: check, op: control.assert, with: {that: "${{ steps.sub.output.outputs.val == 'generated-value' }}"}}
  - {id: envuse, op: test.write, needs: [sub], env: {V: "${{ steps.sub.output.outputs.val }}"}}
  - {id: fan, op: playbook.run, foreach: "${{ [1, 2] }}", needs: [], with: {path: child.yaml}}
  - {id: fancheck, op: control.assert, with: {that: "${{ steps.fan.output[0].outputs.val == 'generated-value' }}"}}
  - {id: plain, op: playbook.run, needs: [], with: {path: reader.yaml}}
  - {id: plaincheck, op: control.assert, with: {that: "${{ steps.plain.output.outputs.val == 'seen' }}"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep := mustRun(t, p, nil, DryRun())
	if to.writes.Load() != 0 {
		t.Fatal("a dry run executed a write")
	}
	if rep.Status != report.StatusSucceeded {
		t.Errorf("run %s %+v, want succeeded:\n%s", rep.Status, rep.Error, dump(rep))
	}
	for id, want := range map[string][2]string{
		"sub":        {"succeeded", ""},
		"check":      {"skipped", "dry run: reads steps.sub, which the dry run did not execute in full"},
		"envuse":     {"skipped", "dry run: reads steps.sub, which the dry run did not execute in full"},
		"fan":        {"succeeded", ""},
		"fancheck":   {"skipped", "dry run: reads steps.fan, which the dry run did not execute in full"},
		"plain":      {"succeeded", ""},
		"plaincheck": {"succeeded", ""},
	} {
		if s := stepOf(t, rep, id); string(s.Status) != want[0] || s.Reason != want[1] {
			t.Errorf("step %s: %s %q, want %s %q", id, s.Status, s.Reason, want[0], want[1])
		}
	}
}

// TestDryRunKeepsPreflightDenialsOfParams: a step that the caller's role
// allows, but that preflight denied for a literal param (a path outside
// the file roots, which the operation alone checks as it runs), is
// denied in a dry run as preflight decided, and the dry run fails: the
// real run would have stopped before anything ran.
func TestDryRunKeepsPreflightDenialsOfParams(t *testing.T) {
	e, to := newEngine(t)
	pre := map[string]report.Decision{
		"look": {Allowed: true, Rule: "reads are allowed"},
		"w":    {Allowed: false, Rule: `path "/etc/app.conf" is outside the allowed file roots (/srv)`},
	}
	rep := mustRun(t, plan(t, e, header+`
steps:
  - {id: look, op: control.noop}
  - {id: w, op: test.write}
`), nil, DryRun(), WithPreflight(pre))
	if to.writes.Load() != 0 {
		t.Fatal("a dry run executed a write")
	}
	w := stepOf(t, rep, "w")
	if w.Status != report.StatusDenied || w.Authorization == nil || w.Authorization.Allowed || !strings.Contains(w.Authorization.Rule, "outside the allowed file roots") {
		t.Errorf("step w: %s %+v; want denied with preflight's rule", w.Status, w.Authorization)
	}
	if rep.Status != report.StatusFailed || rep.Error == nil || rep.Error.Class != "authorization" || !strings.Contains(rep.Error.Message, "step w denied: path") {
		t.Errorf("run %s %+v; want failed, saying w is denied", rep.Status, rep.Error)
	}
}
