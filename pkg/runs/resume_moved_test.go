package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

const halfPlaybook = `version: 1
name: half
steps:
  - {id: one, op: control.log, with: {message: first}}
  - {id: two, op: control.assert, with: {that: false, message: stop here}}
`

// resumeWarnings collects a service's warnings.
type resumeWarnings struct {
	mu   sync.Mutex
	list []string
}

func (w *resumeWarnings) warn(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, fmt.Sprintf(format, args...))
}

func (w *resumeWarnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

// copyStateDir copies the regular files of the state dir src to dst, as a
// backup is made (docs/authorization.md).
func copyStateDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestResumeFromAMovedStateDir: a state dir restored from a copy keeps the
// report paths of where it was made; resuming by run id reads this state
// dir's report, never the old place's (changed there, or gone), and names
// this one's file.
func TestResumeFromAMovedStateDir(t *testing.T) {
	oldDir := filepath.Join(t.TempDir(), "state")
	path := writePlaybook(t, halfPlaybook)
	svc, err := NewService(Config{Registry: newRegistry(t), StateDir: oldDir})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(svc, Limits{})
	first := wait(t, mustStart(t, m, Request{Path: path}))
	if first.Status != "failed" {
		t.Fatalf("first run %s", first.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	svc.Close()

	newDir := filepath.Join(t.TempDir(), "restored")
	copyStateDir(t, oldDir, newDir)
	oldReport := filepath.Join(oldDir, history.ReportsDir, first.RunID+".json")
	newReport := filepath.Join(newDir, history.ReportsDir, first.RunID+".json")
	forge := func(file string) {
		t.Helper()
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(strings.Replace(string(data), `"first"`, `"forged"`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The old state dir's report changes after the copy was made.
	forge(oldReport)

	var w resumeWarnings
	m = newManager(t, Config{StateDir: newDir, Warn: w.warn}, Limits{})
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID}))
	if len(again.Steps) == 0 || !again.Steps[0].Reused {
		t.Errorf("the resumed run did not reuse step one: %+v", again.Steps)
	}
	if got := w.take(); len(got) != 0 {
		t.Errorf("resuming from the restored state dir's own report warned: %q", got)
	}

	// Gone from where it was, and changed here: the warning names this
	// state dir's file.
	if err := os.RemoveAll(oldDir); err != nil {
		t.Fatal(err)
	}
	forge(newReport)
	wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: first.RunID}))
	got := w.take()
	if len(got) != 1 || !strings.Contains(got[0], "--resume "+newReport+": the report fails its check") {
		t.Errorf("warnings for a changed report of the restored state dir: %q, want one naming %s", got, newReport)
	}
}

// TestResumeOfAnUnsignedReportWarns: a report with no signature (from a
// release that signed nothing) is not said to have been changed: the
// warning says it carries none, and what resuming from it means.
func TestResumeOfAnUnsignedReportWarns(t *testing.T) {
	state := t.TempDir()
	var w resumeWarnings
	m := newManager(t, Config{StateDir: state, Warn: w.warn}, Limits{})
	path := writePlaybook(t, halfPlaybook)
	first := wait(t, mustStart(t, m, Request{Path: path}))
	data, err := os.ReadFile(filepath.Join(state, history.ReportsDir, first.RunID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	if _, ok := obj["signature"]; !ok {
		t.Fatalf("the recorded report has no signature to remove: %s", data)
	}
	delete(obj, "signature")
	unsigned := filepath.Join(t.TempDir(), "old-release.json")
	data, _ = json.Marshal(obj)
	if err := os.WriteFile(unsigned, data, 0o644); err != nil {
		t.Fatal(err)
	}
	w.take()
	again := wait(t, mustStart(t, m, Request{Path: path, ResumeFrom: unsigned}))
	if len(again.Steps) == 0 || !again.Steps[0].Reused {
		t.Errorf("the resumed run did not reuse step one: %+v", again.Steps)
	}
	got := w.take()
	if len(got) != 1 || !strings.Contains(got[0], "--resume "+unsigned+": the report carries no signature") ||
		!strings.Contains(got[0], "taken as it says") || strings.Contains(got[0], "changed since") {
		t.Errorf("warnings for an unsigned report: %q", got)
	}
}
