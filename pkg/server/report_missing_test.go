package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunWithoutItsReportFile: a run whose history row names a report
// file that is not there (its process died before writing it, or someone
// removed it) is told from its history row, 200, as `history show` does:
// not 503 "the database is unreachable", which a client would retry for
// ever.
func TestRunWithoutItsReportFile(t *testing.T) {
	ts := newTestServer(t)
	store := ts.mgr.Service().History()
	id := "20260101T000000-0123456789abcdef0123456789abcdef"
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	missing := filepath.Join(store.Reports(), id+".json")
	ctx := context.Background()
	if err := store.RecordStart(ctx, history.Run{ID: id, Playbook: "hello", Path: "playbooks/hello.yaml", SHA256: strings.Repeat("ab", 32), Status: history.StatusRunning, StartedAt: start, ReportPath: missing}); err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "hello", Path: "playbooks/hello.yaml", SHA256: strings.Repeat("ab", 32)},
		Status: report.StatusSucceeded, StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000,
		Steps: []report.Step{{ID: "greet", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, Attempts: 1}}}
	if err := store.RecordFinish(ctx, rep, missing, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("the report file is there: %v", err)
	}

	got := ts.get("viewer", "/api/v1/runs/"+id).want(t, http.StatusOK).json(t)
	if got["run_id"] != id || got["status"] != "succeeded" {
		t.Errorf("the run told from history: %v", got)
	}
	r := ts.get("viewer", "/api/v1/runs/"+id+"/timeline.svg").want(t, http.StatusOK)
	if !strings.Contains(string(r.body), "<svg") {
		t.Errorf("timeline: %.200s", r.body)
	}
	ts.get("viewer", "/api/v1/runs/"+id+"/events").want(t, http.StatusOK)
}
