package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCloseFinishesABegunStop: a stop interrupted during its grace
// period (Ctrl-C on the run, serve stopping) removed the group at once,
// but its SIGKILL was due on a timer that died with arsenal-run: a
// process that ignored SIGTERM ran on for good, with no group left to
// name it by. Close sends the SIGKILLs still due.
func TestCloseFinishesABegunStop(t *testing.T) {
	sup := NewSupervisor(Options{StopGrace: time.Hour})
	ready := filepath.Join(t.TempDir(), "ready")
	ci, err := sup.Start(Spec{Command: []string{"sh", "-c", "trap '' TERM; : > \"$1\"; while :; do sleep 1; done", "sh", ready}, Group: "stubborn"})
	if err != nil {
		t.Fatal(err)
	}
	pid := ci.PID
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	})
	eventually(t, "the process ignores SIGTERM", func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := sup.Stop(ctx, "stubborn"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stop of a process that ignores TERM, grace 1h, cut short: %v", err)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the process ended on SIGTERM: %v; the test needs one that ignores it", err)
	}
	if err := sup.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the process is killed", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(b), ") Z ")
	})
}
