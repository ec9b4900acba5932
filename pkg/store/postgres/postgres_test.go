package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
	"github.com/arsenal-run/arsenal-run/pkg/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backend opens PostgreSQL stores on a new database; with reportDir, the
// reports go to files in a shared folder, else into the database.
func backend(reportDir bool) storetest.NewBackend {
	return func(t *testing.T) storetest.Opener {
		dsn := pgtest.DSN(t)
		dir := ""
		if reportDir {
			dir = t.TempDir()
		}
		return func(t *testing.T) store.Store {
			s, err := postgres.Open(context.Background(), postgres.Config{URL: dsn, ReportDir: dir, Lease: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
}

// TestStoreSuite runs the suite every store passes against PostgreSQL,
// with the reports kept in the database and in a shared folder.
func TestStoreSuite(t *testing.T) {
	t.Run("reports-in-database", func(t *testing.T) { storetest.Run(t, backend(false)) })
	t.Run("report-dir", func(t *testing.T) { storetest.Run(t, backend(true)) })
}

// TestStartKeepsInputsAndDryRun: the inputs given with a run's start
// (masked by the run service), and whether it is a dry run, are what
// another process reads of the running run; its report's replace them at
// the end. A run recorded only at its end takes dry_run from its report.
func TestStartKeepsInputsAndDryRun(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, postgres.Config{URL: dsn, Lease: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	t0 := time.Now().Truncate(time.Millisecond)
	started := map[string]any{"secs": "8s", "token": "***"}
	if err := a.RecordStart(ctx, history.Run{ID: "r", Playbook: "pb", StartedAt: t0, Inputs: started, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.RecordStart(ctx, history.Run{ID: "plain", Playbook: "pb", StartedAt: t0.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	run, err := b.Get(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(started, run.Inputs); diff != "" {
		t.Errorf("inputs of the running run (-want +got):\n%s", diff)
	}
	// dry_run of each run, as Get and List read it.
	dryRuns := func() map[string]bool {
		t.Helper()
		list, err := b.List(ctx, history.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range list {
			one, err := b.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if one.DryRun != r.DryRun {
				t.Errorf("run %s: Get reads dry_run %v, List %v", r.ID, one.DryRun, r.DryRun)
			}
			got[r.ID] = r.DryRun
		}
		return got
	}
	if diff := cmp.Diff(map[string]bool{"r": true, "plain": false}, dryRuns()); diff != "" {
		t.Errorf("dry_run of the running runs (-want +got):\n%s", diff)
	}
	ended := map[string]any{"secs": "8s", "token": "***", "more": "from the report"}
	finish := func(id string, dry bool) {
		t.Helper()
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: id, Playbook: report.Playbook{Name: "pb"}, Status: report.StatusSucceeded,
			StartedAt: t0, FinishedAt: t0.Add(time.Second), DurationMS: 1000, Inputs: ended, DryRun: dry, Steps: []report.Step{}, Outputs: map[string]any{}}
		if err := a.RecordFinish(ctx, rep, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	finish("r", true)
	finish("only-ended", true)
	if run, err = b.Get(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ended, run.Inputs); diff != "" {
		t.Errorf("inputs of the ended run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"r": true, "plain": false, "only-ended": true}, dryRuns()); diff != "" {
		t.Errorf("dry_run of the runs after two ended (-want +got):\n%s", diff)
	}
}
