package history

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if dir := os.Getenv(openChildEnv); dir != "" {
		openChild(dir)
		return
	}
	if dir := os.Getenv(writeChildEnv); dir != "" {
		writeChild(dir)
		return
	}
	if spec := os.Getenv(raceChildEnv); spec != "" {
		raceChild(spec)
		return
	}
	var err error
	benchDir, err = os.MkdirTemp("", "history-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(benchDir)
	os.Exit(code)
}

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ptr[T any](v T) *T { return &v }

// sampleReport is a finished run with a plain step, a retried step, a
// fan-out with a retried item and a cancelled one, and a skipped step.
func sampleReport(id string, start time.Time) *report.Report {
	at := func(d time.Duration) *time.Time { return ptr(start.Add(d)) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return &report.Report{
		ReportVersion: report.FormatVersion,
		RunID:         id,
		Playbook:      report.Playbook{Name: "restart-workers", Path: "playbooks/restart-workers.yaml", SHA256: "abc"},
		Roles:         []string{"operator"},
		Inputs:        map[string]any{"threshold": 90, "token": "***"},
		Status:        report.StatusFailed,
		StartedAt:     start,
		FinishedAt:    start.Add(ms(1000)),
		DurationMS:    1000,
		Steps: []report.Step{
			{ID: "find", Op: "process.list", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(0), DurationMS: 10, Attempts: 1},
			{ID: "probe", Op: "http.request", Section: "steps", Status: report.StatusSucceeded, StartedAt: at(ms(10)), DurationMS: 300, Attempts: 2,
				AttemptLog: []report.Attempt{
					{Attempt: 1, StartedAt: start.Add(ms(10)), DurationMS: 100, Error: &report.Error{Class: "timeout", Message: "slow"}},
					{Attempt: 2, StartedAt: start.Add(ms(210)), DurationMS: 100},
				}},
			{ID: "stop", Op: "process.signal", Section: "steps", Status: report.StatusFailed, StartedAt: at(ms(310)), DurationMS: 600, Attempts: 4,
				Error: &report.Error{Class: "execution", Message: "item 1: not permitted"},
				Items: []report.Item{
					{Index: 0, Item: 1, Status: report.StatusSucceeded, StartedAt: at(ms(310)), DurationMS: 50, Attempts: 1},
					{Index: 1, Item: 2, Status: report.StatusFailed, StartedAt: at(ms(360)), DurationMS: 200, Attempts: 2,
						Error: &report.Error{Class: "execution", Message: "not permitted"},
						AttemptLog: []report.Attempt{
							{Attempt: 1, StartedAt: start.Add(ms(360)), DurationMS: 20, Error: &report.Error{Class: "execution", Message: "not permitted"}},
							{Attempt: 2, StartedAt: start.Add(ms(540)), DurationMS: 20, Error: &report.Error{Class: "execution", Message: "not permitted"}},
						}},
					{Index: 2, Item: 3, Status: report.StatusCancelled, Reason: "not started: fail_fast"},
				}},
			{ID: "verify", Op: "process.list", Section: "steps", Status: report.StatusSkipped, Reason: "needs stop, which failed"},
			{ID: "page", Op: "control.log", Section: "on_failure", Status: report.StatusSucceeded, StartedAt: at(ms(920)), DurationMS: 1, Attempts: 1},
		},
		Error: &report.Error{Class: "execution", Message: "step stop failed: item 1: not permitted"},
	}
}

// mustRecord records r as a finished run.
func mustRecord(t testing.TB, s *Store, r *report.Report, path string) {
	t.Helper()
	if err := s.RecordFinish(context.Background(), r, path, ""); err != nil {
		t.Fatal(err)
	}
}
