package engine

import (
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
