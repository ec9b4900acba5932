package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
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
	p.waitFor(t, "SIGTERM: already stopping; the runs still going were cancelled, and schedule exits once their on_cancel and finally steps have ended (at most 5m after the cancel, and the kill_grace of a shell.exec step then stopping)")
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
}

// graceLeftRE is the warning of a signal while serve or schedule waits
// out its grace, with the time left.
var graceLeftRE = regexp.MustCompile(`SIGTERM: already stopping; the runs still going are cancelled when the grace of 10m ends, in ([0-9ms]+)`)

// checkGraceLeft waits for the warning of graceLeftRE and checks the time
// it says is left of a grace of 10 minutes that began moments ago.
func checkGraceLeft(t *testing.T, p *started) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for graceLeftRE.FindStringSubmatch(p.stderr.String()) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no warning with the grace left; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	left, err := time.ParseDuration(graceLeftRE.FindStringSubmatch(p.stderr.String())[1])
	if err != nil || left <= 8*time.Minute || left > 10*time.Minute {
		t.Errorf("time left %v (%v), want a little under 10m:\n%s", left, err, p.stderr.String())
	}
}

// TestSignalDuringGraceSaysTimeLeft: a second SIGTERM while serve or
// schedule waits out --grace for the runs still going is told how much of
// the grace is left, in the same words by both; schedule said neither the
// grace nor what was left of it.
func TestSignalDuringGraceSaysTimeLeft(t *testing.T) {
	t.Run("serve", func(t *testing.T) {
		f := newServeFixture(t)
		// A scheduled run: serve waits the grace for those, and cancels
		// the runs started through the API once requests have drained.
		writePlaybook(t, f.playbooks, "napper.yaml", "version: 1\nname: napper\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
		p, base := f.serve(t, "--grace", "10m")
		waitForRun(t, base, f.admin, "napper", "running")
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.waitFor(t, "draining those in flight")
		p.cmd.Process.Signal(syscall.SIGTERM)
		checkGraceLeft(t, p)
	})
	t.Run("schedule", func(t *testing.T) {
		dir := t.TempDir()
		jobs, state := filepath.Join(dir, "jobs"), filepath.Join(dir, "state")
		if err := os.MkdirAll(jobs, 0o755); err != nil {
			t.Fatal(err)
		}
		writePlaybook(t, jobs, "napper.yaml", "version: 1\nname: napper\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: nap, op: control.sleep, with: {duration: 1h}}\n")
		p := start(t, "scheduler started", "schedule", jobs, "--state-dir", state, "--grace", "10m", "--role", "admin")
		defer func() {
			p.cmd.Process.Kill()
			<-p.done
		}()
		p.waitFor(t, "run started")
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.waitFor(t, "stopping: no more slots fire")
		p.cmd.Process.Signal(syscall.SIGTERM)
		checkGraceLeft(t, p)
	})
}
