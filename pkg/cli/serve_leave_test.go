package cli

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops/proc"
)

// TestServeNamesEveryProcessItLeavesRunning: at its end serve logs the
// processes it started that go on running, those process.start started
// without a supervisor too (a run's worker): nothing reaps them any more.
// Before, it named only the processes of supervisor groups.
func TestServeNamesEveryProcessItLeavesRunning(t *testing.T) {
	sup := proc.NewSupervisor(proc.Options{})
	grouped, err := sup.Start(proc.Spec{Command: []string{"/bin/sleep", "300"}, Group: "api"})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := sup.Start(proc.Spec{Command: []string{"/bin/sleep", "301"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = sup.Stop(context.Background(), "api")
		_ = syscall.Kill(alone.PID, syscall.SIGKILL)
		sup.Close()
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(alone.PID, &ws, 0, nil) // unless its watcher did
	})
	var buf bytes.Buffer
	leaveProcesses(zerolog.New(&buf), sup, "serve")
	line := buf.String()
	for _, want := range []string{
		"2 processes",
		strconv.Itoa(grouped.PID) + " (supervisor api)",
		strconv.Itoa(alone.PID) + " (no supervisor)",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("serve's last word %q does not say %q", line, want)
		}
	}
}
