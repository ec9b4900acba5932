package cli

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestSignalDuringFinallyCancelsTheRun sends SIGINT or SIGTERM to the built
// binary while a run that succeeded is in its finally: the handler still
// completes, and the run ends cancelled with exit 130 or 143 instead of
// the signal being acknowledged and dropped.
func TestSignalDuringFinallyCancelsTheRun(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "cleanup.yaml", `version: 1
name: cleanup
steps:
  - {id: work, op: control.noop}
finally:
  - {id: announce, op: control.log, with: {message: cleanup starting}}
  - {id: cleanup, op: shell.exec, with: {command: [sleep, "2"]}}
  - {id: done, op: control.log, with: {message: cleanup done}}
`)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, ExitInterrupted}, {syscall.SIGTERM, ExitTerminated}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			rep := filepath.Join(t.TempDir(), "r.json")
			p := start(t, "cleanup starting", "run", pb, "--report", rep, "--log-format", "json")
			time.Sleep(300 * time.Millisecond)
			p.cmd.Process.Signal(tc.sig)
			if code := p.wait(t); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, p.stderr.String())
			}
			r := readReport(t, rep)
			got := statuses(r)
			for _, id := range []string{"work", "announce", "cleanup", "done"} {
				if got[id] != report.StatusSucceeded {
					t.Errorf("step %s: %s; the handlers should finish within their budget", id, got[id])
				}
			}
			if r.Status != report.StatusCancelled || r.Error == nil || !strings.Contains(r.Error.Message, "interrupted by") {
				t.Errorf("run %s %+v, want cancelled", r.Status, r.Error)
			}
		})
	}
}
