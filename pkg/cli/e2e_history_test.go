package cli

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A run killed with SIGKILL after some steps finished still shows those
// steps in history: each step is recorded as it finishes.
func TestKillNineHistoryShowsFinishedSteps(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "three.yaml", `version: 1
name: three
steps:
  - {id: first, op: control.noop}
  - {id: second, op: control.log, with: {message: about to sleep}}
  - {id: third, op: control.sleep, with: {duration: 10m}}
`)
	p := start(t, "about to sleep", "run", pb, "--state-dir", state, "--log-format", "json")
	// The finished steps reach the history within a moment (several
	// share a write); kill the run once another process sees them.
	waitFor(t, "the finished steps in the history of the running run", func() bool {
		var runs []struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(runMain(t, "history", "--state-dir", state, "--json").stdout), &runs) != nil || len(runs) != 1 {
			return false
		}
		var shown struct {
			Steps []struct {
				ID string `json:"id"`
			} `json:"steps"`
		}
		json.Unmarshal([]byte(runMain(t, "history", "show", runs[0].ID, "--state-dir", state, "--json").stdout), &shown)
		return len(shown.Steps) == 2
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t)

	list := runMain(t, "history", "--state-dir", state, "--json")
	var runs []struct {
		ID     string        `json:"id"`
		Status report.Status `json:"status"`
	}
	if err := json.Unmarshal([]byte(list.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("history --json: %v\n%s%s", err, list.stdout, list.stderr)
	}
	show := runMain(t, "history", "show", runs[0].ID, "--state-dir", state, "--json")
	if show.code != ExitOK {
		t.Fatalf("history show exit %d\n%s", show.code, show.stderr)
	}
	var got struct {
		Run struct {
			Status report.Status `json:"status"`
		} `json:"run"`
		Steps []struct {
			ID     string        `json:"id"`
			Op     string        `json:"op"`
			Status report.Status `json:"status"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(show.stdout), &got); err != nil {
		t.Fatalf("history show --json: %v\n%s", err, show.stdout)
	}
	if got.Run.Status != "interrupted" {
		t.Errorf("run status %s, want interrupted", got.Run.Status)
	}
	done := map[string]report.Status{}
	for _, s := range got.Steps {
		done[s.ID] = s.Status
	}
	if done["first"] != report.StatusSucceeded || done["second"] != report.StatusSucceeded {
		t.Errorf("history show lists %v; want first and second succeeded", got.Steps)
	}
	if _, ok := done["third"]; ok {
		t.Errorf("the step that was running when the process died is listed as finished: %v", got.Steps)
	}

	text := runMain(t, "history", "show", runs[0].ID, "--state-dir", state)
	if text.code != ExitOK {
		t.Errorf("history show (text) exit %d: %s", text.code, text.stderr)
	}
	missing := runMain(t, "history", "show", "nope", "--state-dir", state)
	if missing.code != ExitUsage {
		t.Errorf("history show of an unknown id: exit %d, want %d", missing.code, ExitUsage)
	}
}
