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
