package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
)

const tickPlaybook = "version: 1\nname: tick\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: a, op: control.log, with: {message: tick}}\n"

// tickRuns is the number of runs of the playbook tick that base records.
func tickRuns(t *testing.T, base, key string) int {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=tick&limit=1000", key, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/runs: %d %v", code, body)
	}
	runs, _ := body["runs"].([]any)
	return len(runs)
}

// waitTickRuns waits up to 15 s for base to record more than n runs of tick.
func waitTickRuns(t *testing.T, p *started, base, key string, n int) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if got := tickRuns(t, base, key); got > n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("no run of tick after %d; stderr:\n%s", n, p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func healthz(t *testing.T, base string) map[string]any {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, base+"/healthz", "", nil)
	if code != http.StatusOK {
		t.Fatalf("/healthz: %d %v", code, body)
	}
	return body
}

func schedulerOn(t *testing.T, base, key string) bool {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/schedules", key, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/schedules: %d %v", code, body)
	}
	return body["scheduler"] == true
}

// A serve that started with no scheduled playbook starts its scheduler
// when a SIGHUP brings one.
func TestServeScheduleStartsOnReload(t *testing.T) {
	f := newServeFixture(t)
	p, base := f.serve(t)
	if h := healthz(t, base); h["scheduler"] != "none" {
		t.Errorf("healthz before the reload: %v", h)
	}
	writePlaybook(t, f.playbooks, "tick.yaml", tickPlaybook)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	if !strings.Contains(p.stderr.String(), "SIGHUP: starting the scheduler for 1 scheduled playbook") {
		t.Errorf("no line about the scheduler starting:\n%s", p.stderr.String())
	}
	waitTickRuns(t, p, base, f.admin, 0)
	if !schedulerOn(t, base, f.admin) {
		t.Error(`GET /api/v1/schedules: "scheduler" is not true`)
	}
	if h := healthz(t, base); h["scheduler"] != "running" {
		t.Errorf("healthz after the reload: %v", h)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
}

// A second serve on the state dir stands by while the first holds the
// scheduler lock, says so, and takes over the schedules when it stops.
func TestServeStandbyTakesOverTheSchedules(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "tick.yaml", tickPlaybook)
	first, base1 := f.serve(t)
	waitTickRuns(t, first, base1, f.admin, 0)
	second, base2 := f.serve(t)
	second.waitFor(t, "the scheduler is on standby: pid "+strconv.Itoa(first.cmd.Process.Pid))
	h := healthz(t, base2)
	if h["scheduler"] != "standby" || h["scheduler_holder"] != nil {
		t.Errorf("healthz of the standby, without a key: %v", h)
	}
	// The holder's pid is a detail for a caller with a key.
	if _, h = apiCall(t, http.MethodGet, base2+"/healthz", f.admin, nil); h["scheduler_holder"] != float64(first.cmd.Process.Pid) {
		t.Errorf("healthz of the standby, with a key: %v", h)
	}
	if schedulerOn(t, base2, f.admin) {
		t.Error(`GET /api/v1/schedules of the standby: "scheduler" is true`)
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	if code := first.wait(t); code != 0 {
		t.Fatalf("first: exit %d:\n%s", code, first.stderr.String())
	}
	n := tickRuns(t, base2, f.admin)
	second.waitFor(t, fmt.Sprintf("taking over the schedules from pid %d", first.cmd.Process.Pid))
	waitTickRuns(t, second, base2, f.admin, n)
	if h := healthz(t, base2); h["scheduler"] != "running" {
		t.Errorf("healthz after the takeover: %v", h)
	}
	if !schedulerOn(t, base2, f.admin) {
		t.Error(`GET /api/v1/schedules after the takeover: "scheduler" is not true`)
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	if code := second.wait(t); code != 0 {
		t.Fatalf("second: exit %d:\n%s", code, second.stderr.String())
	}
}

// serve --grace bounds the wait for scheduled runs on SIGTERM too, and a
// second SIGTERM meanwhile changes nothing but is logged.
func TestServeGraceBoundsScheduledRuns(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "long.yaml", "version: 1\nname: long\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: s, op: control.sleep, with: {duration: 60s}}\n")
	p, base := f.serve(t, "--grace", "1s")
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=long", f.admin, nil)
		if runs, _ := body["runs"].([]any); code == http.StatusOK && len(runs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run started; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	began := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	// A second SIGTERM while it stops changes nothing, and is said.
	p.waitFor(t, "draining those in flight")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
	if took := time.Since(began); took > 8*time.Second {
		t.Errorf("SIGTERM with --grace 1s took %s:\n%s", took, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "SIGTERM: already stopping") {
		t.Errorf("the second SIGTERM was not logged:\n%s", p.stderr.String())
	}
}

// serve reads --listen as schedule does: a bare port listens on loopback,
// and an address it cannot take is bad usage, naming the flag.
func TestServeListenLikeSchedule(t *testing.T) {
	f := newServeFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	args := []string{"serve", "--listen", port, "--keys", f.keys, "--state-dir", f.state}
	p := start(t, "listening on", args...)
	if !strings.Contains(p.stderr.String(), "listening on http://127.0.0.1:"+port+" ") {
		t.Errorf("a bare port does not listen on loopback:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}
	for _, addr := range []string{"127.0.0.1:99999", "70000", "localhost", ""} {
		state := filepath.Join(t.TempDir(), "state")
		r := runMain(t, "serve", "--listen", addr, "--keys", f.keys, "--state-dir", state)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--listen "+addr+":") {
			t.Errorf("--listen %q: exit %d, stderr %q; want %d naming --listen", addr, r.code, r.stderr, ExitUsage)
		}
		if _, err := os.Stat(state); err == nil {
			t.Errorf("--listen %q: the state dir was made before the usage error", addr)
		}
	}
}

// TestServeScheduledRunsTakeTheReloadedPolicy: serve's scheduled runs are
// judged by the policy as last reloaded, as its API's are, so a SIGHUP can
// take rights away from them; it says which schedules it now denies. At
// start-up a scheduled playbook the policy denies stops serve, as it stops
// schedule.
func TestServeScheduledRunsTakeTheReloadedPolicy(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "tick.yaml", tickPlaybook)
	deny := "version: 1\nroles:\n  operator: {inherits: [viewer], max_risk: write, deny: [control.log]}\n"
	denied := writePlaybook(t, f.dir, "denied.yaml", deny)
	r := runMain(t, "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--playbooks", f.playbooks, "--state-dir", f.state, "--policy", denied)
	if r.code != ExitDenied || !strings.Contains(r.stderr, "tick.yaml:5:5: step a: op control.log (read) is denied for role operator") {
		t.Fatalf("serve with a scheduled playbook its policy denies: exit %d\n%s", r.code, r.stderr)
	}

	policy := writePlaybook(t, f.dir, "policy.yaml", "version: 1\nroles:\n  ci: {inherits: [viewer]}\n")
	p, base := f.serve(t, "--policy", policy)
	waitTickRuns(t, p, base, f.admin, 0)
	writePlaybook(t, f.dir, "policy.yaml", deny)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: reloaded")
	p.waitFor(t, "the policy now denies a scheduled run")
	// The runs that started before the reload may still be recorded.
	time.Sleep(1500 * time.Millisecond)
	reloaded := tickRuns(t, base, f.admin)
	waitTickRuns(t, p, base, f.admin, reloaded)
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=tick&limit=1", f.admin, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/runs: %d %v", code, body)
	}
	last := body["runs"].([]any)[0].(map[string]any)
	if last["status"] != "failed" {
		t.Errorf("a scheduled run after the reload: %v, want it failed, denied", last)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)
}

// TestServeTakesNoRequestsWhileScheduledRunsEnd: on SIGTERM serve stops
// accepting at once, also while the scheduled runs still going get their
// --grace: a balancer sees it gone (and /healthz no longer answers ok),
// rather than sending it runs that the end of the grace cancels.
func TestServeTakesNoRequestsWhileScheduledRunsEnd(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "long.yaml", "version: 1\nname: long\nschedule: {cron: \"@every 1s\"}\nsteps:\n  - {id: s, op: control.sleep, with: {duration: 5m}}\n")
	p, base := f.serve(t, "--grace", "5m")
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=long&status=running", f.admin, nil)
		if runs, _ := body["runs"].([]any); code == http.StatusOK && len(runs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run started; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitFor(t, "stopping: waiting for running runs")
	client := &http.Client{Timeout: 5 * time.Second}
	deadline = time.Now().Add(15 * time.Second)
	for {
		res, err := client.Get(base + "/healthz")
		if err != nil {
			break // refused: nothing listens any more
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still answers 200 while the scheduled run has its grace; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The run would have its five minutes: the process is killed by the
	// fixture's cleanup.
}

// TestServeReloadDuringStartUpDoesNotKillIt: a SIGHUP (systemctl reload)
// while serve's start-up waits on a database that takes the connection but
// never answers does not kill serve, SIGHUP's default; the start-up ends
// when the connection's timeout says so, with an error that explains it.
func TestServeReloadDuringStartUpDoesNotKillIt(t *testing.T) {
	f := newServeFixture(t)
	addr, reached := pgtest.Silent(t)
	url := "postgres://app:pw@" + addr + "/ops?sslmode=disable&connect_timeout=2"
	p := start(t, "", "serve", "--listen", "127.0.0.1:0", "--keys", f.keys, "--state", url, "--audit-log", filepath.Join(f.dir, "audit.log"))
	select {
	case <-reached: // serve is in its start-up, connecting
	case <-time.After(20 * time.Second):
		t.Fatalf("serve never connected; stderr:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	code := p.wait(t)
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("SIGHUP during start-up killed serve; stderr:\n%s", p.stderr.String())
	}
	if code == 0 || !strings.Contains(p.stderr.String(), "gave no answer within 2s") {
		t.Errorf("exit %d, stderr:\n%s\nwant a failed start-up saying the database gave no answer", code, p.stderr.String())
	}
}

// serve --max-concurrent-runs bounds the runs of one scheduled playbook
// under overlap: allow, as schedule's flag does, and the skipped slot
// names the flag to raise; a bound below 1, or one beside --no-schedule,
// is bad usage.
func TestServeMaxConcurrentRunsBoundsOverlapAllow(t *testing.T) {
	f := newServeFixture(t)
	writePlaybook(t, f.playbooks, "long.yaml", "version: 1\nname: long\nschedule: {cron: \"@every 1s\", overlap: allow}\nsteps:\n  - {id: s, op: control.sleep, with: {duration: 60s}}\n")
	p, base := f.serve(t, "--max-concurrent-runs", "1", "--grace", "1s")
	want := "at most 1 of its runs at once, --max-concurrent-runs"
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := apiCall(t, http.MethodGet, base+"/api/v1/schedules", f.admin, nil)
		b, _ := json.Marshal(body)
		if code == http.StatusOK && strings.Contains(string(b), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot skipped for the bound (%q) in 15 s: %s\nstderr:\n%s", want, b, p.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, body := apiCall(t, http.MethodGet, base+"/api/v1/runs?playbook=long&status=running", f.admin, nil)
	if runs, _ := body["runs"].([]any); code != http.StatusOK || len(runs) != 1 {
		t.Errorf("running runs of long under --max-concurrent-runs 1: %d %v, want one", code, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.stderr.String())
	}

	for _, args := range [][]string{{"--max-concurrent-runs", "0"}, {"--max-concurrent-runs", "3", "--no-schedule"}} {
		res := runMain(t, append([]string{"serve", "--keys", f.keys, "--state-dir", f.state, "--playbooks", f.playbooks}, args...)...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, "--max-concurrent-runs") {
			t.Errorf("serve %v: exit %d, want %d naming --max-concurrent-runs:\n%s", args, res.code, ExitUsage, res.stderr)
		}
	}
}
