package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
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
	out, err := report.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
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
	dry := roundTrip(t, second)
	dry.DryRun = true
	if err := p.CheckResume(dry, false); err == nil || !strings.Contains(err.Error(), "was a dry run") || !strings.Contains(err.Error(), "without --resume") {
		t.Errorf("resuming a succeeded dry run: %v", err)
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
	if err := changed.CheckResume(first, true); err == nil || !strings.Contains(err.Error(), "even with --force: step two succeeded then but is defined differently now (or is gone); put back its definition, or run the playbook from the start") {
		t.Errorf("changed succeeded step with force: %v", err)
	}
	both := plan(t, e, strings.Replace(strings.Replace(fiveSteps, "label: second", "label: other", 1), "label: first", "label: other", 1))
	if err := both.CheckResume(first, true); err == nil || !strings.Contains(err.Error(), "even with --force: steps one, two succeeded then but are defined differently now (or are gone); put back their definitions, or run") {
		t.Errorf("changed succeeded steps with force: %v", err)
	}
}

// withInputs declares inputs that steps one, fan and two read; secret is
// called with the secret input but does not output it (an output the
// report masks is never reused); three fails on the first run so that
// there is something to resume.
const withInputs = header + `
inputs:
  target: {type: string, default: a}
  hosts: {type: list, default: [h1, h2]}
  token: {type: string, secret: true, default: s1}
steps:
  - {id: one, op: test.record, with: {label: fixed}}
  - {id: two, op: test.record, with: {label: "${{ inputs.target }}"}}
  - {id: fan, op: test.record, foreach: inputs.hosts, with: {label: "${{ item }}"}}
  - {id: secret, op: test.flaky, with: {key: "${{ inputs.token }}"}}
  - {id: three, op: test.flaky, needs: [one, two, fan, secret], with: {key: three, fails: 1}}
`

// TestResumeRerunsStepsWhoseParamsChanged: a step is reused only when its
// resolved parameters are those it ran with; one whose input changed runs
// again, and says why.
func TestResumeRerunsStepsWhoseParamsChanged(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, withInputs)
	first := roundTrip(t, mustRun(t, p, nil))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	for _, id := range []string{"one", "two", "fan", "secret"} {
		if d := stepOf(t, first, id).ParamsSHA256; len(d) != 64 {
			t.Errorf("step %s records params_sha256 %q", id, d)
		}
	}
	if strings.Contains(dump(first), "s1") {
		t.Error("the report reveals the secret")
	}

	cases := []struct {
		name   string
		inputs map[string]any
		reran  []string
	}{
		{"same inputs", nil, []string{"three"}},
		{"a plain input", map[string]any{"target": "b"}, []string{"two", "three"}},
		{"a fan-out's list", map[string]any{"hosts": []any{"h1", "h3"}}, []string{"fan[0]", "fan[1]", "three"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			to.order = nil
			to.tries["three"] = 1 // three succeeds from now on
			rep := mustRun(t, p, c.inputs, Resume(first))
			if rep.Status != "succeeded" {
				t.Fatalf("resumed run %s\n%s", rep.Status, dump(rep))
			}
			got := to.order
			if c.reran[len(c.reran)-1] == "three" {
				got = append(got, "three") // test.flaky does not record its calls
			}
			if diff := cmp.Diff(c.reran, got); diff != "" {
				t.Errorf("steps that ran again (-want +got):\n%s", diff)
			}
			for _, id := range []string{"one", "two", "fan", "secret"} {
				s := stepOf(t, rep, id)
				ran := slices.ContainsFunc(c.reran, func(x string) bool { return x == id || strings.HasPrefix(x, id+"[") })
				switch {
				case ran && (s.Reused || !strings.Contains(s.Reason, "differ from those of run "+first.RunID)):
					t.Errorf("step %s ran again with reason %q (reused %v)", id, s.Reason, s.Reused)
				case !ran && !s.Reused:
					t.Errorf("step %s was not reused: %q", id, s.Reason)
				}
			}
		})
	}

	// A report without parameter digests (an older arsenal-run) cannot
	// vouch for them: every step runs again.
	old := roundTrip(t, first)
	for i := range old.Steps {
		old.Steps[i].ParamsSHA256 = ""
	}
	to.order = nil
	rep := mustRun(t, p, nil, Resume(old))
	if s := stepOf(t, rep, "one"); s.Reused || !strings.Contains(s.Reason, "did not record the parameters") {
		t.Errorf("step one from a report without digests: reused %v, %q", s.Reused, s.Reason)
	}
}

// TestResumeRerunsStepsOfACopyElsewhere: the same playbook read from
// another directory reads other files through its relative paths, so
// its outputs stand for nothing in a resume of the original. Before, a
// byte-for-byte copy's report resumed the original, and a step granted
// more rights acted on what the copy had read.
func TestResumeRerunsStepsOfACopyElsewhere(t *testing.T) {
	e, to := newEngine(t)
	copied := roundTrip(t, mustRun(t, plan(t, e, withInputs), nil))
	original := plan(t, e, withInputs)
	if err := original.CheckResume(copied, false); err != nil {
		t.Fatalf("the same bytes, resumed: %v", err)
	}
	to.order = nil
	to.tries["three"] = 1
	rep := mustRun(t, original, nil, Resume(copied))
	for _, id := range []string{"one", "two", "fan", "secret"} {
		if s := stepOf(t, rep, id); s.Reused || !strings.Contains(s.Reason, "the directory the playbook was read from") {
			t.Errorf("step %s: reused %v, %q", id, s.Reused, s.Reason)
		}
	}
	if want := []string{"one", "two", "fan[0]", "fan[1]"}; !slices.Equal(to.order, want) {
		t.Errorf("steps that ran again %v, want %v", to.order, want)
	}
}

// withConditions has steps whose when: reads an input (drain) and an
// upstream status (after); reader reads drain's status in its
// parameters. three fails on the first run so that there is something to
// resume.
const withConditions = header + `
inputs:
  mode: {type: string, default: normal}
  flip: {type: bool, default: false}
steps:
  - {id: drain, op: test.record, when: '${{ inputs.mode == "drain" }}'}
  - {id: maybe, op: test.record, when: '${{ inputs.flip }}'}
  - {id: after, op: test.record, needs: [maybe], when: '${{ steps.maybe.status == "succeeded" }}'}
  - {id: reader, op: test.record, needs: [drain], with: {label: "${{ steps.drain.status }}"}}
  - {id: three, op: test.flaky, needs: [drain, after, reader], with: {key: three, fails: 1}}
`

// TestResumeSkipsStepsWhoseConditionTurnedFalse: the parameter digest
// does not cover a step's when:, so a step that ran in the resumed run
// but whose condition is false in this one is skipped as in a fresh run,
// not reused; what reads it sees it skipped. Its condition true again,
// it is reused.
func TestResumeSkipsStepsWhoseConditionTurnedFalse(t *testing.T) {
	e, to := newEngine(t)
	p := plan(t, e, withConditions)
	first := roundTrip(t, mustRun(t, p, map[string]any{"mode": "drain", "flip": true}))
	if first.Status != "failed" || statuses(first)["drain"] != "succeeded" || statuses(first)["after"] != "succeeded" {
		t.Fatalf("first run %s %v", first.Status, statuses(first))
	}
	to.tries["three"] = 1 // three succeeds from now on

	to.order = nil
	rep := mustRun(t, p, map[string]any{"mode": "normal", "flip": false}, Resume(first))
	if rep.Status != "succeeded" {
		t.Fatalf("resumed run %s\n%s", rep.Status, dump(rep))
	}
	if diff := cmp.Diff([]string{"reader"}, to.order); diff != "" {
		t.Errorf("steps executed (-want +got):\n%s", diff)
	}
	for id, why := range map[string]string{"drain": `when is false: inputs.mode == "drain"`, "maybe": "when is false: inputs.flip", "after": `when is false: steps.maybe.status == "succeeded"`} {
		if s := stepOf(t, rep, id); s.Status != report.StatusSkipped || s.Reused || s.Reason != why {
			t.Errorf("step %s: %s, reused %v, %q", id, s.Status, s.Reused, s.Reason)
		}
	}
	if s := stepOf(t, rep, "reader"); s.Reused || s.Output.(map[string]any)["label"] != "skipped" {
		t.Errorf("reader: reused %v, output %v", s.Reused, s.Output)
	}

	to.order = nil
	rep = mustRun(t, p, map[string]any{"mode": "drain", "flip": true}, Resume(first))
	if rep.Status != "succeeded" || len(to.order) != 0 {
		t.Fatalf("resumed run with the same inputs: %s, executed %v\n%s", rep.Status, to.order, dump(rep))
	}
	for _, id := range []string{"drain", "maybe", "after", "reader"} {
		if s := stepOf(t, rep, id); !s.Reused {
			t.Errorf("step %s with its condition true again: %s, %q", id, s.Status, s.Reason)
		}
	}
}

// TestResumeOfAnOlderReleasesRunSaysWhy: a release before the playbook's
// directory was in a step's digest recorded the digest of its parameters
// alone. Its steps run again, as their directory cannot be compared,
// and the reason says so: it said that the parameters or the directory
// differed, which sent a user looking for a change there was not.
func TestResumeOfAnOlderReleasesRunSaysWhy(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, withInputs)
	old := roundTrip(t, mustRun(t, p, nil))
	older := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	for i := range old.Steps {
		switch s := &old.Steps[i]; s.ID {
		case "one":
			s.ParamsSHA256 = older(map[string]any{"label": "fixed"})
		case "fan":
			s.ParamsSHA256 = older(map[string]any{"foreach": []any{map[string]any{"label": "h1"}, map[string]any{"label": "h2"}}})
		case "two":
			s.ParamsSHA256 = older(map[string]any{"label": "another"})
		}
	}
	rep := mustRun(t, p, nil, Resume(old))
	for _, id := range []string{"one", "fan"} {
		if s := stepOf(t, rep, id); s.Reused || !strings.Contains(s.Reason, "run "+old.RunID+" was recorded by an older release") {
			t.Errorf("step %s: reused %v, %q", id, s.Reused, s.Reason)
		}
	}
	if s := stepOf(t, rep, "two"); s.Reused || !strings.Contains(s.Reason, "its parameters, or the directory the playbook was read from, differ") {
		t.Errorf("step two, whose parameters changed: reused %v, %q", s.Reused, s.Reason)
	}
}

// TestResumeLooksUpProcessesAgain: a step whose output names running
// processes is not reused; its pids may belong to other processes by the
// time the run resumes. The step acting on a pid then acts on the one
// found now. Before, a run cancelled after process.list and resumed hours
// later signalled the pid it had found, whoever held it by then.
func TestResumeLooksUpProcessesAgain(t *testing.T) {
	pids := 0
	procs := func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.procs", Risk: ops.RiskRead, Perishable: "running processes"},
			ops.Func(func(context.Context, ops.Params) (map[string]any, error) {
				pids++
				return map[string]any{"pid": 100 * pids}, nil
			}))
	}
	to := newTestOps()
	e := New(registry(t, to.register, procs))
	p := plan(t, e, header+`
steps:
  - {id: find, op: test.procs}
  - {id: kill, op: test.record, with: {label: "${{ string(steps.find.output.pid) }}"}}
  - {id: three, op: test.flaky, with: {key: three, fails: 1}}
`)
	first := roundTrip(t, mustRun(t, p, nil))
	if first.Status != "failed" {
		t.Fatalf("first run %s\n%s", first.Status, dump(first))
	}
	to.order = nil
	rep := mustRun(t, p, nil, Resume(first))
	if rep.Status != "succeeded" {
		t.Fatalf("resumed run %s\n%s", rep.Status, dump(rep))
	}
	find, kill := stepOf(t, rep, "find"), stepOf(t, rep, "kill")
	if find.Reused || !strings.Contains(find.Reason, "its output names running processes") {
		t.Errorf("find: reused %v, reason %q", find.Reused, find.Reason)
	}
	if out, _ := kill.Output.(map[string]any); kill.Reused || out["label"] != "200" {
		t.Errorf("kill: reused %v, output %v; want it run on the pid found now, 200", kill.Reused, kill.Output)
	}
	if diff := cmp.Diff([]string{"kill"}, to.order); diff != "" {
		t.Errorf("executed (-want +got):\n%s", diff)
	}
}

// lapsingOp starts "a process" (a counter) and says it has ended when
// ended is set, as process.start does of the process it started.
type lapsingOp struct {
	starts int
	ended  bool
}

func (o *lapsingOp) Execute(context.Context, ops.Params) (map[string]any, error) {
	o.starts++
	return map[string]any{"pid": 100 * o.starts}, nil
}

func (o *lapsingOp) Lapsed(_ context.Context, out map[string]any) string {
	if o.ended {
		return "the process it started, pid " + jsonText(out["pid"]) + ", has ended"
	}
	return ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestResumeStartsAnEndedProcessAgain: a process.start that succeeded is
// reused on a resume while its process runs; once the process has ended,
// the step runs again (starting it anew) and the steps given its pid get
// the new one. Before, the resumed run kept the pid of a process that had
// exited, which another process may have taken since.
func TestResumeStartsAnEndedProcessAgain(t *testing.T) {
	start := &lapsingOp{}
	to := newTestOps()
	e := New(registry(t, to.register, func(r *ops.Registry) {
		r.MustRegister(ops.Spec{Name: "test.start", Risk: ops.RiskWrite}, start)
	}))
	p := plan(t, e, header+`
steps:
  - {id: start, op: test.start}
  - {id: use, op: test.record, with: {label: "${{ string(steps.start.output.pid) }}"}}
  - {id: three, op: test.flaky, with: {key: three, fails: 2}}
`)
	first := roundTrip(t, mustRun(t, p, nil))
	if first.Status != "failed" {
		t.Fatalf("first run %s\n%s", first.Status, dump(first))
	}

	// The process still runs: the step is reused, nothing starts.
	second := roundTrip(t, mustRun(t, p, nil, Resume(first)))
	if s := stepOf(t, second, "start"); !s.Reused || start.starts != 1 {
		t.Errorf("process running: start reused %v (%q), %d starts; want it reused", s.Reused, s.Reason, start.starts)
	}

	start.ended = true
	to.order = nil
	rep := mustRun(t, p, nil, Resume(first))
	if rep.Status != "succeeded" {
		t.Fatalf("resumed run %s\n%s", rep.Status, dump(rep))
	}
	s, use := stepOf(t, rep, "start"), stepOf(t, rep, "use")
	want := "ran again: the process it started, pid 100, has ended since run " + first.RunID
	if s.Reused || s.Reason != want || start.starts != 2 {
		t.Errorf("process ended: start reused %v, reason %q, %d starts; want it run again, %q", s.Reused, s.Reason, start.starts, want)
	}
	if out, _ := use.Output.(map[string]any); use.Reused || out["label"] != "200" {
		t.Errorf("use: reused %v, output %v; want it run with the new pid, 200", use.Reused, use.Output)
	}
}
