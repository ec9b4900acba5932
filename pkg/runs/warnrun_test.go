package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// downStore is a history whose start and step rows cannot be written.
type downStore struct{ store.Store }

func (downStore) RecordStart(context.Context, history.Run) error {
	return errors.New("database is locked")
}

func (downStore) RecordSteps(context.Context, string, []history.StepResult) error {
	return errors.New("database is locked")
}

// TestHistoryWarningsNameTheRun: a run whose history rows cannot be
// written is warned of through WarnRun, with the run's id, so that serve's
// and schedule's log line carries run_id and is found with the run's
// other lines. Before, the warning went to Warn with no run id at all.
func TestHistoryWarningsNameTheRun(t *testing.T) {
	h, err := history.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var mu sync.Mutex
	var plain, byRun []string
	m := newManager(t, Config{Store: downStore{h},
		Warn: func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			plain = append(plain, fmt.Sprintf(format, args...))
		},
		WarnRun: func(runID, format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			byRun = append(byRun, runID+": "+fmt.Sprintf(format, args...))
		}}, Limits{})
	run, err := m.Start(context.Background(), Request{Path: writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, run)
	mu.Lock()
	defer mu.Unlock()
	for _, l := range plain {
		if strings.Contains(l, "database is locked") {
			t.Errorf("warned with no run id: %q", l)
		}
	}
	if !strings.Contains(strings.Join(byRun, "\n"), run.ID()+": history: database is locked") {
		t.Errorf("no warning of run %s's history rows; by run: %q", run.ID(), byRun)
	}
}
