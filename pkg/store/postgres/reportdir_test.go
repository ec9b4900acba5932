package postgres

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestReportDirRemovedStopsRuns: a --report-dir removed (or renamed)
// under a serve or schedule left every later run recorded as it ended,
// its report lost, with only a warning naming "the state dir". The store
// now says the folder is gone, which the run service refuses a run for.
func TestReportDirRemovedStopsRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	s, err := Open(context.Background(), Config{URL: pgtest.DSN(t), ReportDir: dir, Lease: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckDir(); err != nil {
		t.Fatalf("the report dir as opened: %v", err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	err = s.CheckDir()
	if !errors.Is(err, history.ErrStateDirMoved) || !strings.HasPrefix(err.Error(), "the report dir "+dir+" was moved or removed") || !strings.Contains(err.Error(), "its path no longer exists") {
		t.Fatalf("the removed report dir: %v", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckDir(); err == nil || !strings.Contains(err.Error(), "now names another directory") {
		t.Fatalf("another directory at its path: %v", err)
	}
}
