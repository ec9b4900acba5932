package runs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunThatCannotStartAfterWaitingIsRecordedFailed: a run that waits for
// a place and then cannot start (its env_file went away meanwhile) is
// recorded failed, with the reason; its row does not stay running.
func TestRunThatCannotStartAfterWaitingIsRecordedFailed(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1})
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := os.WriteFile(env, []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withEnv := filepath.Join(dir, "e.yaml")
	if err := os.WriteFile(withEnv, []byte("version: 1\nname: withenv\nenv_file: .env\nsteps:\n  - {id: hi, op: control.noop}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	blocker, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: blocker\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 300ms}}\n")})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, blocker)
	h, err := m.Start(ctx, Request{Path: withEnv})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(env) // while the run waits for the place the blocker holds
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rep, werr := h.Wait(wctx)
	if werr == nil || rep == nil || rep.Status != report.StatusFailed {
		t.Fatalf("the run ended with %v, %v; want a failed report and the error", rep, werr)
	}
	row, err := m.Service().History().Get(ctx, h.ID())
	if err != nil || row.Status != report.StatusFailed || row.Error == nil || !strings.Contains(row.Error.Message, ".env") {
		t.Errorf("history says %s (%+v), %v; want failed, naming the env_file", row.Status, row.Error, err)
	}
}

// TestRequeuedRunIsNotRecordedAtShutdown: under Request.Requeue, a run
// still waiting for a place when the service shuts down ends with
// ErrShuttingDown and leaves no history, for its caller's queue to give
// to another process; without it, the run is recorded cancelled.
func TestRequeuedRunIsNotRecordedAtShutdown(t *testing.T) {
	for _, requeue := range []bool{true, false} {
		svc, err := NewService(Config{Registry: newRegistry(t), StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		m := NewManager(svc, Limits{MaxRunning: 1})
		ctx := context.Background()
		blocker, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: blocker\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")})
		if err != nil {
			t.Fatal(err)
		}
		waitRunning(t, blocker)
		h, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: waiter\nsteps:\n  - {id: a, op: control.noop}\n"), Requeue: requeue})
		if err != nil {
			t.Fatal(err)
		}
		now, cancel := context.WithCancel(ctx)
		cancel()
		m.Shutdown(now)
		rep, werr := h.Wait(ctx)
		row, gerr := svc.History().Get(ctx, h.ID())
		switch {
		case requeue && (!errors.Is(werr, ErrShuttingDown) || rep != nil || gerr == nil):
			t.Errorf("requeued: ended %v, %v, history %s %v; want ErrShuttingDown and no record", rep, werr, row.Status, gerr)
		case !requeue && (werr != nil || gerr != nil || row.Status != report.StatusCancelled):
			t.Errorf("not requeued: ended %v, history %s %v; want recorded cancelled", werr, row.Status, gerr)
		}
		svc.Close()
	}
}
