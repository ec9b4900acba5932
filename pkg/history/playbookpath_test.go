package history

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPlaybookPathRecordedAbsolute: a playbook given by a relative path
// (`schedule pb/slow.yaml`) is recorded by its absolute path, at its
// start and at its end, as its report's path is: relative, it would be
// read against the reader's directory, not the recording process's.
func TestPlaybookPathRecordedAbsolute(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	want, err := filepath.Abs(filepath.Join("pb", "slow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordStart(ctx, Run{ID: "started", Playbook: "slow", Path: "pb/slow.yaml", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, &report.Report{ReportVersion: report.FormatVersion, RunID: "ended", Playbook: report.Playbook{Name: "slow", Path: "pb/slow.yaml"},
		Status: report.StatusSucceeded, StartedAt: t0, FinishedAt: t0}, "")
	// An operation executed alone has no file: its "path" stays as it is.
	mustRecord(t, s, &report.Report{ReportVersion: report.FormatVersion, RunID: "executed", Playbook: report.Playbook{Name: "execute-control.fail", Path: "operation control.fail"},
		Status: report.StatusFailed, StartedAt: t0, FinishedAt: t0}, "")
	for id, want := range map[string]string{"started": want, "ended": want, "executed": "operation control.fail"} {
		r, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Path != want {
			t.Errorf("run %s: path %q, want %q", id, r.Path, want)
		}
	}
}
