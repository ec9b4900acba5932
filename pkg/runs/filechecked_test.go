package runs

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestFileCheckedIsTakenAsGiven: a request that carries the verdict of a
// check of its playbook's file made just before (the scheduler's, which
// warns of it after "run started") gets its report's warning from that
// verdict, and the file is not looked at again: the scheduler and the
// service used to stat the same file for every fire.
func TestFileCheckedIsTakenAsGiven(t *testing.T) {
	reg := newRegistry(t)
	path := writePlaybook(t, "version: 1\nname: checked\nsteps:\n  - {id: a, op: control.noop}\n")
	pb, err := steps.Load(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{Registry: reg, StateDir: t.TempDir()}, Limits{})
	warnings := func(v *steps.FileVerdict) []string {
		t.Helper()
		h, err := m.Start(context.Background(), Request{Playbook: pb, FileChecked: v})
		if err != nil {
			t.Fatal(err)
		}
		return wait(t, h).Warnings
	}
	// The file is as loaded; the verdicts say otherwise, and win.
	if w := warnings(&steps.FileVerdict{Drift: steps.DriftChanged}); len(w) != 1 || !strings.Contains(w[0], "file "+pb.File+" changed since it was loaded") {
		t.Errorf("with a verdict of changed: warnings %q, want the file changed", w)
	}
	if w := warnings(&steps.FileVerdict{Drift: steps.DriftRemoved}); len(w) != 1 || !strings.Contains(w[0], "was removed since it was loaded") {
		t.Errorf("with a verdict of removed: warnings %q, want the file removed", w)
	}
	if w := warnings(&steps.FileVerdict{Drift: steps.DriftUnreadable, Err: errors.New("permission denied")}); len(w) != 1 || !strings.Contains(w[0], "cannot be read") || !strings.Contains(w[0], "(permission denied)") {
		t.Errorf("with a verdict of unreadable: warnings %q, want the file unreadable and why", w)
	}
	if w := warnings(nil); len(w) != 0 {
		t.Errorf("without a verdict, the file as loaded: warnings %q, want none", w)
	}
	if err := os.WriteFile(path, []byte("version: 1\nname: checked\nsteps: []\n# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w := warnings(&steps.FileVerdict{}); len(w) != 0 {
		t.Errorf("with a verdict of unchanged, the file edited since: warnings %q, want none (the verdict is taken as given)", w)
	}
	if w := warnings(nil); len(w) != 1 || !strings.Contains(w[0], "changed since it was loaded") {
		t.Errorf("without a verdict, the file edited: warnings %q, want the file changed", w)
	}
}
