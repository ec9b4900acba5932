package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestFirstSignalSaysTheRunWaitsForFinally: a run cancelled by its first
// SIGINT while it still has finally steps to run says, on a line of its
// own, that it ends only once they have run, for how long at most, and
// that Ctrl-C again exits without them; it does not go quiet.
func TestFirstSignalSaysTheRunWaitsForFinally(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "30s"))
	p := start(t, "about to sleep", "run", pb, "--state-dir", filepath.Join(dir, "state"))
	defer p.cmd.Process.Kill()
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor(t, "arsenal-run: the run ends once its finally steps (slow_cleanup) have run, at most 5m from now; Ctrl-C again exits at once, leaving them unfinished\n")
}

// TestHandlersWaitMsg names the on_cancel and finally steps a signal waits
// for, a few of them, and says nothing for a playbook without any or for
// a hangup, which nobody reads.
func TestHandlersWaitMsg(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	load := func(src string) *steps.Playbook {
		t.Helper()
		pb, err := steps.Parse("p.yaml", []byte(src), reg)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	both := load(`version: 1
name: p
steps:
  - {id: a, op: control.noop}
on_cancel:
  - {id: page, op: control.noop}
finally:
  - {id: f1, op: control.noop}
  - {id: f2, op: control.noop}
  - {id: f3, op: control.noop}
`)
	none := load("version: 1\nname: p\nsteps:\n  - {id: a, op: control.noop}\non_failure:\n  - {id: b, op: control.noop}\n")
	for _, c := range []struct {
		pb   *steps.Playbook
		sig  os.Signal
		want string
	}{
		{both, os.Interrupt, "the run ends once its on_cancel and finally steps (page, f1, f2 and 1 more) have run, at most 5m from now; Ctrl-C again exits at once, leaving them unfinished"},
		{both, syscall.SIGTERM, "the run ends once its on_cancel and finally steps (page, f1, f2 and 1 more) have run, at most 5m from now; SIGTERM again exits at once, leaving them unfinished"},
		{both, syscall.SIGHUP, ""},
		{none, os.Interrupt, ""},
	} {
		if got := handlersWaitMsg(c.pb, c.sig); got != c.want {
			t.Errorf("%v: %q\nwant %q", c.sig, got, c.want)
		}
	}
}

// TestHandlersWaitMsgCountsSubPlaybooks: the first signal's line counts
// the on_cancel and finally steps of the sub-playbooks a run runs, named
// by the path of steps that leads to them, also when the playbook has
// none of its own (it said nothing, and the run went quiet while they
// ran); and it says how long they may take: a sub-playbook run by a
// finally step is cancelled only when the run's budget ends, and its own
// finally then has another budget.
func TestHandlersWaitMsgCountsSubPlaybooks(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	writePlaybook(t, dir, "undo.yaml", "version: 1\nname: undo\nsteps:\n  - {id: u, op: control.noop}\nfinally:\n  - {id: rollback, op: control.noop}\n")
	writePlaybook(t, dir, "plain.yaml", "version: 1\nname: plain\nsteps:\n  - {id: p, op: control.noop}\n")
	load := func(name, src string) *steps.Playbook {
		t.Helper()
		pb, err := steps.Load(writePlaybook(t, dir, name, src), reg)
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	subOnly := load("sub_only.yaml", `version: 1
name: sub_only
steps:
  - {id: deploy, op: playbook.run, with: {path: undo.yaml}}
  - {id: other, op: playbook.run, with: {path: plain.yaml}}
`)
	nested := load("nested.yaml", `version: 1
name: nested
steps:
  - {id: a, op: control.noop}
finally:
  - {id: clean, op: control.noop}
  - {id: undo, op: playbook.run, with: {path: undo.yaml}}
`)
	for _, c := range []struct {
		pb   *steps.Playbook
		want string
	}{
		{subOnly, "the run ends once its sub-playbooks' finally steps (deploy/rollback) have run, at most 5m from now; Ctrl-C again exits at once, leaving them unfinished"},
		{nested, "the run ends once its finally steps and its sub-playbooks' finally steps (clean, undo, undo/rollback) have run, at most 10m from now; Ctrl-C again exits at once, leaving them unfinished"},
	} {
		if got := handlersWaitMsg(c.pb, os.Interrupt); got != c.want {
			t.Errorf("%s: %q\nwant %q", c.pb.Name, got, c.want)
		}
	}
}
