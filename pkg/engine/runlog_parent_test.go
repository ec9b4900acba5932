package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestSubRunLogLinesNameTheirCaller: the run log (serve's) wrote a
// sub-playbook's lines with its own run id alone, so that a search for
// the caller's run id missed them, and the sub-runs of a fan-out could
// not be told apart. They carry parent_run_id and parent_step, as the
// sub-run's events do.
func TestSubRunLogLinesNameTheirCaller(t *testing.T) {
	e, _ := newEngine(t)
	if err := RegisterPlaybookOp(e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "child.yaml"), []byte("version: 1\nname: child\nsteps:\n  - {id: hi, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, "parent.yaml")
	if err := os.WriteFile(parent, []byte("version: 1\nname: parent\nsteps:\n  - {id: sub, op: playbook.run, with: {path: child.yaml}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := e.Load(parent)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep := mustRun(t, p, nil, WithRunLog(&buf, zerolog.DebugLevel))
	child := 0
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if m["run_id"] == rep.RunID {
			if _, ok := m["parent_run_id"]; ok {
				t.Errorf("a line of the top run names a parent: %s", line)
			}
			continue
		}
		child++
		if m["parent_run_id"] != rep.RunID || m["parent_step"] != "sub" {
			t.Errorf("a line of the sub-run does not name its caller %s/sub: %s", rep.RunID, line)
		}
	}
	if child == 0 {
		t.Fatalf("no line of the sub-run:\n%s", buf.String())
	}
}
