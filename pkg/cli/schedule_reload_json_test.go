package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestScheduleReloadProblemsAreJSONLinesWithPositions: under
// --log-format json, a playbook edited into a broken one and SIGHUP.
// Before, the reload's problems were only inside the "error" string of
// the "reload failed" line, joined by line breaks, while the same
// problems at start are lines of their own with file, line and column.
// Now each problem of the refused reload is a line at error with its
// file, line and column too, and the "reload failed" line still follows.
func TestScheduleReloadProblemsAreJSONLinesWithPositions(t *testing.T) {
	dir := t.TempDir()
	tick := writePlaybook(t, dir, "tick.yaml", everySecond)
	p := start(t, "scheduler started", "schedule", tick, "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	defer func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	}()
	broken := strings.Replace(everySecond, `"@every 1s"`, `"@every 500ms"`, 1)
	writePlaybook(t, dir, "tick.yaml", broken)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload to fail", func() bool { return strings.Contains(p.stderr.String(), "reload failed") })
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t)

	var problem, failed bool
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		msg, _ := line["message"].(string)
		switch {
		case strings.HasPrefix(msg, "@every 500ms is below the minimum of 1s"):
			problem = true
			if line["level"] != "error" || line["file"] != tick || line["line"] != 4.0 || line["column"] != 9.0 {
				t.Errorf("the reload's problem is not at error with file %s, line 4, column 9: %s", tick, l)
			}
		case strings.HasPrefix(msg, "reload failed"):
			failed = true
			if !problem {
				t.Errorf("the reload failed line comes before the problem's line: %s", l)
			}
		}
	}
	if !problem || !failed {
		t.Errorf("problem line %v, reload failed line %v:\n%s", problem, failed, p.stderr.String())
	}
}
