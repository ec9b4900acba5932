package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestSubRunCutByStepTimeout checks that the steps of a sub-run the
// timeout of its playbook.run step cuts short say that step's timeout cut
// them, naming it as the report does, rather than that a step timeout of
// their own ran out; a sub-run nested deeper names the same step.
func TestSubRunCutByStepTimeout(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": `version: 1
name: child
steps:
  - {id: wait, op: control.sleep, with: {duration: 1h}}
  - {id: long, op: control.sleep, with: {duration: 1h}, timeout: 2h, needs: []}
finally:
  - {id: cleanup, op: control.noop}
`,
		"mid.yaml": `version: 1
name: mid
steps:
  - {id: down, op: playbook.run, with: {path: child.yaml}}
`,
		"parent.yaml": `version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}, timeout: 100ms}
  - {id: deep, op: playbook.run, foreach: "${{ [1] }}", with: {path: mid.yaml}, timeout: 100ms, needs: []}
`,
	})
	rep := mustRun(t, p, nil)
	check := func(where string, sub *report.SubRun, want string) {
		t.Helper()
		if sub == nil {
			// A machine slow enough that the 100ms ran out before the
			// sub-run started: its step's timeout error, checked by the
			// caller, is all there is to check.
			t.Logf("%s: the 100ms ran out before the sub-run started", where)
			return
		}
		if len(sub.Steps) != 3 {
			t.Fatalf("%s: the sub-run's steps are missing from the report:\n%s", where, dump(rep))
		}
		for _, s := range sub.Steps {
			if s.Error == nil || s.Error.Class != "timeout" || s.Error.Message != want {
				t.Errorf("%s/%s: %s %+v, want class timeout and %q", where, s.ID, s.Status, s.Error, want)
			}
		}
	}
	sub := stepOf(t, rep, "sub")
	if sub.Error == nil || sub.Error.Class != "timeout" || !strings.HasPrefix(sub.Error.Message, "step timeout of 100ms exceeded: ") {
		t.Errorf("the step whose timeout ran out: %+v", sub.Error)
	}
	check("sub", sub.Sub, "cut by step sub timeout of 100ms")
	deep := stepOf(t, rep, "deep")
	if len(deep.Subs) != 1 || deep.Subs[0] == nil {
		// As above, for the sub-run of deep's item.
		if it := deep.Items; len(it) != 1 || it[0].Error == nil || it[0].Error.Class != "timeout" {
			t.Errorf("deep: no sub-run, items %+v", it)
		}
		return
	}
	if len(deep.Subs[0].Steps) != 1 {
		t.Fatalf("deep: %+v", deep.Subs)
	}
	// The sub-run's own error tells the cut, once.
	down := deep.Subs[0].Steps[0]
	if down.Sub == nil {
		if down.Error == nil || down.Error.Class != "timeout" {
			t.Errorf("deep[0]/down, whose sub-run did not start: %+v", down.Error)
		}
		t.Logf("deep[0]/down: the 100ms ran out before its sub-run started")
		return
	}
	if down.Error == nil || down.Error.Message != "sub-playbook child failed: cut by step deep[0] timeout of 100ms" {
		t.Errorf("deep[0]/down: %+v", down.Error)
	}
	check("deep[0]/down", deep.Subs[0].Steps[0].Sub, "cut by step deep[0] timeout of 100ms")
}

// TestSubRunCutByPlaybookTimeout: the steps of a sub-run cut by its
// caller's playbook timeout name that playbook, so that they do not read
// as cut by a timeout of their own playbook, which has none.
func TestSubRunCutByPlaybookTimeout(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": `version: 1
name: child
steps:
  - {id: wait, op: control.sleep, with: {duration: 1h}}
`,
		"parent.yaml": `version: 1
name: parent
timeout: 100ms
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
`,
	})
	rep := mustRun(t, p, nil)
	if rep.Error == nil || rep.Error.Class != "timeout" || !strings.HasPrefix(rep.Error.Message, "playbook timeout of 100ms exceeded") {
		t.Errorf("the run: %+v", rep.Error)
	}
	sub := stepOf(t, rep, "sub")
	if sub.Sub == nil {
		// A machine slow enough that the 100ms ran out before sub, or its
		// sub-run, started: sub ends with class timeout, cancelled if it
		// never started (as docs/playbooks.md says), and that is all.
		if sub.Error == nil || sub.Error.Class != "timeout" || (sub.StartedAt == nil && sub.Status != report.StatusCancelled) {
			t.Errorf("sub, whose sub-run did not start: %s %+v", sub.Status, sub.Error)
		}
		t.Logf("the 100ms ran out before the sub-run started (sub started %v)", sub.StartedAt != nil)
		return
	}
	if len(sub.Sub.Steps) != 1 {
		t.Fatalf("the sub-run's steps are missing from the report:\n%s", dump(rep))
	}
	want := "cut by the timeout of playbook parent, 100ms"
	if w := sub.Sub.Steps[0]; w.Error == nil || w.Error.Class != "timeout" || w.Error.Message != want {
		t.Errorf("child/wait: %s %+v, want class timeout and %q", w.Status, w.Error, want)
	}
}

// TestSubRunOwnTimeoutNamesItsPlaybook: a sub-playbook's own timeout
// names that playbook, since its steps' rows sit under a caller that has
// no timeout; what it calls in turn is cut by it, by name, as by any
// calling playbook's timeout.
func TestSubRunOwnTimeoutNamesItsPlaybook(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"grandchild.yaml": `version: 1
name: grandchild
steps:
  - {id: wait, op: control.sleep, with: {duration: 1h}}
`,
		"child.yaml": `version: 1
name: child
timeout: 100ms
steps:
  - {id: down, op: playbook.run, with: {path: grandchild.yaml}}
`,
		"parent.yaml": `version: 1
name: parent
steps:
  - {id: sub, op: playbook.run, with: {path: child.yaml}}
`,
	})
	rep := mustRun(t, p, nil)
	sub := stepOf(t, rep, "sub")
	if want := "sub-playbook child failed: playbook child timeout of 100ms exceeded"; sub.Error == nil || sub.Error.Class != "timeout" || !strings.HasPrefix(sub.Error.Message, want) {
		t.Errorf("sub: %+v, want class timeout and a message that begins %q", sub.Error, want)
	}
	if sub.Sub == nil || len(sub.Sub.Steps) != 1 || sub.Sub.Steps[0].Sub == nil || len(sub.Sub.Steps[0].Sub.Steps) != 1 {
		t.Fatalf("the sub-runs' steps are missing from the report:\n%s", dump(rep))
	}
	if want := "cut by the timeout of playbook child, 100ms"; sub.Sub.Steps[0].Sub.Steps[0].Error == nil || sub.Sub.Steps[0].Sub.Steps[0].Error.Message != want {
		t.Errorf("sub/down/wait: %+v, want %q", sub.Sub.Steps[0].Sub.Steps[0].Error, want)
	}
}

// loadWithSubPlaybooks writes files (name: source) to a directory and
// loads main from it, with playbook.run registered.
func loadWithSubPlaybooks(t *testing.T, main string, files map[string]string) *Plan {
	t.Helper()
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, main))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
