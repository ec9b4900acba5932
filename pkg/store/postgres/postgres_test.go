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

// TestStartKeepsInputs: the inputs given with a run's start (masked by the
// run service) are what another process reads of the running run; its
// report's replace them at the end.
func TestStartKeepsInputs(t *testing.T) {
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
	if err := a.RecordStart(ctx, history.Run{ID: "r", Playbook: "pb", StartedAt: t0, Inputs: started}); err != nil {
		t.Fatal(err)
	}
	run, err := b.Get(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(started, run.Inputs); diff != "" {
		t.Errorf("inputs of the running run (-want +got):\n%s", diff)
	}
	ended := map[string]any{"secs": "8s", "token": "***", "more": "from the report"}
	rep := &report.Report{ReportVersion: report.FormatVersion, RunID: "r", Playbook: report.Playbook{Name: "pb"}, Status: report.StatusSucceeded,
		StartedAt: t0, FinishedAt: t0.Add(time.Second), DurationMS: 1000, Inputs: ended, Steps: []report.Step{}, Outputs: map[string]any{}}
	if err := a.RecordFinish(ctx, rep, ""); err != nil {
		t.Fatal(err)
	}
	if run, err = b.Get(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ended, run.Inputs); diff != "" {
		t.Errorf("inputs of the ended run (-want +got):\n%s", diff)
	}
}
