package cli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsonLogLines parses every line of a --log-format json stderr; a line
// that is not a JSON object fails the test: a log collector would take
// it apart, or drop it.
func jsonLogLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("a line of the JSON log is no JSON object: %q\nstderr:\n%s", line, stderr)
			continue
		}
		out = append(out, m)
	}
	return out
}

// lineWith returns the first line whose message holds msg, or nil.
func lineWith(lines []map[string]any, msg string) map[string]any {
	for _, l := range lines {
		if m, _ := l["message"].(string); strings.Contains(m, msg) {
			return l
		}
	}
	return nil
}

// checkLine fails the test unless a line says msg at level, with the
// run's id and the fields want (a value "" only asks for the field).
func checkLine(t *testing.T, lines []map[string]any, stderr, msg, level string, want map[string]string) {
	t.Helper()
	l := lineWith(lines, msg)
	if l == nil {
		t.Errorf("no JSON line says %q; stderr:\n%s", msg, stderr)
		return
	}
	if l["level"] != level {
		t.Errorf("%q is at %v, want %s", msg, l["level"], level)
	}
	if id, _ := l["run_id"].(string); id == "" {
		t.Errorf("%q has no run_id: %v", msg, l)
	}
	for k, v := range want {
		got, ok := l[k].(string)
		if !ok || (v != "" && !strings.Contains(got, v)) {
			t.Errorf("%q: %s is %v, want %q", msg, k, l[k], v)
		}
	}
}

// TestJSONLogDenialIsAJSONLine: with --log-format json, a run that the
// preflight denies says so, and who may run it, on a JSON line, not in a
// table that a log collector cannot read.
func TestJSONLogDenialIsAJSONLine(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pb.yaml", "version: 1\nname: denyme\nsteps:\n  - {id: k, op: process.kill, with: {pid: 12345}}\n")
	res := runMain(t, "run", pb, "--role", "viewer", "--log-format", "json")
	if res.code != ExitDenied {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitDenied, res.stderr)
	}
	lines := jsonLogLines(t, res.stderr)
	checkLine(t, lines, res.stderr, "authorization denied 1 step for role viewer; nothing ran", "error",
		map[string]string{"steps": "k", "roles": "viewer", "hint": "--role admin"})
	// The text form keeps its table.
	res = runMain(t, "run", pb, "--role", "viewer")
	if !strings.Contains(res.stderr, "authorization denied 1 step for role viewer; nothing ran:\n  DENIED") {
		t.Errorf("the console form lost its table:\n%s", res.stderr)
	}
}

// TestJSONLogSinkErrorIsAJSONLine: a report that cannot be written at
// the run's end is told on JSON lines, with the run's id.
func TestJSONLogSinkErrorIsAJSONLine(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	pb := writePlaybook(t, dir, "pb.yaml", `version: 1
name: sabotage
steps:
  - id: swap
    op: shell.exec
    with: {command: [sh, -c, 'rm -rf "$0" && echo x > "$0"', `+out+`]}
`)
	res := runMain(t, "run", pb, "--role", "admin", "--report", filepath.Join(out, "r.json"), "--log-format", "json")
	if res.code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitFailed, res.stderr)
	}
	lines := jsonLogLines(t, res.stderr)
	checkLine(t, lines, res.stderr, "--report: write "+filepath.Join(out, "r.json"), "warn", nil)
	checkLine(t, lines, res.stderr, "the run ended succeeded, but 1 record of it could not be written", "error", nil)
}

// TestJSONLogSignalNoticesAreJSONLines: with --log-format json, what
// run says of SIGINT, of a signal right after it and of one that exits at
// once, of the steps it cut and of how to rerun, are JSON lines.
func TestJSONLogSignalNoticesAreJSONLines(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "30s"))
	state := filepath.Join(dir, "state")
	p := start(t, "about to sleep", "run", pb, "--log-format", "json", "--state-dir", state)
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor(t, "cancelling the run")
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor(t, "already being cancelled")
	time.Sleep(sameRequest + 500*time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != ExitTerminated {
		t.Errorf("exit %d, want %d", code, ExitTerminated)
	}
	stderr := p.stderr.String()
	lines := jsonLogLines(t, stderr)
	checkLine(t, lines, stderr, cancellingMsg, "warn", map[string]string{"signal": "SIGINT", "cause": "interrupted by SIGINT"})
	checkLine(t, lines, stderr, sameRequestMsg, "warn", map[string]string{"signal": "SIGINT"})
	checkLine(t, lines, stderr, "exiting now", "warn", map[string]string{"signal": "SIGTERM"})
	checkLine(t, lines, stderr, "exited while these steps ran", "error", map[string]string{"running": "slow_cleanup (control.sleep)"})
	checkLine(t, lines, stderr, rerunMessage, "warn", map[string]string{"command": "--resume "})
}

// TestSecondSignalShowsTheSummary: a run that a second signal ends at
// once shows, as a run's end does, the summary of its steps (those that
// ran, and those the exit cut) and the command that runs it again.
func TestSecondSignalShowsTheSummary(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "stubborn.yaml", fmt.Sprintf(stubborn, "30s"))
	state := filepath.Join(dir, "state")
	cmd := exec.Command(binary(t), "run", pb, "--state-dir", state)
	cmd.Env = append(cmd.Environ(), "GITHUB_STEP_SUMMARY=")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &started{cmd: cmd, stderr: stderr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	p.waitFor(t, "about to sleep")
	time.Sleep(100 * time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	p.waitFor(t, "cancelling the run")
	time.Sleep(sameRequest + 500*time.Millisecond)
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != ExitInterrupted {
		t.Errorf("exit %d, want %d", code, ExitInterrupted)
	}
	for _, want := range []string{"stubborn cancelled", "prepare", "succeeded", "finally/slow_cleanup", "interrupted by SIGINT, then by SIGINT"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary does not show %q; stdout:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), rerunMessage+":\n  arsenal-run run "+pb+" --resume ") {
		t.Errorf("stderr does not say how to run it again:\n%s", stderr.String())
	}
}
