package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestRunSaysHowToResume: a run that failed says the command that reruns
// it from where it stopped, by run id with a state dir, by report file
// without one, and that command resumes it; a run that succeeded says
// nothing of it.
func TestRunSaysHowToResume(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "flaky.yaml", `version: 1
name: flaky
inputs:
  ok: {type: bool, default: false}
steps:
  - {id: first, op: control.log, with: {message: first}}
  - {id: second, op: control.assert, with: {that: "${{ inputs.ok }}", message: not yet}}
`)
	state := filepath.Join(dir, "state")
	res := runMain(t, "run", pb, "--state-dir", state, "--role", "admin")
	if res.code != ExitFailed {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	_, hint, ok := strings.Cut(res.stderr, "reusing the steps that did:\n  ")
	if !ok {
		t.Fatalf("the failed run does not say how to resume it:\n%s", res.stderr)
	}
	// The command as told, with the state dir and the role the run had:
	// without them the run id is no report file, and other roles are
	// refused.
	args := strings.Fields(strings.TrimSpace(hint))
	if len(args) != 9 || args[1] != "run" || args[2] != pb || args[3] != "--resume" ||
		strings.Join(args[5:], " ") != "--state-dir "+state+" --role admin" {
		t.Fatalf("the command to resume is %q", hint)
	}
	res = runMain(t, append(args[1:], "--input", "ok=true")...)
	if res.code != ExitOK || !strings.Contains(res.stdout, "reused from run") {
		t.Fatalf("the command given did not resume the run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stderr, "--resume") {
		t.Errorf("a run that succeeded says how to resume it:\n%s", res.stderr)
	}
	rep := filepath.Join(dir, "it's.json")
	res = runMain(t, "run", pb, "--report", rep)
	if want := "--resume '" + strings.ReplaceAll(rep, "'", `'\''`) + "'"; !strings.Contains(res.stderr, want) {
		t.Errorf("without a state dir, the hint does not name the report as %s:\n%s", want, res.stderr)
	}
}

// TestRunThatNeverStartedHasNoResumeHint: a run its concurrency group
// skipped (or replaced, or that was cancelled while it waited) never
// started a step; a --resume of it would reuse nothing, so it gives no
// hint, where a run cancelled after a step started does.
func TestRunThatNeverStartedHasNoResumeHint(t *testing.T) {
	r := &runner{path: "deploy.yaml", o: runOptions{stateDir: "state"}}
	why := &report.Error{Class: "cancelled", Message: `skipped: concurrency group "g" is busy with run R (policy skip)`}
	skipped := &report.Report{RunID: "S", Status: report.StatusCancelled, Error: why, Steps: []report.Step{
		{ID: "a", Section: "steps", Status: report.StatusSkipped, Reason: `not run: concurrency group "g" is busy with run R (policy skip)`},
		{ID: "b", Section: "finally", Status: report.StatusSkipped, Reason: `not run: concurrency group "g" is busy with run R (policy skip)`},
	}}
	if h := r.resumeHint(skipped); h != "" {
		t.Errorf("a run that never started says how to resume it:\n%s", h)
	}
	at := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	cut := &report.Report{RunID: "C", Status: report.StatusCancelled, Error: &report.Error{Class: "cancelled", Message: "interrupted by SIGINT"}, Steps: []report.Step{
		{ID: "a", Section: "steps", Status: report.StatusCancelled, StartedAt: &at},
		{ID: "b", Section: "steps", Status: report.StatusSkipped, Reason: "needs a, which was cancelled"},
	}}
	if h := r.resumeHint(cut); !strings.Contains(h, "--resume C") {
		t.Errorf("a run cancelled while a step ran says %q, want the command that resumes it", h)
	}
}
