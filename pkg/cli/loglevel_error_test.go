package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// levelFailPlaybook fails its run at step boom, past a failure that
// continue_on_error ignores and one that rescue steps rescue.
const levelFailPlaybook = `version: 1
name: nightly
steps:
  - id: ign
    op: control.fail
    continue_on_error: true
    with: {message: ignored failure}
  - id: saved
    op: control.fail
    with: {message: rescued failure}
    rescue:
      - {id: fix, op: control.noop}
  - id: boom
    op: control.fail
    with: {message: disk full on /var}
`

// TestFailedRunIsAnErrorOnStderr: a cron job that sends stdout to
// /dev/null and runs with --log-level error got nothing on stderr for a
// failed run, whose step and run lines were warnings: only the exit
// code told. The failed run and the step that failed it are errors; the
// failures it went on past (ignored, rescued) stay warnings.
func TestFailedRunIsAnErrorOnStderr(t *testing.T) {
	dir := t.TempDir()
	pb := writePlaybook(t, dir, "nightly.yaml", levelFailPlaybook)
	res := runMain(t, "run", pb, "--log-level", "error", "--report", filepath.Join(dir, "r.json"))
	res.want(t, ExitFailed, nil, []string{"ERR run finished status=failed", `error="step boom failed: disk full on /var"`})
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if len(lines) < 2 || !strings.Contains(lines[0], "ERR step finished status=failed") || !strings.Contains(lines[0], "step=boom") {
		t.Errorf("stderr at --log-level error, want the line of step boom and the run's:\n%s", res.stderr)
	}
	if strings.Contains(res.stderr, "ign") || strings.Contains(res.stderr, "saved") {
		t.Errorf("stderr at --log-level error names a failure the run went on past:\n%s", res.stderr)
	}

	res = runMain(t, "run", pb, "--log-format", "json", "--report", filepath.Join(dir, "r2.json"))
	// Every line of stderr is JSON, the resume hint's too, so that
	// the log can be piped into jq or a collector.
	levels, command := map[string]string{}, ""
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		key, _ := m["message"].(string)
		if step, ok := m["step"].(string); ok {
			key += " " + step
		}
		levels[key], _ = m["level"].(string)
		if c, ok := m["command"].(string); ok {
			command = c
		}
	}
	if !strings.Contains(command, "run "+pb+" --resume ") {
		t.Errorf("no JSON line gives the command that resumes the run:\n%s", res.stderr)
	}
	for key, want := range map[string]string{
		"step finished ign": "warn", "step finished saved": "warn", "step finished fix": "info",
		"step finished boom": "error", "run finished": "error",
	} {
		if levels[key] != want {
			t.Errorf("%s: level %q, want %q\n%s", key, levels[key], want, res.stderr)
		}
	}
}

// TestSucceededRunIsSilentAtErrorLevel: a run whose failures were all
// ignored or rescued succeeded, and writes nothing at --log-level error.
func TestSucceededRunIsSilentAtErrorLevel(t *testing.T) {
	dir := t.TempDir()
	src := strings.TrimSuffix(levelFailPlaybook, `  - id: boom
    op: control.fail
    with: {message: disk full on /var}
`)
	pb := writePlaybook(t, dir, "nightly.yaml", src)
	res := runMain(t, "run", pb, "--log-level", "error", "--report", filepath.Join(dir, "r.json"))
	res.want(t, ExitOK, nil, nil)
	if res.stderr != "" {
		t.Errorf("stderr of a run that succeeded, at --log-level error:\n%s", res.stderr)
	}
}

// TestRunFinishedLineGivesTheErrorClass: the JSON "run finished" line of
// `run` gave the run's error without its class, which serve's has and
// step lines have, so a log reader could not tell a run that
// authorization denied from one that failed but by the exit code.
func TestRunFinishedLineGivesTheErrorClass(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		src   string
		code  int
		class string
	}{
		"failed": {levelFailPlaybook, ExitFailed, "execution"},
		"denied": {"version: 1\nname: rm\nsteps:\n  - {id: rm, op: file.delete, with: {path: x}}\n", ExitDenied, "authorization"},
	} {
		pb := writePlaybook(t, dir, name+".yaml", tc.src)
		res := runMain(t, "run", pb, "--log-format", "json", "--log-level", "error")
		if res.code != tc.code {
			t.Errorf("%s: exit %d, want %d", name, res.code, tc.code)
		}
		var end map[string]any
		for _, line := range strings.Split(res.stderr, "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "run finished" {
				end = m
			}
		}
		if end == nil || end["error_class"] != tc.class || end["level"] != "error" {
			t.Errorf("%s: run finished line %v, want error_class %s at error\n%s", name, end, tc.class, res.stderr)
		}
	}
}
