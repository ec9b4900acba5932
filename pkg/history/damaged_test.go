package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenDamagedDatabaseSaysWhatToDo: a history database that is not a
// database (a write cut short, another file copied over it) is refused
// naming the file and saying how to start a new history and that the
// reports stay.
func TestOpenDamagedDatabaseSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := filepath.Join(dir, FileName)
	for _, f := range []string{db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if err == nil {
		t.Fatal("a damaged database opened")
	}
	for _, want := range []string{db + ":", "mv " + db + "* DIR", "the reports in " + filepath.Join(dir, ReportsDir) + " stay"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
