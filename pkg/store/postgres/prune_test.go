package postgres

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestPruneStoppedKeepsRowsAndFilesTogether: a prune goes in batches, each
// its own transaction; one stopped between two keeps what it deleted, and
// the report files of those runs alone are gone. Before, a prune was one
// transaction: a backlog too big for the sweep's time was undone whole at
// every sweep, and never pruned.
func TestPruneStoppedKeepsRowsAndFilesTogether(t *testing.T) {
	defer func(n int) { pruneRunBatch = n }(pruneRunBatch)
	pruneRunBatch = 3
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: pgtest.DSN(t), ReportDir: dir, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now().AddDate(0, 0, -2).Truncate(time.Millisecond)
	ids := make([]string, 8)
	for i := range ids {
		ids[i] = fmt.Sprintf("run-%d", i)
		at := t0.Add(time.Duration(i) * time.Second)
		path := filepath.Join(dir, ids[i]+".json")
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep := &report.Report{ReportVersion: report.FormatVersion, RunID: ids[i], Playbook: report.Playbook{Name: "old"},
			Status: report.StatusSucceeded, StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000}
		if err := s.RecordFinish(ctx, rep, path, ""); err != nil {
			t.Fatal(err)
		}
	}
	left := func() (runs, files []string) {
		list, err := s.List(ctx, history.Filter{Playbook: "old", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			runs = append(runs, r.ID)
		}
		slices.Sort(runs)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, e.Name())
		}
		return runs, files
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := 0
	afterPruneBatch = func() { batches++; cancel() }
	defer func() { afterPruneBatch = nil }()
	removed, err := s.Prune(pctx, 0, 1) // every run is older than a day
	if err == nil {
		t.Fatal("Prune stopped after its first batch returned no error")
	}
	if batches != 1 {
		t.Errorf("Prune went on for %d batches after it was stopped, want it to stop after the first", batches)
	}
	var want []string
	for _, id := range ids[:3] {
		want = append(want, filepath.Join(dir, id+".json"))
	}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("report files removed by the stopped prune, want those of its first batch (-want +got):\n%s", diff)
	}
	runs, files := left()
	if diff := cmp.Diff(ids[3:], runs); diff != "" {
		t.Errorf("runs left (-want +got):\n%s", diff)
	}
	var wantFiles []string
	for _, id := range ids[3:] {
		wantFiles = append(wantFiles, id+".json")
	}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("report files left, want those of the runs left (-want +got):\n%s", diff)
	}

	afterPruneBatch = nil
	if _, err := s.Prune(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if runs, files := left(); len(runs)+len(files) != 0 {
		t.Errorf("after the next prune, runs %v and report files %v are left, want none", runs, files)
	}
}
