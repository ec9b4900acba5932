package runs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// finishesStore is a startsStore that also keeps the playbook path each
// finished run is recorded with.
type finishesStore struct {
	*startsStore
	mu       sync.Mutex
	finishes map[string]string
}

func (s *finishesStore) RecordFinish(ctx context.Context, r *report.Report, path, pbPath string) error {
	s.mu.Lock()
	s.finishes[r.RunID] = pbPath
	s.mu.Unlock()
	return s.startsStore.RecordFinish(ctx, r, path, pbPath)
}

// A playbook given by a relative path is handed to the history by its
// absolute path, made once at load, at the start and at the end of each
// run (so that the history does not look the working directory up on
// every run), while the report keeps the path as it was given.
func TestRelativePlaybookRecordedAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("jobs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("jobs", "p1.yaml"), []byte("version: 1\nname: p1\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &finishesStore{startsStore: &startsStore{Store: h, starts: map[string]history.Run{}}, finishes: map[string]string{}}
	m := newManager(t, Config{Store: st}, Limits{})
	run, err := m.Start(context.Background(), Request{Path: "jobs/p1.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	rep := wait(t, run)
	if rep.Playbook.Path != "jobs/p1.yaml" {
		t.Errorf("report playbook.path = %q, want it as given, jobs/p1.yaml", rep.Playbook.Path)
	}
	want := filepath.Join(dir, "jobs", "p1.yaml")
	if start, ok := st.start(rep.RunID); !ok || start.Path != want {
		t.Errorf("start recorded with path %q (recorded: %v), want %q", start.Path, ok, want)
	}
	st.mu.Lock()
	finish := st.finishes[rep.RunID]
	st.mu.Unlock()
	if finish != want {
		t.Errorf("end recorded with playbook path %q, want %q", finish, want)
	}
	row, err := h.Get(context.Background(), rep.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Path != want {
		t.Errorf("history row path = %q, want %q", row.Path, want)
	}
}
