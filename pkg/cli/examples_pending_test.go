package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// examplePlaybook returns the path of playbooks/NAME.yaml, or of
// NAME.yaml.pending while the operations it uses are not merged yet.
func examplePlaybook(t *testing.T, name string) string {
	t.Helper()
	for _, p := range []string{"../../playbooks/" + name + ".yaml", "../../playbooks/" + name + ".yaml.pending"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("no playbooks/%s.yaml", name)
	return ""
}

// needOps skips the test when the registry lacks an operation the
// example playbooks use: they are written for the file housekeeping and
// notification operations, and run once those are built in.
func needOps(t *testing.T, names ...string) {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for _, n := range names {
		if _, err := reg.Get(n); err != nil {
			t.Skipf("needs %s, which this build does not have yet (the playbook is kept as .yaml.pending until it does)", n)
		}
	}
}

// receiver is a webhook endpoint that keeps what it is sent.
type receiver struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var v map[string]any
	json.Unmarshal(b, &v)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, v)
	rc.mu.Unlock()
	w.Write([]byte("ok"))
}

func (rc *receiver) texts() string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	b, _ := json.Marshal(rc.bodies)
	return string(b)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

// TestNightlyHousekeepingPlaybook runs the nightly example on a directory
// of old and new files and a log: the old files go, the log rotates, the
// disk passes, and nothing is sent; with a disk limit it cannot meet, the
// run fails and the webhook gets the summary.
func TestNightlyHousekeepingPlaybook(t *testing.T) {
	needOps(t, "file.find", "file.rotate", "notify.webhook")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb := examplePlaybook(t, "nightly-housekeeping")
	hook := &receiver{}
	srv := httptest.NewServer(hook)
	defer srv.Close()

	dir := t.TempDir()
	old := time.Now().Add(-30 * 24 * time.Hour)
	for _, name := range []string{"a.tmp", "sub/b.tmp", "sub/deep/c.cache"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("stale"), 0o644)
		os.Chtimes(p, old, old)
	}
	os.WriteFile(filepath.Join(dir, "fresh.tmp"), []byte("new"), 0o644)
	logs := t.TempDir()
	logFile := filepath.Join(logs, "app.log")
	os.WriteFile(logFile, []byte("line 1\nline 2\n"), 0o644)

	rep := filepath.Join(t.TempDir(), "r.json")
	res := runMain(t, "run", pb, "--role", "admin", "--report", rep, "--log-format", "json",
		"--input", "dir="+dir, "--input", "log="+logFile, "--input", "webhook="+srv.URL+"/hook",
		"--input", "disk_limit_percent=100") // the test machine's disk may be fuller than 90 %
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	r := readReport(t, rep)
	if r.Outputs["deleted"] != 3 || r.Outputs["rotated"] != true {
		t.Errorf("outputs %v", r.Outputs)
	}
	for _, gone := range []string{"a.tmp", "sub/b.tmp", "sub/deep/c.cache"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s is still there", gone)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh.tmp")); err != nil {
		t.Errorf("the fresh file went: %v", err)
	}
	if b, err := os.ReadFile(logFile + ".1"); err != nil || string(b) != "line 1\nline 2\n" {
		t.Errorf("app.log.1: %q %v", b, err)
	}
	if hook.count() != 0 {
		t.Errorf("a run that succeeded notified: %s", hook.texts())
	}

	res = runMain(t, "run", pb, "--role", "admin", "--report", rep, "--log-format", "json", "--base-url", "https://runs.example",
		"--input", "dir="+dir, "--input", "disk_limit_percent=1", "--input", "webhook="+srv.URL+"/hook")
	if res.code != ExitFailed {
		t.Fatalf("an impossible disk limit: exit %d\n%s", res.code, res.stderr)
	}
	r = readReport(t, rep)
	if got := statuses(r)["notify_1"]; got != report.StatusSucceeded {
		t.Errorf("notify_1 %s", got)
	}
	text := hook.texts()
	for _, want := range []string{"nightly-housekeeping failed", "failed steps: disk_ok", "https://runs.example/runs/" + r.RunID} {
		if !strings.Contains(text, want) {
			t.Errorf("the webhook got %s; want it to contain %q", text, want)
		}
	}
}

// service is a tiny HTTP service that is unhealthy until it is restarted
// through its admin endpoint.
type service struct {
	mu        sync.Mutex
	healthy   bool
	restarted int
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/healthz":
		if !s.healthy {
			http.Error(w, "database connection pool exhausted", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	case "/admin/restart":
		if r.Method != http.MethodPost {
			http.Error(w, "POST", http.StatusMethodNotAllowed)
			return
		}
		s.restarted++
		// It comes back a moment later, as a real service does.
		time.AfterFunc(300*time.Millisecond, func() {
			s.mu.Lock()
			s.healthy = true
			s.mu.Unlock()
		})
		w.Write([]byte("restarting"))
	default:
		http.NotFound(w, r)
	}
}

// TestIncidentRunbookPlaybook runs the incident example against an
// unhealthy local service: it shows the log, restarts the service after
// --yes, waits for it to answer 200 and reports to the webhook; a second
// run finds it healthy and restarts nothing.
func TestIncidentRunbookPlaybook(t *testing.T) {
	needOps(t, "file.read", "notify.webhook")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	pb := examplePlaybook(t, "incident-service-restart")
	svc := &service{}
	app := httptest.NewServer(svc)
	defer app.Close()
	hook := &receiver{}
	hooks := httptest.NewServer(hook)
	defer hooks.Close()
	logFile := filepath.Join(t.TempDir(), "api.log")
	var lines []string
	for i := 1; i <= 40; i++ {
		lines = append(lines, "request "+string(rune('a'+i%26)))
	}
	lines = append(lines, "ERROR pool exhausted: 64 of 64 connections busy")
	os.WriteFile(logFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644)

	args := []string{"run", pb, "--role", "admin", "--yes", "--log-format", "json",
		"--input", "service=api", "--input", "health_url=" + app.URL + "/healthz", "--input", "log_file=" + logFile,
		"--input", "restart_url=" + app.URL + "/admin/restart", "--input", "webhook=" + hooks.URL + "/hook"}
	rep := filepath.Join(t.TempDir(), "r.json")
	res := runMain(t, append(args, "--report", rep)...)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	r := readReport(t, rep)
	if r.Outputs["was_healthy"] != false || r.Outputs["restarted"] != true || r.Outputs["health"] != 200 {
		t.Errorf("outputs %v", r.Outputs)
	}
	if svc.restarted != 1 {
		t.Errorf("restarted %d times", svc.restarted)
	}
	if !strings.Contains(res.stderr, "ERROR pool exhausted") {
		t.Errorf("the log's last lines are not shown:\n%s", res.stderr)
	}
	if text := hook.texts(); !strings.Contains(text, "api was unhealthy") || !strings.Contains(text, "restart done, health now 200") {
		t.Errorf("the webhook got %s", text)
	}

	res = runMain(t, append(args, "--report", rep)...)
	if res.code != ExitOK {
		t.Fatalf("second run: exit %d\n%s", res.code, res.stderr)
	}
	r = readReport(t, rep)
	if r.Outputs["was_healthy"] != true || r.Outputs["restarted"] != false || svc.restarted != 1 {
		t.Errorf("a healthy service: outputs %v, restarted %d", r.Outputs, svc.restarted)
	}
	if text := hook.texts(); !strings.Contains(text, "api was healthy; nothing was restarted.") {
		t.Errorf("the webhook got %s", text)
	}
}
