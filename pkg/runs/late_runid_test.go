package runs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// byRun collects the warnings given through WarnRun, each as
// "RUN_ID: message", and those given through Warn.
type byRun struct {
	mu          sync.Mutex
	runs, plain []string
}

func (w *byRun) warn(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.plain = append(w.plain, fmt.Sprintf(format, args...))
}

func (w *byRun) warnRun(runID, format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.runs = append(w.runs, runID+": "+fmt.Sprintf(format, args...))
}

func (w *byRun) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return "by run:\n" + strings.Join(w.runs, "\n") + "\nwithout a run:\n" + strings.Join(w.plain, "\n")
}

// has reports whether a warning of run id says msg.
func (w *byRun) has(id, msg string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.runs {
		if strings.HasPrefix(l, id+": ") && strings.Contains(l, msg) {
			return true
		}
	}
	return false
}

// TestLateEndWarningsNameTheRun: the warnings about the end of a run that
// the store refused, recorded later (or never), go through WarnRun with
// the run's id, so that serve's and schedule's log line carries run_id and
// is found with the run's other lines. Before, they went to Warn, with the
// id in their text only.
func TestLateEndWarningsNameTheRun(t *testing.T) {
	t.Run("recorded at last", func(t *testing.T) {
		setLateEvery(t, 20*time.Millisecond)
		h, err := history.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		st := &awayStore{Store: h}
		w := &byRun{}
		m := newManager(t, Config{Store: st, Warn: w.warn, WarnRun: w.warnRun}, Limits{MaxRunning: 1})
		runs := runWhileAway(t, m, st, 1)
		st.away.Store(false)
		waitSucceeded(t, h, []string{runs[0].ID()}, "once the store is back")
		for deadline := time.Now().Add(10 * time.Second); !w.has(runs[0].ID(), "recorded at last"); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no warning of run %s says its end is recorded at last:\n%s", runs[0].ID(), w)
			}
		}
	})
	t.Run("given up on close", func(t *testing.T) {
		setLateEvery(t, time.Hour)
		h, err := history.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		st := &awayStore{Store: h}
		w := &byRun{}
		svc, err := NewService(Config{Registry: newRegistry(t), Store: st, Warn: w.warn, WarnRun: w.warnRun})
		if err != nil {
			t.Fatal(err)
		}
		m := NewManager(svc, Limits{MaxRunning: 1})
		runs := runWhileAway(t, m, st, 1)
		if err := m.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := svc.Close(); err != nil {
			t.Fatal(err)
		}
		if !w.has(runs[0].ID(), "could not be recorded, the first "+runs[0].ID()) {
			t.Errorf("no warning of run %s says its end could not be recorded:\n%s", runs[0].ID(), w)
		}
	})
	t.Run("an execute", func(t *testing.T) {
		h, st, _, _ := awayManager(t, Limits{})
		w := &byRun{}
		m := newManager(t, Config{Store: st, Warn: w.warn, WarnRun: w.warnRun}, Limits{})
		st.away.Store(true)
		res, err := m.ExecuteOp(context.Background(), OpRequest{Op: "control.noop", Caller: Caller{Trigger: TriggerAPI, Name: "ci"}})
		if err != nil {
			t.Fatal(err)
		}
		if !w.has(res.RunID, "recorded again every") {
			t.Errorf("no warning of execute %s says it is recorded again:\n%s", res.RunID, w)
		}
		st.away.Store(false)
		waitSucceeded(t, h, []string{res.RunID}, "once the store is back")
	})
}
