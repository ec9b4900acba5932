package runs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestProgressNamesSubPlaybookStepsStillRunning: a process that exits at
// once while a playbook.run step runs names the step of the sub-playbook
// running (a finally step of it, a step of a sub-playbook it runs in
// turn, a fan-out item's), the one that may leave a program behind, not
// only the step that called it; an item of a fan-out whose sub-playbook
// runs no step yet is named by the caller.
func TestProgressNamesSubPlaybookStepsStillRunning(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sub.yaml"), []byte("version: 1\nname: sub\nsteps:\n  - {id: iwork, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pb, err := steps.Parse(filepath.Join(dir, "main.yaml"), []byte(`version: 1
name: main
steps:
  - {id: call, op: playbook.run, with: {path: sub.yaml}}
  - {id: fan, op: playbook.run, foreach: '["a", "b", "c"]', with: {path: sub.yaml}}
`), newRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProgress(pb, "r1", nil, nil, false)
	now := time.Now()
	ev := func(run, parent, parentStep string, e engine.Event) {
		e.RunID, e.ParentRunID, e.ParentStep, e.Time = run, parent, parentStep, now
		p.Event(e)
	}
	ev("r1", "", "", engine.Event{Kind: engine.EventStepStarted, Step: "call", Op: "playbook.run"})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventRunStarted})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepStarted, Step: "iwork", Op: "shell.exec"})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepFinished, Step: "iwork", Status: "cancelled"})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepStarted, Step: "itidy", Op: "shell.exec"})
	if diff := cmp.Diff([]string{"call/itidy (shell.exec)"}, p.stillRunning()); diff != "" {
		t.Errorf("in a sub-playbook's finally (-want +got):\n%s", diff)
	}

	// A step of the sub-playbook runs a sub-playbook of its own.
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepFinished, Step: "itidy", Status: "succeeded"})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepStarted, Step: "deeper", Op: "playbook.run"})
	ev("s2", "s1", "deeper", engine.Event{Kind: engine.EventRunStarted})
	if diff := cmp.Diff([]string{"call/deeper (playbook.run)"}, p.stillRunning()); diff != "" {
		t.Errorf("a sub-playbook not started yet (-want +got):\n%s", diff)
	}
	ev("s2", "s1", "deeper", engine.Event{Kind: engine.EventStepStarted, Step: "wait", Op: "control.sleep"})
	if diff := cmp.Diff([]string{"call/deeper/wait (control.sleep)"}, p.stillRunning()); diff != "" {
		t.Errorf("two levels down (-want +got):\n%s", diff)
	}
	ev("s2", "s1", "deeper", engine.Event{Kind: engine.EventStepFinished, Step: "wait", Status: "succeeded"})
	ev("s2", "s1", "deeper", engine.Event{Kind: engine.EventRunFinished})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventStepFinished, Step: "deeper", Status: "succeeded"})
	ev("s1", "r1", "call", engine.Event{Kind: engine.EventRunFinished})
	ev("r1", "", "", engine.Event{Kind: engine.EventStepFinished, Step: "call", Status: "succeeded"})
	if got := p.stillRunning(); len(got) != 0 {
		t.Errorf("after the sub-playbook ended: %q, want nothing", got)
	}

	// A fan-out of playbook.run: items 0 and 2 run a step, item 1 none yet.
	ev("r1", "", "", engine.Event{Kind: engine.EventStepStarted, Step: "fan", Op: "playbook.run", Items: 3})
	for i, run := range []string{"f0", "f1", "f2"} {
		ev("r1", "", "", engine.Event{Kind: engine.EventItemStarted, Step: "fan", Index: &i, Item: []string{"a", "b", "c"}[i]})
		ev(run, "r1", "fan["+string(rune('0'+i))+"]", engine.Event{Kind: engine.EventRunStarted})
	}
	ev("f2", "r1", "fan[2]", engine.Event{Kind: engine.EventStepStarted, Step: "iwork", Op: "shell.exec"})
	ev("f0", "r1", "fan[0]", engine.Event{Kind: engine.EventStepStarted, Step: "iwork", Op: "shell.exec"})
	want := []string{"fan (playbook.run): items b", "fan[2]/iwork (shell.exec)", "fan[0]/iwork (shell.exec)"}
	if diff := cmp.Diff(want, p.stillRunning()); diff != "" {
		t.Errorf("a fan-out of sub-playbooks (-want +got):\n%s", diff)
	}

	// Items with labels: their sub-runs' parent_step names them so
	// (fan[web-1]), and an item whose sub-playbook runs a step is not
	// named again by the caller.
	q := newProgress(pb, "r2", nil, nil, false)
	qev := func(run, parent, parentStep string, e engine.Event) {
		e.RunID, e.ParentRunID, e.ParentStep, e.Time = run, parent, parentStep, now
		q.Event(e)
	}
	qev("r2", "", "", engine.Event{Kind: engine.EventStepStarted, Step: "fan", Op: "playbook.run", Items: 3})
	for i, label := range []string{"web-1", "web-2", "db]/1"} {
		qev("r2", "", "", engine.Event{Kind: engine.EventItemStarted, Step: "fan", Index: &i, Label: label, Item: map[string]any{"name": label}})
		qev("g"+label, "r2", "fan["+label+"]", engine.Event{Kind: engine.EventRunStarted})
	}
	qev("gweb-2", "r2", "fan[web-2]", engine.Event{Kind: engine.EventStepStarted, Step: "iwork", Op: "shell.exec"})
	want = []string{"fan (playbook.run): items web-1, db]/1", "fan[web-2]/iwork (shell.exec)"}
	if diff := cmp.Diff(want, q.stillRunning()); diff != "" {
		t.Errorf("a fan-out of labelled items (-want +got):\n%s", diff)
	}
}
