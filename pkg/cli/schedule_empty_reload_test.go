package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestScheduleReloadOfAnEmptiedDirSaysWhatToDo: the last scheduled
// playbook of the directory is deleted and the scheduler sent SIGHUP.
// Before, the reload failed with only "no playbooks with a schedule:
// block in this directory" while the deleted file's content kept firing,
// and nothing said how to stop it. Now the reload error names what keeps
// firing and the two ways on: put a playbook back, or stop the scheduler.
func TestScheduleReloadOfAnEmptiedDirSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	tick := writePlaybook(t, jobs, "tick.yaml", everySecond)
	p := start(t, "scheduler started", "schedule", jobs, "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	if err := os.Remove(tick); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload to fail", func() bool { return strings.Contains(p.stderr.String(), "reload failed") })
	log := p.stderr.String()
	for _, want := range []string{
		"no playbooks with a schedule: block in this directory: give one of its playbooks a schedule: block",
		"the playbooks loaded before keep firing as they were read then, deleted or not: tick (" + tick + ")",
		"put a playbook with a schedule: block back in " + jobs + " and send SIGHUP again",
		"to fire none of them, stop the scheduler (SIGTERM)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the failed reload does not say %q:\n%s", want, log)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitOK {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, p.stderr.String())
	}
}
