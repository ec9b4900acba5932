package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// groupPlaybook is a playbook of concurrency group deploy-api with a
// policy; playbooks of different names share the group.
func groupPlaybook(name, policy string) string {
	return fmt.Sprintf(`version: 1
name: %s
concurrency: {group: "deploy-${{ inputs.service }}", policy: %s}
inputs:
  service: {type: string, default: api}
  nap: {type: string, default: 1ms}
steps:
  - {id: hold, op: control.log, with: {message: "holding the group"}}
  - {id: work, op: control.sleep, with: {duration: "${{ inputs.nap }}"}}
`, name, policy)
}

// TestConcurrencyAcrossProcesses runs playbooks of one concurrency group
// in separate arsenal-run processes: sharing a state dir, and, without
// one, sharing the temporary directory. A queued run waits until the
// holder ends; a skip run does not start; a cancel_running run stops the
// holder, then runs.
func TestConcurrencyAcrossProcesses(t *testing.T) {
	binary(t)
	for _, mode := range []string{"state dir", "lock files"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{"TMPDIR=" + t.TempDir()}
			var extra []string
			if mode == "state dir" {
				extra = []string{"--state-dir", filepath.Join(dir, "state")}
			}
			queue := writePlaybook(t, dir, "queue.yaml", groupPlaybook("deploy", "queue"))
			skip := writePlaybook(t, dir, "skip.yaml", groupPlaybook("hotfix", "skip"))
			replace := writePlaybook(t, dir, "replace.yaml", groupPlaybook("rollback", "cancel_running"))
			run := func(marker, pb, name string, args ...string) (*started, string) {
				t.Helper()
				rep := filepath.Join(dir, name+".json")
				all := append(append([]string{"run", pb, "--report", rep, "--log-format", "json"}, args...), extra...)
				return startEnv(t, env, marker, all...), rep
			}

			// queue: the second run waits for the first to end.
			a, aRep := run("holding the group", queue, "a", "--input", "nap=10m")
			b, bRep := run("waiting for concurrency group", queue, "b")
			// A JSON line at info (--log-format json), the group's name
			// quoted in it.
			noted := false
			for line := range strings.Lines(b.stderr.String()) {
				noted = noted || strings.Contains(line, `"level":"info"`) && strings.Contains(line, `waiting for concurrency group \"deploy-api\"`)
			}
			if !noted {
				t.Errorf("b's notice:\n%s", b.stderr.String())
			}
			// A run of another group does not wait.
			other, otherRep := run("holding the group", queue, "other", "--input", "service=web")
			if code := other.wait(t); code != ExitOK {
				t.Errorf("a run of another group: exit %d\n%s", code, other.stderr.String())
			}
			a.cmd.Process.Signal(syscall.SIGINT)
			if code := a.wait(t); code != ExitInterrupted {
				t.Errorf("a: exit %d\n%s", code, a.stderr.String())
			}
			if code := b.wait(t); code != ExitOK {
				t.Fatalf("b: exit %d\n%s", code, b.stderr.String())
			}
			ra, rb := readReport(t, aRep), readReport(t, bRep)
			if rb.StartedAt.Before(ra.FinishedAt) {
				t.Errorf("b started at %s, before a ended at %s", rb.StartedAt, ra.FinishedAt)
			}
			if ro := readReport(t, otherRep); !ro.FinishedAt.Before(ra.FinishedAt) {
				t.Errorf("the other group's run ended at %s, after a (%s): it waited", ro.FinishedAt, ra.FinishedAt)
			}

			// skip: a run of the busy group does not start.
			c, cRep := run("holding the group", queue, "c", "--input", "nap=10m")
			d, dRep := run("", skip, "d")
			if code := d.wait(t); code != ExitInterrupted {
				t.Errorf("d: exit %d\n%s", code, d.stderr.String())
			}
			rd := readReport(t, dRep)
			if rd.Status != report.StatusCancelled || rd.Error == nil || !strings.HasPrefix(rd.Error.Message, `skipped: concurrency group "deploy-api" is busy with run `) {
				t.Errorf("d: %s %+v", rd.Status, rd.Error)
			}

			// cancel_running: the holder is cancelled, then the new run runs.
			e, eRep := run("", replace, "e")
			if code := e.wait(t); code != ExitOK {
				t.Errorf("e: exit %d\n%s", code, e.stderr.String())
			}
			if code := c.wait(t); code != ExitInterrupted {
				t.Errorf("c: exit %d\n%s", code, c.stderr.String())
			}
			rc, re := readReport(t, cRep), readReport(t, eRep)
			if rc.Status != report.StatusCancelled || rc.Error == nil || !strings.Contains(rc.Error.Message, "cancelled by run "+re.RunID+` of concurrency group "deploy-api" (policy cancel_running)`) {
				t.Errorf("c: %s %+v", rc.Status, rc.Error)
			}
			if re.StartedAt.Before(rc.FinishedAt) {
				t.Errorf("e started at %s, before c ended at %s", re.StartedAt, rc.FinishedAt)
			}
		})
	}
}
