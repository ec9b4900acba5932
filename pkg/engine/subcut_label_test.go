package engine

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSubRunCutNamesTheItemByLabel: the steps of a fan-out item's sub-run
// cut by the step's timeout name the item as the report's nested rows
// beside them do: by its label (fan[web-1]), and by its index only when
// it has none, as two items sharing one have not (twin[0]).
func TestSubRunCutNamesTheItemByLabel(t *testing.T) {
	p := loadWithSubPlaybooks(t, "parent.yaml", map[string]string{
		"child.yaml": `version: 1
name: child
steps:
  - {id: wait, op: control.sleep, with: {duration: 1h}}
`,
		"parent.yaml": `version: 1
name: parent
steps:
  - {id: fan, op: playbook.run, foreach: [web-1], with: {path: child.yaml}, timeout: 100ms}
  - {id: twin, op: playbook.run, foreach: [x, x], concurrency: 2, fail_fast: false, with: {path: child.yaml}, timeout: 100ms, needs: []}
`,
	})
	rep := mustRun(t, p, nil)
	for _, tc := range []struct {
		step string
		item int
		want string
	}{
		{"fan", 0, "cut by step fan[web-1] timeout of 100ms"},
		{"twin", 0, "cut by step twin[0] timeout of 100ms"},
		{"twin", 1, "cut by step twin[1] timeout of 100ms"},
	} {
		s := stepOf(t, rep, tc.step)
		if (len(s.Subs) <= tc.item || s.Subs[tc.item] == nil) && len(s.Items) > tc.item {
			// A machine slow enough that the 100ms ran out before the
			// item's sub-run started: the item's timeout is all there is.
			if e := s.Items[tc.item].Error; e == nil || e.Class != "timeout" {
				t.Errorf("%s[%d], whose sub-run did not start: %+v", tc.step, tc.item, e)
			}
			t.Logf("%s[%d]: the 100ms ran out before its sub-run started", tc.step, tc.item)
			continue
		}
		if len(s.Subs) <= tc.item || s.Subs[tc.item] == nil || len(s.Subs[tc.item].Steps) != 1 {
			t.Fatalf("%s[%d]: no sub-run with its step:\n%s", tc.step, tc.item, dump(rep))
		}
		if e := s.Subs[tc.item].Steps[0].Error; e == nil || e.Message != tc.want {
			t.Errorf("%s[%d]/wait: error %+v, want %q", tc.step, tc.item, e, tc.want)
		}
	}
}

// TestSubRunEventsNameTheItemByLabel: the events of a fan-out item's
// sub-run name the step that started it (parent_step, which the log lines,
// the audit and the traces carry) as the report's nested rows and the
// cuts do: fan[web-1] by its label, twin[1] by its index when two items
// share one.
func TestSubRunEventsNameTheItemByLabel(t *testing.T) {
	var mu sync.Mutex
	got := map[string]bool{}
	e, _ := newEngine(t, WithObserver(ObserverFunc(func(ev Event) {
		if ev.Kind == EventRunStarted && ev.ParentRunID != "" {
			mu.Lock()
			got[ev.ParentStep] = true
			mu.Unlock()
		}
	})))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"child.yaml": "version: 1\nname: child\nsteps:\n  - {id: ok, op: control.log, with: {message: hi}}\n",
		"parent.yaml": `version: 1
name: parent
steps:
  - {id: fan, op: playbook.run, foreach: [web-1], with: {path: child.yaml}}
  - {id: twin, op: playbook.run, foreach: [x, x], with: {path: child.yaml}}
  - {id: one, op: playbook.run, with: {path: child.yaml}}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, "parent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, p, nil)
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"fan[web-1]", "twin[0]", "twin[1]", "one"} {
		if !got[want] {
			t.Errorf("no sub-run names its parent step %s; they name %v", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("sub-runs name parent steps %v, want the four above", got)
	}
}

// TestSubRunOfAnItemsSubRunNamesItsOwnStep: a playbook.run step without
// items inside a fan-out item's sub-run starts a sub-run whose
// parent_step names that step (nest), not the item further up
// (fan[web-1]) whose sub-run it runs in.
func TestSubRunOfAnItemsSubRunNamesItsOwnStep(t *testing.T) {
	var mu sync.Mutex
	got := map[string]bool{}
	e, _ := newEngine(t, WithObserver(ObserverFunc(func(ev Event) {
		if ev.Kind == EventRunStarted && ev.ParentRunID != "" {
			mu.Lock()
			got[ev.ParentStep] = true
			mu.Unlock()
		}
	})))
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{
		"leaf.yaml":   "version: 1\nname: leaf\nsteps:\n  - {id: ok, op: control.log, with: {message: hi}}\n",
		"middle.yaml": "version: 1\nname: middle\nsteps:\n  - {id: nest, op: playbook.run, with: {path: leaf.yaml}}\n",
		"top.yaml":    "version: 1\nname: top\nsteps:\n  - {id: fan, op: playbook.run, foreach: [web-1], with: {path: middle.yaml}}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.Load(filepath.Join(dir, "top.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, p, nil)
	mu.Lock()
	defer mu.Unlock()
	if !got["fan[web-1]"] || !got["nest"] || len(got) != 2 {
		t.Errorf("sub-runs name parent steps %v, want fan[web-1] and nest", got)
	}
}
