package history

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestMigrateMarksOlderDryRunsFromTheirReports: the rows of the runs an
// older release recorded before the runs table kept dry_run read 0; once
// migrated, those whose report says dry run are dry runs (history notes
// them, stats leaves them out of the playbook's runs), from a database of
// that release (7) as from one a release in between already migrated
// (12). A report looked for by its name in a moved state dir counts; a
// row whose report is gone, unreadable or another run's file outside the
// reports folder stays as it was.
func TestMigrateMarksOlderDryRunsFromTheirReports(t *testing.T) {
	ctx := context.Background()
	for _, from := range []int{7, 12} {
		dir := t.TempDir()
		reports := filepath.Join(dir, ReportsDir)
		if err := os.MkdirAll(reports, 0o700); err != nil {
			t.Fatal(err)
		}
		write := func(name string, r *report.Report) string {
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(reports, name)
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		rep := func(id string, dry bool) *report.Report {
			r := sampleReport(id, t0)
			r.DryRun = dry
			return r
		}
		paths := map[string]string{
			"dry":     write("dry.json", rep("dry", true)),
			"real":    write("real.json", rep("real", false)),
			"moved":   filepath.Join("/elsewhere", ReportsDir, "moved.json"),
			"gone":    filepath.Join(reports, "gone.json"),
			"garbled": write("garbled.json", nil),
			"outside": filepath.Join(t.TempDir(), "outside.json"),
		}
		write("moved.json", rep("moved", true))
		if err := os.WriteFile(paths["garbled"], []byte(`{"report_version": "1", "dry_run": tru`), 0o600); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(rep("outside", true))
		if err := os.WriteFile(paths["outside"], data, 0o600); err != nil {
			t.Fatal(err)
		}
		db := openRaw(t, dir)
		if err := migrate(ctx, db, from, reports); err != nil {
			t.Fatal(err)
		}
		for id, p := range paths {
			if _, err := db.Exec(`INSERT INTO runs (id, playbook, status, started_at, finished_at, duration_ms, report_path)
			VALUES (?, 'restart-workers', 'succeeded', ?, ?, 1000, ?)`, id, ms(t0), ms(t0)+1000, p); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("from version %d: %v", from, err)
		}
		want := map[string]bool{"dry": true, "real": false, "moved": true, "gone": false, "garbled": false, "outside": false}
		if diff := cmp.Diff(want, dryRuns(t, s)); diff != "" {
			t.Errorf("from version %d: dry_run after migration (-want +got):\n%s", from, diff)
		}
		_, books, err := s.Stats(ctx, t0.Add(-1), time.Time{})
		if err != nil || len(books) != 1 || books[0].Count != 4 {
			t.Errorf("from version %d: Stats of the playbook = %+v, %v; want its 4 runs that are not dry runs", from, books, err)
		}
		s.Close()
	}
}
