package history

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// dryRuns maps the ids of the runs s lists to their DryRun.
func dryRuns(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	runs, err := s.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range runs {
		out[r.ID] = r.DryRun
	}
	return out
}

// TestDryRunFromStartToFinish: a dry run is one from its start, for
// another process on the same state dir too (serve showing a dry run of
// `run --dry-run`), and after its end; a real run is not.
func TestDryRunFromStartToFinish(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := a.RecordStart(ctx, Run{ID: "dry", Playbook: "restart-workers", StartedAt: t0, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordStart(ctx, Run{ID: "real", Playbook: "restart-workers", StartedAt: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Store{"its process": a, "another process": b} {
		got, err := s.Get(ctx, "dry")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusRunning || !got.DryRun {
			t.Errorf("%s: running dry run = status %s, dry_run %v; want running, true", name, got.Status, got.DryRun)
		}
		if diff := cmp.Diff(map[string]bool{"dry": true, "real": false}, dryRuns(t, s)); diff != "" {
			t.Errorf("%s: dry_run of the running runs (-want +got):\n%s", name, diff)
		}
	}

	dry := sampleReport("dry", t0)
	dry.DryRun = true
	mustRecord(t, a, dry, "")
	mustRecord(t, a, sampleReport("real", t0.Add(time.Second)), "")
	if diff := cmp.Diff(map[string]bool{"dry": true, "real": false}, dryRuns(t, b)); diff != "" {
		t.Errorf("dry_run of the finished runs (-want +got):\n%s", diff)
	}

	// The report has the last word: a start recorded again as a real
	// run, or a report that says otherwise, replaces it.
	if err := a.RecordStart(ctx, Run{ID: "dry", Playbook: "restart-workers", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if got := dryRuns(t, b)["dry"]; got {
		t.Error("a start recorded again as a real run still reads dry_run true")
	}
}

// TestDryRunOfEveryWritePath: the rows of queued starts, of a run whose
// end took its queued start's place, of a batch of finished runs, and of a
// run its process left running all keep dry_run.
func TestDryRunOfEveryWritePath(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.QueueStart(Run{ID: "queued", Playbook: "p", StartedAt: t0, DryRun: true})(); err != nil {
		t.Fatal(err)
	}
	if !dryRuns(t, a)["queued"] {
		t.Error("a queued start of a dry run reads dry_run false")
	}

	// The end may come while the start still waits: then it writes the
	// row once, from the report.
	written := a.QueueStart(Run{ID: "short", Playbook: "p", StartedAt: t0, DryRun: true})
	short := sampleReport("short", t0)
	short.DryRun = true
	mustRecord(t, a, short, "")
	if err := written(); err != nil {
		t.Fatal(err)
	}

	batchDry, batchReal := sampleReport("batch-dry", t0), sampleReport("batch-real", t0)
	batchDry.DryRun = true
	if err := a.RecordFinished(ctx, []Finished{{Report: batchDry, Trigger: TriggerAPI}, {Report: batchReal, Trigger: TriggerAPI}}); err != nil {
		t.Fatal(err)
	}

	if err := a.RecordStart(ctx, Run{ID: "left", Playbook: "p", StartedAt: t0, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	a.Close() // its process ends before the run does
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n, err := b.MarkInterrupted(ctx); err != nil || n != 2 {
		t.Fatalf("MarkInterrupted = %d, %v; want the two runs left running", n, err)
	}
	want := map[string]bool{"queued": true, "short": true, "batch-dry": true, "batch-real": false, "left": true}
	if diff := cmp.Diff(want, dryRuns(t, b)); diff != "" {
		t.Errorf("dry_run (-want +got):\n%s", diff)
	}
	left, err := b.Get(ctx, "left")
	if err != nil {
		t.Fatal(err)
	}
	if left.Status != StatusInterrupted || !left.DryRun {
		t.Errorf("run left running = status %s, dry_run %v; want interrupted, true", left.Status, left.DryRun)
	}
}

// TestMigrateFromVersion7 opens a database of the release before dry_run
// was kept, with a finished run and one left running: both stay, read
// dry_run false (their reports tell), and the runs recorded from then on
// keep it.
func TestMigrateFromVersion7(t *testing.T) {
	ctx := context.Background()
	s := fromVersion(t, 7, func(db *sql.DB) {
		if _, err := db.Exec(`INSERT INTO runs (id, playbook, status, started_at, finished_at, duration_ms, triggered_by, started_by) VALUES
		('old', 'restart-workers', 'succeeded', ?, ?, 1000, 'api', 'ci'), ('stuck', 'restart-workers', 'running', ?, NULL, NULL, 'cli', 'ops')`,
			ms(t0), ms(t0)+1000, ms(t0)+5000); err != nil {
			t.Fatal(err)
		}
	})
	if n, err := s.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Errorf("MarkInterrupted = %d, %v; want the run left running by the old release", n, err)
	}
	old, err := s.Get(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	want := Run{ID: "old", Playbook: "restart-workers", Roles: []string{}, Status: report.StatusSucceeded, StartedAt: t0,
		FinishedAt: ptr(t0.Add(time.Second)), DurationMS: 1000, Trigger: TriggerAPI, StartedBy: "ci"}
	if diff := cmp.Diff(want, old); diff != "" {
		t.Errorf("run of the old release (-want +got):\n%s", diff)
	}
	if err := s.RecordStart(ctx, Run{ID: "new", Playbook: "restart-workers", StartedAt: t0.Add(time.Minute), DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"old": false, "stuck": false, "new": true}, dryRuns(t, s)); diff != "" {
		t.Errorf("dry_run after migration (-want +got):\n%s", diff)
	}
	var check string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

// TestDryRunLiveRowsCountAsItsReportRows: the live rows of a dry run
// whose process died count in Stats as its report's rows would have: its
// read calls do, its playbook.run steps, which ran their sub-playbooks
// dry in a fraction of a real run's time, do not.
func TestDryRunLiveRowsCountAsItsReportRows(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	if err := s.RecordStart(ctx, Run{ID: "dry", Playbook: "top", StartedAt: t0, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSteps(ctx, "dry", []StepResult{
		{StepID: "call", Op: "playbook.run", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 5, DryRun: true},
		{StepID: "fan", Op: "playbook.run", Item: 0, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 5, DryRun: true},
		{StepID: "look", Op: "http.get", Item: -1, Attempts: 1, Status: report.StatusSucceeded, StartedAt: t0, DurationMS: 7, DryRun: true},
	}); err != nil {
		t.Fatal(err)
	}
	ops, _, err := s.Stats(ctx, t0.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, o := range ops {
		got[o.Op] = o.Count
	}
	if diff := cmp.Diff(map[string]int64{"http.get": 1}, got); diff != "" {
		t.Errorf("calls counted of the dry run's live rows (-want +got):\n%s", diff)
	}
}
