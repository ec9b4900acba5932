package proc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/opstest"
)

// leftovers starts into group a shell that leaves two sleeps behind in
// its process group, one that stops on SIGTERM and one that ignores it,
// and then ends as last says (an exit code, or a wait for a signal); a
// process started again finds the files and only waits. It returns the
// pid of the shell and the two pids it left, which are killed when the
// test ends should the test fail to have them ended.
func leftovers(t *testing.T, sup *Supervisor, group string, restart Restart, last string) (leader int, pids [2]int) {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	script := `[ -e "$2" ] && exec sleep 300
sleep 777 & echo $! > "$1"
(trap '' TERM; exec sleep 778) & echo $! > "$2"
` + last
	info, err := sup.Start(Spec{Command: []string{"/bin/sh", "-c", script, "sh", a, b}, Group: group, Restart: restart})
	if err != nil {
		t.Fatal(err)
	}
	pids = [2]int{grandchild(t, a), grandchild(t, b)}
	t.Cleanup(func() {
		for _, pid := range pids {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.HasPrefix(string(b), "sleep\x0077") {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	return info.PID, pids
}

// TestAutomaticRestartEndsWhatTheProcessLeft: before a supervised
// process is started again, what the ended one left in its process group
// gets SIGTERM, and SIGKILL after the grace, as systemd stops a unit's
// control group before it starts the unit again. Before, every restart
// left one more set of them running, out of reach of supervisor.stop.
func TestAutomaticRestartEndsWhatTheProcessLeft(t *testing.T) {
	for _, tc := range []struct{ name, last string }{
		{"fails", "exit 1"},
		{"killed", "wait"}, // as DELETE /api/v1/processes/{pid} does to it
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, sup := newEnv(t, Options{StopGrace: 300 * time.Millisecond})
			first, left := leftovers(t, sup, "svc", RestartOnFailure, tc.last)
			if tc.last == "wait" {
				if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "the process is started again", func() bool {
				cs, err := sup.Children("svc")
				return err == nil && cs[0].Status == "running" && cs[0].PID != first
			})
			gone(t, left[0])
			gone(t, left[1])
		})
	}
}

// TestStopAndRestartEndWhatAnEndedProcessLeft: supervisor.stop and
// supervisor.restart reach what a process that ended without a restart
// left in its process group. Before, they skipped an ended process, and
// what it left ran on.
func TestStopAndRestartEndWhatAnEndedProcessLeft(t *testing.T) {
	r, sup := newEnv(t, Options{StopGrace: 300 * time.Millisecond})
	_, left := leftovers(t, sup, "once", RestartNever, "exit 0")
	eventually(t, "the process ends", func() bool {
		cs, err := sup.Children("once")
		return err == nil && cs[0].Status == "exited"
	})
	for _, pid := range left {
		if err := syscall.Kill(pid, 0); err != nil {
			t.Fatalf("pid %d, left by a process that was not restarted, should run on until a stop: %v", pid, err)
		}
	}
	if _, err := opstest.Execute(r, context.Background(), "supervisor.stop", map[string]any{"supervisor": "once"}); err != nil {
		t.Fatal(err)
	}
	gone(t, left[0])
	gone(t, left[1])

	_, left = leftovers(t, sup, "again", RestartNever, "exit 0")
	eventually(t, "the process ends", func() bool {
		cs, err := sup.Children("again")
		return err == nil && cs[0].Status == "exited"
	})
	if _, err := sup.Restart(context.Background(), "again"); err != nil {
		t.Fatal(err)
	}
	gone(t, left[0])
	gone(t, left[1])
}
