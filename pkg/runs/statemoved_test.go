package runs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestStateDirMovedUnderTheService: a run that ends after its state dir
// was moved says its report is lost because the state dir was moved, not
// a bare "no such file or directory"; a run asked for then is refused,
// saying so; with the state dir moved back, runs start again.
func TestStateDirMovedUnderTheService(t *testing.T) {
	parent := t.TempDir()
	wd := filepath.Join(parent, "wd")
	state := filepath.Join(wd, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, Config{StateDir: state}, Limits{})
	path := writePlaybook(t, `version: 1
name: asks
steps:
  - {id: go, op: control.noop, confirm: "Go?"}
`)
	h, err := m.Start(context.Background(), Request{Path: path, Ask: true})
	if err != nil {
		t.Fatal(err)
	}
	sub := h.Events().Subscribe(0)
	nextAsked(t, sub)
	sub.Cancel()
	moved := filepath.Join(parent, "wd2")
	if err := os.Rename(wd, moved); err != nil {
		t.Fatal(err)
	}
	if err := h.Answer(Answer{Step: "go", Yes: true, By: Caller{Name: "bob"}}); err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	// The history may fail too: SQLite opens a new connection by path.
	errs := h.SinkErrors()
	if len(errs) == 0 || !errors.Is(errs[0], history.ErrStateDirMoved) || !strings.Contains(errs[0].Error(), "the report of run "+h.ID()+" is lost") {
		t.Errorf("sink errors of a run whose state dir was moved: %v", errs)
	}

	if _, err := m.Start(context.Background(), Request{Path: path}); !errors.Is(err, history.ErrStateDirMoved) || !strings.Contains(err.Error(), "is now "+filepath.Join(moved, "state")) {
		t.Errorf("a run started with the state dir moved: %v", err)
	}

	if err := os.Rename(moved, wd); err != nil {
		t.Fatal(err)
	}
	h, err = m.Start(context.Background(), Request{Path: path, Ask: true})
	if err != nil {
		t.Fatalf("a run started with the state dir moved back: %v", err)
	}
	sub = h.Events().Subscribe(0)
	nextAsked(t, sub)
	sub.Cancel()
	if err := h.Answer(Answer{Step: "go", Yes: true}); err != nil {
		t.Fatal(err)
	}
	wait(t, h)
	if errs := h.SinkErrors(); len(errs) != 0 {
		t.Errorf("sink errors with the state dir back: %v", errs)
	}
	if _, err := os.Stat(filepath.Join(state, history.ReportsDir, h.ID()+".json")); err != nil {
		t.Error(err)
	}
}
