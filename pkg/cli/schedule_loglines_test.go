package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// jsonLines decodes each line of out, a log of --log-format json.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for l := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestScheduleLogAtReloadAndStop: schedule with TMPDIR=/ warns of it at
// start and again after each reload, under the policy reloaded, while it
// holds (the start's line has long scrolled away when the policy is
// edited); a SIGTERM writes one "stopping" line, with the signal, the runs
// going and the grace, not the signal handler's and the scheduler's both.
func TestScheduleLogAtReloadAndStop(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "pb")
	os.Mkdir(pb, 0o755)
	os.WriteFile(filepath.Join(pb, "p.yaml"), []byte("version: 1\nname: p\nschedule: {cron: \"@yearly\"}\nsteps:\n  - {id: a, op: control.noop}\n"), 0o644)
	p := startIn(t, dir, []string{"TMPDIR=/"}, "scheduler started", "schedule", pb, "--state-dir", filepath.Join(dir, "state"), "--log-format", "json")
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "SIGHUP: the temp directory of schedule is /")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if c := p.wait(t); c != ExitOK {
		t.Fatalf("exit %d\n%s", c, p.stderr.String())
	}
	var warned, rewarned, stopping int
	for _, l := range jsonLines(t, p.stderr.String()) {
		msg, _ := l["message"].(string)
		switch {
		case strings.HasPrefix(msg, "the temp directory of schedule is / (TMPDIR=/)") && l["level"] == "warn":
			warned++
		case strings.HasPrefix(msg, "SIGHUP: the temp directory of schedule is / (TMPDIR=/)") && l["level"] == "warn":
			rewarned++
		case strings.HasPrefix(msg, "stopping"):
			stopping++
			if l["signal"] != "SIGTERM" || l["runs"] != float64(0) || l["grace"] != "20s" || l["component"] != "scheduler" {
				t.Errorf("stopping line %v: want signal SIGTERM, runs 0, grace 20s, component scheduler", l)
			}
		}
	}
	if warned != 1 || rewarned != 1 || stopping != 1 {
		t.Errorf("%d warnings at start, %d after the reload, %d stopping lines; want 1 each:\n%s", warned, rewarned, stopping, p.stderr.String())
	}
}

// TestInterruptedLineNamesRuns: the start-up line of the runs of earlier
// processes marked interrupted names them, the first ten in run_ids and
// in its message, counts the others in more, and gives the history
// command that lists them all.
func TestInterruptedLineNamesRuns(t *testing.T) {
	var ids []string
	for i := range 12 {
		ids = append(ids, "run-"+string(rune('a'+i)))
	}
	for _, tc := range []struct {
		ids  []string
		more float64
	}{{ids[:2], 0}, {ids, 2}} {
		var out bytes.Buffer
		svc := &runs.Service{Interrupted: len(tc.ids), InterruptedIDs: tc.ids}
		logInterrupted(zerolog.New(&out), svc, store.Spec{Dir: "/var/lib/arsenal-run"})
		lines := jsonLines(t, out.String())
		if len(lines) != 1 {
			t.Fatalf("%d lines, want 1: %s", len(lines), out.String())
		}
		l := lines[0]
		shown := tc.ids[:min(len(tc.ids), interruptedShown)]
		got, _ := l["run_ids"].([]any)
		if l["level"] != "warn" || l["runs"] != float64(len(tc.ids)) || len(got) != len(shown) || got[0] != shown[0] || got[len(got)-1] != shown[len(shown)-1] {
			t.Errorf("line %v: want warn, runs %d, run_ids %v", l, len(tc.ids), shown)
		}
		if more, _ := l["more"].(float64); more != tc.more {
			t.Errorf("more = %v, want %v", l["more"], tc.more)
		}
		msg, _ := l["message"].(string)
		for _, want := range []string{strings.Join(shown, ", "), "`arsenal-run history --status interrupted --state-dir /var/lib/arsenal-run` lists them"} {
			if !strings.Contains(msg, want) {
				t.Errorf("no %q in %q", want, msg)
			}
		}
		if tc.more > 0 && !strings.Contains(msg, "and 2 more") {
			t.Errorf("no %q in %q", "and 2 more", msg)
		}
	}
}
