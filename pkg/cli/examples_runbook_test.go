package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// loadExample loads playbooks/NAME.yaml with the built-in operations.
func loadExample(t *testing.T, name string) *steps.Playbook {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	pb, err := steps.Load(examplePlaybook(t, name), reg)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// exampleStep returns the step id of pb's steps list.
func exampleStep(t *testing.T, pb *steps.Playbook, id string) *steps.Step {
	t.Helper()
	for _, s := range pb.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("%s has no step %s", pb.Name, id)
	return nil
}

// retryWindow is how long a step's retries wait in all when every attempt
// fails at once: the delays after attempts 1 to attempts-1.
func retryWindow(r steps.Retry) time.Duration {
	var total time.Duration
	d := r.Delay
	for n := 1; n < r.Attempts; n++ {
		total += d
		d = time.Duration(float64(d) * max(r.Backoff, 1))
		if r.MaxDelay > 0 && d > r.MaxDelay {
			d = r.MaxDelay
		}
	}
	return total
}

// TestIncidentRunbookVerifyWaitsOutTheRestart: while the service restarts
// its port may stay closed for a while; the verify step's retries of a
// refused connection must last as long as its repeat waits for the 200,
// or a service that takes a few seconds to listen again fails the run
// long before repeat.timeout.
func TestIncidentRunbookVerifyWaitsOutTheRestart(t *testing.T) {
	s := exampleStep(t, loadExample(t, "incident-service-restart"), "verify")
	if s.Repeat == nil || s.Retry.Dynamic() {
		t.Fatalf("verify: repeat %v, dynamic retry %v", s.Repeat, s.Retry.Dynamic())
	}
	if got := retryWindow(s.Retry); got < s.Repeat.Timeout {
		t.Errorf("verify retries a refused connection for %s, less than its repeat.timeout of %s", got, s.Repeat.Timeout)
	}
}

// TestIncidentRunbookCancelledCheckIsNotUnhealthy: a run cancelled while
// its health check waits for an answer tells the incident channel that
// the check was cancelled, not that the service was unhealthy because of
// the signal.
func TestIncidentRunbookCancelledCheckIsNotUnhealthy(t *testing.T) {
	needOps(t, "file.read", "notify.webhook")
	asked := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // never answers: the run is cancelled meanwhile
	}))
	defer app.Close()
	hook := &receiver{}
	hooks := httptest.NewServer(hook)
	defer hooks.Close()
	logFile := filepath.Join(t.TempDir(), "api.log")
	os.WriteFile(logFile, []byte("started\n"), 0o644)

	rep := filepath.Join(t.TempDir(), "r.json")
	p := startEnv(t, []string{"INCIDENT_WEBHOOK=" + hooks.URL + "/hook"}, "run started",
		"run", examplePlaybook(t, "incident-service-restart"), "--role", "admin", "--log-format", "json", "--report", rep,
		"--input", "service=api", "--input", "health_url="+app.URL+"/healthz", "--input", "log_file="+logFile)
	select {
	case <-asked:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("the health check never asked; stderr:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != ExitInterrupted {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	if got := statuses(readReport(t, rep))["check"]; got != report.StatusCancelled {
		t.Fatalf("check %s, want cancelled", got)
	}
	text := hook.texts()
	if strings.Contains(text, "was unhealthy") || !strings.Contains(text, "api: the health check was cancelled; nothing was restarted.") {
		t.Errorf("the webhook got %s", text)
	}
}

// nightlyCopy copies playbooks/nightly-maintenance.yaml into a directory of
// its own, beside a file that no run of it may touch.
func nightlyCopy(t *testing.T) (pb, bystander string) {
	t.Helper()
	src, err := os.ReadFile(examplePlaybook(t, "nightly-maintenance"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pb = filepath.Join(dir, "nightly-maintenance.yaml")
	bystander = filepath.Join(dir, "important.log")
	for p, b := range map[string][]byte{pb: src, bystander: []byte("keep me\n")} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return pb, bystander
}

// stale writes path with content and a modification time a month ago.
func stale(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestNightlyMaintenanceNewlineInAName: find lists one path a line, so a
// stale file named "keep.db\nimportant.log" read as two paths: the fresh
// keep.db beside it and important.log beside the playbook, and the run
// deleted both. Such a name is left alone now, and so is everything else.
func TestNightlyMaintenanceNewlineInAName(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb, bystander := nightlyCopy(t)
	cache := t.TempDir()
	fresh := filepath.Join(cache, "keep.db")
	if err := os.WriteFile(fresh, []byte("fresh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(cache, "keep.db\nimportant.log")
	stale(t, odd)
	stale(t, filepath.Join(cache, "old.log"))

	rep := filepath.Join(t.TempDir(), "r.json")
	res := runMain(t, "run", pb, "--role", "admin", "--input", "cache_dir="+cache, "--input", "disk_limit_percent=100", "--report", rep, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, lastBytes(res.stderr, 2000))
	}
	for _, p := range []string{fresh, bystander, odd} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%q was deleted: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "old.log")); err == nil {
		t.Errorf("old.log is still there")
	}
}

// TestNightlyMaintenanceTruncatedList: a list of stale files longer than
// shell.exec keeps loses its middle, and the paths at the cut become
// fragments (a prefix of one path, a name relative to the playbook). The
// run deletes nothing from such a list and fails, saying why.
func TestNightlyMaintenanceTruncatedList(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb, bystander := nightlyCopy(t)
	// Long paths, so that a few hundred of them pass the 1 MiB that
	// shell.exec keeps of stdout.
	deep := t.TempDir()
	for range 15 {
		deep = filepath.Join(deep, strings.Repeat("d", 240))
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		stale(t, filepath.Join(deep, fmt.Sprintf("%03d.log", i)))
	}
	stale(t, filepath.Join(filepath.Dir(bystander), "001.log"))

	rep := filepath.Join(t.TempDir(), "r.json")
	res := runMain(t, "run", pb, "--role", "admin", "--input", "cache_dir="+filepath.Dir(filepath.Dir(deep)), "--report", rep, "--log-format", "json")
	if res.code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitFailed, lastBytes(res.stderr, 2000))
	}
	left, _ := filepath.Glob(filepath.Join(deep, "*.log"))
	if len(left) != 300 {
		t.Errorf("%d of 300 stale files left: a truncated list was acted on", len(left))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(bystander), "001.log")); err != nil {
		t.Errorf("a file beside the playbook was deleted: %v", err)
	}
	r := readReport(t, rep)
	if r.Error == nil || !strings.Contains(r.Error.Message, "max_output") {
		t.Errorf("run error %+v, want it to say the list was cut", r.Error)
	}
}

// lastBytes is the end of s, at most n bytes of it.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestNightlyMaintenanceHeaderRole: the least-privilege role the
// playbook's header gives for it may run it, and deletes the stale files.
func TestNightlyMaintenanceHeaderRole(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb := examplePlaybook(t, "nightly-maintenance")
	src, err := os.ReadFile(pb)
	if err != nil {
		t.Fatal(err)
	}
	var role string
	for _, l := range strings.Split(string(src), "\n") {
		if r, ok := strings.CutPrefix(l, "#   maintenance: "); ok {
			role = r
		}
	}
	if role == "" {
		t.Fatal(`the header gives no "maintenance:" role`)
	}
	cache := t.TempDir()
	stale(t, filepath.Join(cache, "old.log"))
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	role = strings.ReplaceAll(role, "/var/cache/myapp", cache)
	if err := os.WriteFile(policy, []byte("version: 1\nroles:\n  maintenance: "+role+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runMain(t, "validate", pb, "--role", "maintenance", "--policy", policy); res.code != ExitOK {
		t.Fatalf("validate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	rep := filepath.Join(t.TempDir(), "r.json")
	res := runMain(t, "run", pb, "--role", "maintenance", "--policy", policy, "--input", "cache_dir="+cache, "--input", "disk_limit_percent=100", "--report", rep, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("run: exit %d\n%s", res.code, lastBytes(res.stderr, 2000))
	}
	if _, err := os.Stat(filepath.Join(cache, "old.log")); err == nil {
		t.Errorf("old.log is still there")
	}
}

// demoWorkers returns the pids of the processes whose command line starts
// with dir.
func demoWorkers(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.HasPrefix(string(b), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestIncidentWorkerDemoStoppedUnderAnyTempDir: the demo worker lives in a
// copy under the temp directory, and finally stopped it by a pattern made
// of that path, which a path like /tmp/c++ turned into an invalid regular
// expression: the CPU-burning worker outlived the run. It is stopped by
// its pid now, and its directory removed.
func TestIncidentWorkerDemoStoppedUnderAnyTempDir(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	tmp := filepath.Join(t.TempDir(), "c++")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		for _, pid := range demoWorkers(t, tmp) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	rep := filepath.Join(t.TempDir(), "r.json")
	// Without --yes and a terminal, the signal step is denied, or skipped
	// on a machine too busy for the worker to run hot: finally runs either way.
	runMain(t, "run", examplePlaybook(t, "incident-restart-worker"), "--role", "admin", "--report", rep, "--log-format", "json")
	r := readReport(t, rep)
	if got := statuses(r); got["demo_start"] != report.StatusSucceeded || got["stop_demo"] != report.StatusSucceeded || got["remove_demo"] != report.StatusSucceeded {
		t.Errorf("demo_start %s, stop_demo %s, remove_demo %s", got["demo_start"], got["stop_demo"], got["remove_demo"])
	}
	// SIGKILL is sent by the run; the worker is gone once the kernel has
	// torn it down, a moment later on a busy machine.
	pids := demoWorkers(t, tmp)
	for deadline := time.Now().Add(10 * time.Second); len(pids) > 0 && time.Now().Before(deadline); pids = demoWorkers(t, tmp) {
		time.Sleep(50 * time.Millisecond)
	}
	if len(pids) > 0 {
		t.Errorf("the demo worker outlived the run: pids %v", pids)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "arsenal-incident.*")); len(left) > 0 {
		t.Errorf("the demo binary's directory is still there: %v", left)
	}
}
