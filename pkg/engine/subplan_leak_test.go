package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"weak"
)

// TestSubPlansDieWithTheirEngine: a service makes an engine for each run
// whose playbook calls playbook.run; the sub-playbook's plan it keeps must
// go with that engine, or a scheduler that runs such a playbook every
// second grows by a plan (and an engine) a second until it is killed.
func TestSubPlansDieWithTheirEngine(t *testing.T) {
	reg := registry(t)
	if err := RegisterPlaybookOp(New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"child.yaml":  "version: 1\nname: child\nsteps:\n  - {id: a, op: control.noop}\n",
		"parent.yaml": "version: 1\nname: parent\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runOnce := func() weak.Pointer[Engine] {
		e := New(reg)
		p, err := e.Load(filepath.Join(dir, "parent.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if rep := mustRun(t, p, nil); rep.Status != "succeeded" {
			t.Fatalf("run: %s\n%s", rep.Status, dump(rep))
		}
		return weak.Make(e)
	}
	var engines []weak.Pointer[Engine]
	for range 3 {
		engines = append(engines, runOnce())
	}
	for range 5 {
		runtime.GC()
	}
	for i, w := range engines {
		if w.Value() != nil {
			t.Errorf("the engine of run %d is still reachable after its run: its sub-playbook plans keep it", i+1)
		}
	}
	runtime.KeepAlive(reg) // the registry outlives the runs, as a service's does
}

// TestSubPlansOneAFile: an engine kept for all the runs of a playbook
// (schedule, serve) keeps one plan a sub-playbook file, of its latest
// content: each edit of the file replaces it rather than adding one, and
// the runs after an edit run the file as edited.
func TestSubPlansOneAFile(t *testing.T) {
	reg := registry(t)
	if err := RegisterPlaybookOp(New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("parent.yaml", "version: 1\nname: parent\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n")
	write("child.yaml", "version: 1\nname: child\nsteps:\n  - {id: first, op: control.noop}\n")
	e := New(reg)
	p, err := e.Load(filepath.Join(dir, "parent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		step := fmt.Sprintf("s%d", i)
		write("child.yaml", "version: 1\nname: child\nsteps:\n  - {id: "+step+", op: control.noop}\n")
		rep := mustRun(t, p, nil)
		if rep.Status != "succeeded" {
			t.Fatalf("run: %s\n%s", rep.Status, dump(rep))
		}
		if got := rep.Steps[0].Sub.Steps[0].ID; got != step {
			t.Errorf("run %d ran step %s of the sub-playbook, want %s as edited", i+1, got, step)
		}
	}
	e.subMu.Lock()
	n := len(e.subPlans)
	e.subMu.Unlock()
	if n != 1 {
		t.Errorf("the engine keeps %d plans of one sub-playbook edited twice, want 1", n)
	}
}
