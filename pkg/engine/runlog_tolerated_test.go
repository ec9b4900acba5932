package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
)

// TestToleratedSubRunLogsAtWarn: a sub-playbook whose caller goes on past
// its failure (continue_on_error, rescue steps; or a caller above, for a
// sub-playbook of a sub-playbook) logged its failed step and run at error
// while the caller's own failed step was at warn, so a log kept at error
// told of a failure that failed nothing. Its lines follow the caller's;
// one that nobody tolerates stays at error.
func TestToleratedSubRunLogsAtWarn(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("child.yaml", "version: 1\nname: child\nsteps:\n  - {id: boom, op: control.fail, with: {message: child broke}}\n")
	write("middle.yaml", "version: 1\nname: middle\nsteps:\n  - {id: deeper, op: playbook.run, with: {path: child.yaml}}\n")
	parent := write("parent.yaml", `version: 1
name: parent
steps:
  - {id: ign, op: playbook.run, with: {path: child.yaml}, continue_on_error: true}
  - id: saved
    op: playbook.run
    with: {path: child.yaml}
    rescue:
      - {id: fix, op: control.noop}
  - {id: nested, op: playbook.run, with: {path: middle.yaml}, continue_on_error: true}
  - {id: fatal, op: playbook.run, with: {path: child.yaml}}
`)
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var mu sync.Mutex
	tolerated := map[string]bool{} // parent_step kind -> Tolerated
	obs := ObserverFunc(func(ev Event) {
		if ev.ParentStep == "" || ev.Status != "failed" {
			return
		}
		mu.Lock()
		tolerated[ev.ParentStep+" "+string(ev.Kind)] = ev.Tolerated
		mu.Unlock()
	})
	rep := mustRun(t, p, nil, WithRunLog(&buf, zerolog.DebugLevel), WithRunObserver(obs))
	if rep.Status != "failed" {
		t.Fatalf("status %s, want failed", rep.Status)
	}
	// The sub-runs' lines carry no parent step: they are told apart by
	// the order they ran in, one after another.
	var levels []string
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		sub := m["playbook"] == "child" || m["step"] == "boom" || m["playbook"] == "middle" || m["step"] == "deeper"
		if sub && (m["level"] == "warn" || m["level"] == "error") {
			levels = append(levels, m["level"].(string)+" "+m["message"].(string))
		}
	}
	want := []string{
		"warn step finished", "warn run finished", // ign
		"warn step finished", "warn run finished", // saved
		"warn step finished", "warn run finished", "warn step finished", "warn run finished", // nested: child, then middle
		"error step finished", "error run finished", // fatal
	}
	if strings.Join(levels, "\n") != strings.Join(want, "\n") {
		t.Errorf("sub-runs' levels:\n%s\nwant:\n%s\nlog:\n%s", strings.Join(levels, "\n"), strings.Join(want, "\n"), buf.String())
	}
	for key, want := range map[string]bool{
		"ign step_finished": true, "ign run_finished": true, "saved run_finished": true,
		"deeper run_finished": true, "nested run_finished": true,
		"fatal step_finished": false, "fatal run_finished": false,
	} {
		if got, ok := tolerated[key]; !ok || got != want {
			t.Errorf("%s: tolerated %v (seen %v), want %v", key, got, ok, want)
		}
	}
}
