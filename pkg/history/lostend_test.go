package history

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// startLost records the start of run id in a Store on dir, writes its
// report with write (nothing when it is nil), and closes the Store
// without RecordFinish: the run's end was lost, as when the state dir's
// disk was full when the run ended. It returns the report's path.
func startLost(t *testing.T, dir, id string, write func(s *Store, path string)) string {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Reports(), id+".json")
	ctx := context.Background()
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	if err := s.RecordStart(ctx, Run{ID: id, Playbook: "restart-workers", Path: "playbooks/restart-workers.yaml", StartedAt: start, ReportPath: path, Trigger: TriggerSchedule}); err != nil {
		t.Fatal(err)
	}
	if write != nil {
		write(s, path)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// signedReport writes a report of run id with status st, signed with the
// state dir's key, at path.
func signedReport(t *testing.T, s *Store, path, id string, st report.Status) *report.Report {
	t.Helper()
	r := sampleReport(id, time.Now().Add(-time.Minute).Truncate(time.Millisecond))
	r.Status = st
	if st == report.StatusSucceeded {
		r.Error = nil
	}
	key, err := s.ReportKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Sign(r, key); err != nil {
		t.Fatal(err)
	}
	if err := report.Write(path, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMarkInterruptedTakesTheReport: a run whose end could not be
// recorded (the state dir's disk was full when it ended) but whose report
// was written is not interrupted: it succeeded, and its report says so.
// The history takes the run's status, times and steps from the report,
// keeping what its start recorded (the trigger).
func TestMarkInterruptedTakesTheReport(t *testing.T) {
	dir := t.TempDir()
	var want *report.Report
	startLost(t, dir, "lost-end", func(s *Store, path string) {
		want = signedReport(t, s, path, "lost-end", report.StatusSucceeded)
	})
	s := reopen(t, dir)
	ctx := context.Background()
	n, err := s.MarkInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("MarkInterrupted marked %d runs interrupted, want 0: the run's report says how it ended", n)
	}
	run, err := s.Get(ctx, "lost-end")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusSucceeded || run.Error != nil {
		t.Errorf("run is %s (error %v), want succeeded, as its report says", run.Status, run.Error)
	}
	if run.FinishedAt == nil || !run.FinishedAt.Equal(want.FinishedAt) || run.DurationMS != want.DurationMS {
		t.Errorf("run finished at %v after %dms, want %v after %dms, as its report says", run.FinishedAt, run.DurationMS, want.FinishedAt, want.DurationMS)
	}
	if run.Trigger != TriggerSchedule {
		t.Errorf("run's trigger is %q, want the %q its start recorded", run.Trigger, TriggerSchedule)
	}
	rows, err := s.Steps(ctx, "lost-end")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(stepRows(want)) {
		t.Errorf("run has %d step rows, want the report's %d", len(rows), len(stepRows(want)))
	}
	if n, _ := s.MarkInterrupted(ctx); n != 0 {
		t.Errorf("second MarkInterrupted marked %d runs", n)
	}
}

// TestMarkInterruptedWithoutReport: a run with no report, or one that is
// not the run's end as arsenal-run wrote it (cut short, changed since,
// another run's), stays interrupted, and its error says that its end was
// never recorded, and why the report was not taken.
func TestMarkInterruptedWithoutReport(t *testing.T) {
	dir := t.TempDir()
	startLost(t, dir, "no-report", nil)
	startLost(t, dir, "torn", func(s *Store, path string) {
		signedReport(t, s, path, "torn", report.StatusSucceeded)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, data[:len(data)/2], 0o600)
	})
	startLost(t, dir, "forged", func(s *Store, path string) {
		signedReport(t, s, path, "forged", report.StatusFailed)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		forged := regexp.MustCompile(`"status": ?"failed"`).ReplaceAll(data, []byte(`"status":"succeeded"`))
		if string(forged) == string(data) {
			t.Fatalf("the report does not say failed:\n%s", data)
		}
		os.WriteFile(path, forged, 0o600)
	})
	startLost(t, dir, "other", func(s *Store, path string) {
		signedReport(t, s, path, "someone-else", report.StatusSucceeded)
	})
	s := reopen(t, dir)
	ctx := context.Background()
	n, err := s.MarkInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("MarkInterrupted marked %d runs interrupted, want 4", n)
	}
	for id, why := range map[string]string{
		"no-report": "no report",
		"torn":      "torn.json",
		"forged":    "signature",
		"other":     "someone-else",
	} {
		run, err := s.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != StatusInterrupted || run.Error == nil {
			t.Errorf("%s is %s (error %v), want interrupted", id, run.Status, run.Error)
			continue
		}
		msg := run.Error.Message
		if !strings.Contains(msg, "its end was never recorded") || !strings.Contains(msg, why) {
			t.Errorf("%s's error does not say its end was never recorded and %q:\n%s", id, why, msg)
		}
	}
}

// reopen opens the Store on dir again, closed when the test ends.
func reopen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
