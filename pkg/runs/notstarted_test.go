package runs

import (
	"context"
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
