package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recordWithReports records n runs of playbook old, a second apart from
// t0, each with a report file in the reports folder, and returns their ids,
// oldest first.
func recordWithReports(t *testing.T, s *Store, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("run-%03d", i)
		r := sampleReport(ids[i], t0.Add(time.Duration(i)*time.Second))
		r.Playbook.Name = "old"
		path := filepath.Join(s.Reports(), ids[i]+".json")
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRecord(t, s, r, path)
	}
	return ids
}

// runsAndFiles lists the ids of the runs of playbook old, oldest first,
// and the report files left, by name.
func runsAndFiles(t *testing.T, s *Store) (runs, files []string) {
	t.Helper()
	list, err := s.List(context.Background(), Filter{Playbook: "old", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		runs = append(runs, r.ID)
	}
	slices.Sort(runs)
	entries, err := os.ReadDir(s.Reports())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files = append(files, e.Name())
	}
	return runs, files
}

// TestPruneLetsWritersIn: a prune of a backlog bigger than a batch
// releases the write lock between its batches, so that a run recorded by
// another process while it goes is written then, not after the whole
// prune. Before, the prune deleted every run in one transaction: the
// runs, executes and slot claims of every process on the state dir waited
// behind it, and gave up after the busy timeout.
func TestPruneLetsWritersIn(t *testing.T) {
	defer func(n int) { pruneRunBatch = n }(pruneRunBatch)
	pruneRunBatch = 3
	s := openStore(t)
	ids := recordWithReports(t, s, 12)
	other, err := Open(s.dir) // another process's store on the state dir
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	batches, written := 0, -1
	var writeErr error
	afterPruneBatch = func() {
		batches++
		if written >= 0 {
			return
		}
		// The prune is under way: 9 runs are still to go.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r := sampleReport("writer", t0.Add(time.Hour))
		writeErr = other.RecordFinish(ctx, r, "", "")
		written = batches
	}
	defer func() { afterPruneBatch = nil }()

	removed, err := s.Prune(context.Background(), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if written < 0 {
		t.Fatalf("the prune of 10 runs wrote no batch before it ended: no writer could get in while it held the write lock")
	}
	if writeErr != nil {
		t.Fatalf("a run recorded while the prune was under way (after batch %d) failed: %v", written, writeErr)
	}
	if batches != 4 {
		t.Errorf("the prune of 10 runs in batches of 3 took %d batches, want 4", batches)
	}
	if _, err := s.Get(context.Background(), "writer"); err != nil {
		t.Errorf("the run written during the prune: %v", err)
	}
	if len(removed) != 10 {
		t.Errorf("Prune removed %d report files, want the 10 of the pruned runs", len(removed))
	}
	runs, files := runsAndFiles(t, s)
	if diff := cmp.Diff(ids[10:], runs); diff != "" {
		t.Errorf("runs kept (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ids[10] + ".json", ids[11] + ".json"}, files); diff != "" {
		t.Errorf("report files kept (-want +got):\n%s", diff)
	}
}

// TestPruneStoppedKeepsRowsAndFilesTogether: a prune stopped between two
// batches keeps what it deleted, and the report files of those runs alone
// are gone: no row is left whose file was removed, no file whose row was.
// A prune cut short by its timeout used to be undone whole, so a backlog
// too big for one prune's time was never pruned at all.
func TestPruneStoppedKeepsRowsAndFilesTogether(t *testing.T) {
	defer func(n int) { pruneRunBatch = n }(pruneRunBatch)
	pruneRunBatch = 3
	s := openStore(t)
	ids := recordWithReports(t, s, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterPruneBatch = cancel
	defer func() { afterPruneBatch = nil }()

	removed, err := s.Prune(ctx, 0, 1) // every run is older than a day
	if err == nil {
		t.Fatal("Prune stopped after its first batch returned no error")
	}
	var want []string
	for _, id := range ids[:3] {
		want = append(want, filepath.Join(s.Reports(), id+".json"))
	}
	if diff := cmp.Diff(want, removed); diff != "" {
		t.Errorf("report files removed by the stopped prune, want those of its first batch (-want +got):\n%s", diff)
	}
	runs, files := runsAndFiles(t, s)
	if diff := cmp.Diff(ids[3:], runs); diff != "" {
		t.Errorf("runs left (-want +got):\n%s", diff)
	}
	var left []string
	for _, id := range ids[3:] {
		left = append(left, id+".json")
	}
	if diff := cmp.Diff(left, files); diff != "" {
		t.Errorf("report files left, want those of the runs left (-want +got):\n%s", diff)
	}

	// The next prune goes on from there.
	if _, err := s.Prune(context.Background(), 0, 1); err != nil {
		t.Fatal(err)
	}
	if runs, files := runsAndFiles(t, s); len(runs)+len(files) != 0 {
		t.Errorf("after the next prune, runs %v and report files %v are left, want none", runs, files)
	}
}
