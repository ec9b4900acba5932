package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestScheduleNamesTheProcessesItLeavesRunning: schedule, as serve does,
// says at its end which processes its runs started with process.start go
// on running unsupervised. Before, it said nothing of them.
func TestScheduleNamesTheProcessesItLeavesRunning(t *testing.T) {
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs")
	if err := os.MkdirAll(jobs, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlaybook(t, jobs, "worker.yaml", `version: 1
name: worker
schedule: {cron: "@every 1s", overlap: skip}
steps:
  - id: start
    op: process.start
    with:
      command: [/bin/sleep, "300"]
      supervisor: workers
`)
	p := start(t, "run ended", "schedule", jobs, "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	p.cmd.Process.Signal(syscall.SIGTERM)
	code := p.wait(t)
	log := p.stderr.String()
	for _, m := range regexp.MustCompile(`(\d+) \(supervisor workers\)`).FindAllStringSubmatch(log, -1) {
		if pid, err := strconv.Atoi(m[1]); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if code != ExitOK {
		t.Errorf("exit %d after SIGTERM, want 0\n%s", code, log)
	}
	for _, want := range []string{"started by process.start keep running unsupervised", "(supervisor workers)", "before schedule stops"} {
		if !strings.Contains(log, want) {
			t.Errorf("schedule's last word does not say %q:\n%s", want, log)
		}
	}
}
