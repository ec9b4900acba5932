package history

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recordWithReport records a finished run r1 in s whose report file, in
// s's reports folder, holds body.
func recordWithReport(t *testing.T, s *Store, id, body string) string {
	t.Helper()
	path := filepath.Join(s.Reports(), id+".json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFinish(context.Background(), sampleReport(id, t0), path, ""); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadReportOfAMissingFile: a run whose report file is not there (its
// process died before writing it, or someone removed it) has no report:
// ErrNotFound, as the store's contract says, with the file named.
func TestReadReportOfAMissingFile(t *testing.T) {
	s := openStore(t)
	path := recordWithReport(t, s, "r1", `{"run_id":"r1"}`)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReadReport(context.Background(), "r1")
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadReport of a removed report file: %v, want ErrNotFound naming %s", err, path)
	}
	if err != nil && strings.Contains(err.Error(), ErrNotFound.Error()) {
		t.Errorf("ReadReport of a run in the history says it is not: %v", err)
	}
}

// TestReadReportOfAMovedStateDir: a state dir copied elsewhere (a backup
// restored, a move) keeps in its rows the report paths of where it was;
// its reports are read from where it is now, never from the old place,
// which may be another state dir with other content, or gone.
func TestReadReportOfAMovedStateDir(t *testing.T) {
	ctx := context.Background()
	oldDir := filepath.Join(t.TempDir(), "old")
	old, err := Open(oldDir)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := recordWithReport(t, old, "r1", `{"run_id":"r1","from":"copy"}`)
	recordWithReport(t, old, "r2", `{"run_id":"r2","from":"copy"}`)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	newDir := filepath.Join(t.TempDir(), "new")
	// Copied as a backup of a state dir is (the store closed: regular
	// files only).
	if err := os.CopyFS(newDir, os.DirFS(oldDir)); err != nil {
		t.Fatal(err)
	}
	// The old state dir lives on, and its reports change.
	if err := os.WriteFile(oldPath, []byte(`{"run_id":"r1","from":"the old state dir"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(newDir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run, err := s.Get(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if run.ReportPath != oldPath {
		t.Fatalf("the row's report path %q, want the old %q (else this test tests nothing)", run.ReportPath, oldPath)
	}
	newPath := filepath.Join(s.Reports(), "r1.json")
	if got := ReportFile(s.Reports(), "r1", run.ReportPath); got != newPath {
		t.Errorf("ReportFile = %q, want %q", got, newPath)
	}
	data, err := s.ReadReport(ctx, "r1")
	if err != nil || !strings.Contains(string(data), `"copy"`) {
		t.Errorf("ReadReport of a moved state dir: %s, %v; want the copy's report", data, err)
	}

	// Gone from the new state dir, it is not read from the old one.
	if err := os.Remove(newPath); err != nil {
		t.Fatal(err)
	}
	data, err = s.ReadReport(ctx, "r1")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), newPath) {
		t.Errorf("ReadReport of a report removed from the moved state dir: %s, %v; want ErrNotFound naming %s", data, err, newPath)
	}

	// Nor does a link lead back there.
	if err := os.Symlink(oldPath, newPath); err != nil {
		t.Fatal(err)
	}
	if data, err := s.ReadReport(ctx, "r1"); err == nil {
		t.Errorf("ReadReport followed a link out of the state dir: %s", data)
	}

	// With the old state dir gone, the copy still has its reports.
	if err := os.RemoveAll(oldDir); err != nil {
		t.Fatal(err)
	}
	if data, err := s.ReadReport(ctx, "r2"); err != nil || !strings.Contains(string(data), `"copy"`) {
		t.Errorf("ReadReport once the old state dir is gone: %s, %v", data, err)
	}
}

// TestReportFileElsewhere: a recorded path that is not a report of the
// state dir (not named after its run) is read where it is.
func TestReportFileElsewhere(t *testing.T) {
	s := openStore(t)
	other := filepath.Join(t.TempDir(), "kept.json")
	if err := os.WriteFile(other, []byte(`{"run_id":"r1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFinish(context.Background(), sampleReport("r1", t0), other, ""); err != nil {
		t.Fatal(err)
	}
	if got := ReportFile(s.Reports(), "r1", other); got != other {
		t.Errorf("ReportFile = %q, want %q", got, other)
	}
	if data, err := s.ReadReport(context.Background(), "r1"); err != nil || string(data) != `{"run_id":"r1"}` {
		t.Errorf("ReadReport of a report kept elsewhere: %s, %v", data, err)
	}
}
