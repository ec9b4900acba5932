package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestDamagedHistoryExits1: a history.db that SQLite finds is no database
// is a store that failed, not a usage error: history, stats, report and
// cache exit 1, as docs/cli.md says, with what to do.
func TestDamagedHistoryExits1(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := filepath.Join(state, history.FileName)
	for _, f := range []string{db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"history"}, {"history", "show", "20260101T000000"}, {"stats"}, {"cache", "list"}} {
		r := runMain(t, append(args, "--state-dir", state)...)
		if r.code != ExitFailed || !strings.Contains(r.stderr, "to start a new, empty history") {
			t.Errorf("%s of a damaged history.db: exit %d, want %d\n%s", strings.Join(args, " "), r.code, ExitFailed, r.stderr)
		}
	}
}
