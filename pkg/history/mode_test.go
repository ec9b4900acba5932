package history

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDatabaseIsTheOwnersAlone: in a state dir made beforehand with mode
// 0755, the database and its WAL and shared-memory files are readable by
// their owner alone (they hold cached outputs), and a database left
// readable by an older release is made private.
func TestDatabaseIsTheOwnersAlone(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if existing {
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			for _, p := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
				os.Chmod(filepath.Join(dir, p), 0o644)
			}
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordStart(context.Background(), Run{ID: "r1", Playbook: "p", Status: StatusRunning}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
			st, err := os.Stat(filepath.Join(dir, p))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm()&0o077 != 0 {
				t.Errorf("existing %v: %s has mode %v; want no access for others", existing, p, st.Mode().Perm())
			}
		}
		s.Close()
	}
}

// TestReportsOfAnOlderReleaseAreTheOwnersAlone: a state dir an older
// release made has a reports folder 0755 with reports 0644 in it; once
// opened, no other user reaches those reports, as with a new state dir.
func TestReportsOfAnOlderReleaseAreTheOwnersAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	reports := filepath.Join(dir, ReportsDir)
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(reports, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reports, "r1.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(reports)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("reports folder has mode %v after Open; want 0700", st.Mode().Perm())
	}
}
