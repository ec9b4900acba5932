package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const pipeline = `version: 1
name: pipeline
inputs:
  fail_publish: {type: bool, default: true}
steps:
  - {id: fetch, op: control.set, with: {rev: "${{ run.id }}"}}
  - id: build
    op: control.set
    with: {artifact: "app-${{ steps.fetch.output.rev }}"}
    retry: {attempts: 2, when: error.class == "timeout", until: output.artifact != ""}
  - id: publish
    op: control.assert
    when: steps.build.status == "succeeded"
    with: {that: "${{ !inputs.fail_publish }}", message: registry down}
    rescue:
      - {id: rollback, op: control.noop}
  - id: smoke
    op: control.noop
    foreach: {matrix: {region: [eu, us]}}
    repeat: {until: "true", timeout: 1m}
  - id: docs
    op: control.noop
    needs: [fetch]
finally:
  - {id: tidy, op: control.noop}
`

// TestRunList prints the steps with their needs and conditions and runs
// nothing.
func TestRunList(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pipeline.yaml", pipeline)
	audit := filepath.Join(dir, "audit.jsonl")
	res := runMain(t, "run", pb, "--list", "--audit-log", audit)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, sel := range [][]string{{"--from", "publish"}, {"--only", "nosuch"}} {
		res := runMain(t, append([]string{"run", pb, "--list"}, sel...)...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, "--list lists every step and runs nothing, so "+strings.Join(sel, " ")+" does not go with it") || res.stdout != "" {
			t.Errorf("--list %s: exit %d\n%s%s", sel, res.code, res.stdout, res.stderr)
		}
	}
	for _, want := range []string{
		"pipeline: 7 steps",
		"SECTION",
		"steps       build     control.set     fetch    retry: 2 attempts; retry when: error.class == \"timeout\"; retry until: output.artifact != \"\"",
		"rescue of publish  rollback",
		"when: steps.build.status == \"succeeded\"",
		"matrix: region; repeat until: true (for 1m)",
		"docs      control.noop    fetch",
		"finally",
	} {
		if !strings.Contains(strings.Join(strings.Fields(res.stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("--list output lacks %q:\n%s", want, res.stdout)
		}
	}
	if data, err := os.ReadFile(audit); err == nil && len(data) > 0 {
		t.Errorf("--list wrote audit lines: it ran\n%s", data)
	}
}

// TestRunListRefusesReportsAndResume: --list runs nothing, so a report
// file asked for beside it would silently not be written, and a resume
// would seem to be what the list shows: both are usage errors saying
// what to drop, and nothing is listed, run or written.
func TestRunListRefusesReportsAndResume(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pipeline.yaml", pipeline)
	for _, name := range []string{"report", "junit", "markdown", "html"} {
		out := filepath.Join(dir, "out."+name)
		res := runMain(t, "run", pb, "--list", "--"+name, out)
		res.want(t, ExitUsage, nil, []string{"--list prints the steps and runs nothing, so --" + name + " would write no file; drop --list to run the playbook and write it, or drop --" + name})
		if _, err := os.Stat(out); err == nil || res.stdout != "" {
			t.Errorf("--list --%s: wrote %s or listed:\n%s", name, out, res.stdout)
		}
	}
	runMain(t, "run", pb, "--list", "--resume", filepath.Join(dir, "r.json")).
		want(t, ExitUsage, nil, []string{"--list lists every step and runs nothing, so --resume does not go with it; to see what the resume would run, give --dry-run instead of --list"})
}

// TestRunFromAndOnly reruns part of a failed run from its report, and
// refuses, with exit 2 and before anything runs, a selection whose
// outputs are unknown.
func TestRunFromAndOnly(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "pipeline.yaml", pipeline)
	first := filepath.Join(dir, "first.json")
	if res := runMain(t, "run", pb, "--report", first, "--log-format", "json"); res.code != ExitOK {
		t.Fatalf("the first run (publish rescued): exit %d\n%s", res.code, res.stderr)
	}
	r1 := readReport(t, first)

	second := filepath.Join(dir, "second.json")
	res := runMain(t, "run", pb, "--resume", first, "--from", "publish", "--input", "fail_publish=false", "--report", second, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("--from publish: exit %d\n%s", res.code, res.stderr)
	}
	r2 := readReport(t, second)
	got := map[string]string{}
	for _, s := range r2.Steps {
		got[s.ID] = string(s.Status) + "/" + s.Reason
	}
	for id, want := range map[string]string{
		"fetch":   "succeeded/not selected (--from publish); state and output from run " + r1.RunID,
		"build":   "succeeded/not selected (--from publish); state and output from run " + r1.RunID,
		"publish": "succeeded/",
		"smoke":   "succeeded/",
		"docs":    "succeeded/not selected (--from publish); state and output from run " + r1.RunID,
		"tidy":    "succeeded/",
	} {
		if got[id] != want {
			t.Errorf("%s: %q, want %q", id, got[id], want)
		}
	}

	res = runMain(t, "run", pb, "--only", "build", "--log-format", "json")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "cannot run --only build: build reads steps.fetch, whose output is unknown") {
		t.Errorf("--only build without --resume: exit %d\n%s", res.code, res.stderr)
	}
	res = runMain(t, "run", pb, "--only", "docs,smoke", "--log-format", "json")
	if res.code != ExitOK {
		t.Errorf("--only docs,smoke: exit %d\n%s", res.code, res.stderr)
	}
	res = runMain(t, "run", pb, "--from", "smoke", "--only", "docs")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "give --from or --only, not both") {
		t.Errorf("--from with --only: exit %d\n%s", res.code, res.stderr)
	}
	for _, empty := range []string{"", " "} {
		res = runMain(t, "run", pb, "--from", empty, "--report", filepath.Join(dir, "empty.json"))
		if res.code != ExitUsage || !strings.Contains(res.stderr, "--from is empty") {
			t.Errorf("--from %q: exit %d\n%s", empty, res.code, res.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "empty.json")); err == nil {
			t.Fatalf("--from %q ran the playbook", empty)
		}
	}
	res = runMain(t, "run", pb, "--from", "tidy")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "tidy is a step of finally") {
		t.Errorf("--from a finally step: exit %d\n%s", res.code, res.stderr)
	}
}

// TestRunBaseURL gives the run its link for run.url.
func TestRunBaseURL(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "link.yaml", `version: 1
name: link
steps:
  - {id: show, op: control.set, with: {url: "${{ run.url }}"}}
`)
	rep := filepath.Join(dir, "r.json")
	res := runMain(t, "run", pb, "--base-url", "https://ci.example/job/7/{run_id}", "--report", rep)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	r := readReport(t, rep)
	if got := r.Steps[0].Output.(map[string]any)["url"]; got != "https://ci.example/job/7/"+r.RunID {
		t.Errorf("run.url = %v", got)
	}
	if res := runMain(t, "run", pb, "--base-url", "ftp://x"); res.code != ExitUsage || !strings.Contains(res.stderr, "give an http:// or https:// URL") {
		t.Errorf("a bad --base-url: exit %d\n%s", res.code, res.stderr)
	}
	if r.Status != report.StatusSucceeded {
		t.Error(r.Status)
	}
}

// TestRepeatIsLogged writes a log line for each repeat of a step, off a
// terminal.
func TestRepeatIsLogged(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "poll.yaml", `version: 1
name: poll
steps:
  - id: poll
    op: control.set
    with: {n: 1}
    repeat: {until: attempt >= 3, every: 1ms, timeout: 1m}
`)
	res := runMain(t, "run", pb, "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if n := strings.Count(res.stderr, `"message":"repeating"`); n != 2 {
		t.Errorf("%d repeating lines, want 2:\n%s", n, res.stderr)
	}
	if !strings.Contains(res.stderr, `"condition":"repeat.until (attempt \u003e= 3) is false"`) && !strings.Contains(res.stderr, `"condition":"repeat.until (attempt >= 3) is false"`) {
		t.Errorf("the repeat line does not name the condition:\n%s", res.stderr)
	}
}
