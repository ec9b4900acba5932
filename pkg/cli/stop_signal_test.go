package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// handlerWaiter is a playbook whose step sleeps until cancelled and whose
// on_cancel step waits for the file release.
func handlerWaiter(name, schedule, release string) string {
	return fmt.Sprintf(`version: 1
name: %s
%ssteps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
on_cancel:
  - id: cleanup
    op: shell.exec
    with: {script: 'while [ ! -e %s ]; do sleep 0.05; done'}
`, name, schedule, release)
}

// TestServeSignalWhileHandlersRunSaysSo: a SIGTERM that comes after serve
// cancelled its runs, while their on_cancel steps run, is told that serve
// waits for those steps, not that the runs will be cancelled when the
// grace ends, as they already were.
func TestServeSignalWhileHandlersRunSaysSo(t *testing.T) {
	f := newServeFixture(t)
	release := filepath.Join(f.dir, "release")
	writePlaybook(t, f.playbooks, "waiter.yaml", handlerWaiter("waiter", "", release))
	p, base := f.serve(t, "--grace", "1s")
	if code, body := apiCall(t, http.MethodPost, base+"/api/v1/playbooks/waiter/runs", f.admin, map[string]any{}); code != http.StatusAccepted {
		t.Fatalf("start: %d %v", code, body)
	}
	waitForRun(t, base, f.admin, "waiter", "running")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitFor(t, "cancelling 1 run still going")
	p.cmd.Process.Signal(syscall.SIGTERM)
	// A step given a kill_grace is waited for past the handler budget:
	// the bound said is not the handler budget alone.
	p.waitFor(t, "SIGTERM: already stopping; the runs still going were cancelled, and serve exits once their on_cancel and finally steps have ended (at most 5m after the cancel, and the kill_grace of a shell.exec step then stopping)")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
}

// TestScheduleSignalWhileHandlersRunSaysSo: the same for schedule, once
// its grace is over and its runs were cancelled.
func TestScheduleSignalWhileHandlersRunSaysSo(t *testing.T) {
	dir := t.TempDir()
	jobs, state, release := filepath.Join(dir, "jobs"), filepath.Join(dir, "state"), filepath.Join(dir, "release")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, jobs, "waiter.yaml", handlerWaiter("waiter", "schedule: {cron: \"@every 1s\"}\n", release))
	p := start(t, "scheduler started", "schedule", jobs, "--state-dir", state, "--grace", "1s", "--role", "admin")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	p.waitFor(t, "run started")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitFor(t, "grace period over: cancelling the runs still going")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitFor(t, "already stopping: the grace period is over and the runs still going were cancelled; schedule exits once their on_cancel and finally steps have ended")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
}
