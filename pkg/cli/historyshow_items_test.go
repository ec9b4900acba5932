package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// itemsPlaybook fans out over 25 hosts, named as inventory.hosts names
// them; dead-9 and dead-18 fail as ssh does when nothing listens, with an
// escape sequence in their stderr (retitling the terminal), and dead-18's
// name has one too.
const itemsPlaybook = `version: 1
name: fleet
steps:
  - id: check
    op: shell.exec
    foreach: 'map(1..25, ({"name": (# % 9 == 0 ? "dead-" : "web-") + string(#) + (# == 18 ? "\u001b[2J" : "")}))'
    fail_fast: false
    with:
      command: [sh, -c, 'case "$1" in dead-*) printf "ssh: connect to host %s port 22: Connection refused\033]0;pwned\007\n" "$1" >&2; exit 255;; esac', sh, "${{ item.name }}"]
`

// TestHistoryShowNamesFailedItemsAndWhy: after a fan-out over many hosts,
// 'history show' says which hosts failed and why, from the run's report,
// and counts those that succeeded on one line instead of listing them;
// --json adds each row's label and message to the fields it had.
func TestHistoryShowNamesFailedItemsAndWhy(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	pb := writePlaybook(t, dir, "fleet.yaml", itemsPlaybook)
	runMain(t, "run", pb, "--state-dir", state).want(t, ExitFailed, nil, nil)
	id := onlyRunID(t, state)

	show := runMain(t, "history", "show", id, "--state-dir", state)
	show.want(t, ExitOK, nil, nil)
	var items []string
	for _, l := range strings.Split(show.stdout, "\n") {
		if strings.HasPrefix(l, "  check[") {
			items = append(items, strings.Join(strings.Fields(l), " "))
		}
	}
	// The message is cut in its middle, to keep the reason at its end.
	refused := "execution: exit code 255 is not in ok_codes [0]; stderr … ssh: connect to host %s port 22: Connection refused"
	want := []string{
		"check[dead-9] shell.exec ✗ failed 1 " + lineField(t, show.stdout, "check[dead-9]", 5) + " " + fmt.Sprintf(refused, "dead-9"),
		"check[dead-18] shell.exec ✗ failed 1 " + lineField(t, show.stdout, "check[dead-18]", 5) + " " + fmt.Sprintf(refused, "dead-18"),
		"check[…] shell.exec ✓ succeeded 23 items",
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("item rows (-want +got):\n%s\n%s", diff, show.stdout)
	}
	if strings.ContainsAny(show.stdout, "\x1b\x07") || strings.Contains(show.stdout, "pwned") {
		t.Errorf("a label or message reaches the terminal with its control sequences:\n%q", show.stdout)
	}

	// --json: the rows as before, each item with its label, a failed one
	// with its message.
	var got struct {
		Steps []struct {
			ID         string `json:"id"`
			Kind       string `json:"kind"`
			Item       *int   `json:"item"`
			Status     string `json:"status"`
			ErrorClass string `json:"error_class"`
			Label      string `json:"label"`
			Message    string `json:"error_message"`
		} `json:"steps"`
	}
	js := runMain(t, "history", "show", id, "--state-dir", state, "--json")
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil {
		t.Fatalf("history show --json: %v\n%s", err, js.stdout)
	}
	if len(got.Steps) != 26 {
		t.Fatalf("history show --json has %d rows, want the step and its 25 items:\n%s", len(got.Steps), js.stdout)
	}
	for _, s := range got.Steps[1:] {
		if s.Kind != "item" || s.Item == nil || s.ID != "check" {
			t.Fatalf("row %+v, want an item of check", s)
		}
		name := fmt.Sprintf("web-%d", *s.Item+1)
		if (*s.Item+1)%9 == 0 {
			name = fmt.Sprintf("dead-%d", *s.Item+1)
		}
		if !strings.HasPrefix(s.Label, name) {
			t.Errorf("item %d: label %q, want %s", *s.Item, s.Label, name)
		}
		wantFailed := strings.HasPrefix(name, "dead-")
		if failed := s.Status == "failed" && s.ErrorClass == "execution" && strings.Contains(s.Message, "Connection refused"); failed != wantFailed {
			t.Errorf("item %s: %s %s %q, want failed with its message: %v", name, s.Status, s.ErrorClass, s.Message, wantFailed)
		}
	}

	// Moved to another place, the state dir's report is read where it is
	// now, and its path printed so.
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(state, moved); err != nil {
		t.Fatal(err)
	}
	show = runMain(t, "history", "show", id, "--state-dir", moved)
	show.want(t, ExitOK, []string{
		"report    " + filepath.Join(moved, "reports", id+".json") + "\n",
		"  check[dead-9] ",
	}, nil)
}

// TestHistoryShowItemsWithoutAReport: a run whose process died has no
// report; 'history show' lists its items as the history kept them (index
// and error class) under their step, those that did not succeed up to 20,
// and counts the others.
func TestHistoryShowItemsWithoutAReport(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := history.Run{ID: "r", Playbook: "p", Status: history.StatusInterrupted, StartedAt: at, ReportPath: filepath.Join(t.TempDir(), "r.json")}
	// Recorded as they finished: the items before their step, which
	// never finished, and not by index.
	var rows []history.StepRow
	for _, i := range []int{2, 0, 1, 4, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27} {
		r := history.StepRow{StepID: "restart", Section: "steps", Kind: "item", Item: &i, Attempt: 1, Op: "ssh.exec", Status: report.StatusSucceeded, StartedAt: &at, DurationMS: 5}
		switch {
		case i == 3:
			r.Status, r.ErrorClass = report.StatusFailed, "timeout"
		case i >= 5:
			r.Status, r.ErrorClass, r.Attempt, r.StartedAt = report.StatusCancelled, "cancelled", 0, nil
		}
		rows = append(rows, r)
	}
	rows = append(rows, history.StepRow{StepID: "first", Section: "steps", Kind: "step", Attempt: 1, Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &at})
	var b strings.Builder
	if err := history.WriteRun(&b, run, rows, false); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "  ") || strings.HasPrefix(l, "first ") {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
	}
	want := []string{"restart[3] ssh.exec ✗ failed 1 5ms timeout"}
	for i := 5; i < 24; i++ {
		want = append(want, fmt.Sprintf("restart[%d] ssh.exec ■ cancelled 0 - cancelled", i))
	}
	want = append(want, "… 4 more items; --json lists every row", "restart[…] ssh.exec ✓ succeeded 4 items", "first control.noop ✓ succeeded 1 0ms")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s\n%s", diff, b.String())
	}
	if !strings.Contains(b.String(), "report    none: the process ended before it wrote one\n") {
		t.Errorf("no 'report none':\n%s", b.String())
	}
}

// onlyRunID is the id of the one run the history of state holds.
func onlyRunID(t *testing.T, state string) string {
	t.Helper()
	var runs []struct {
		ID string `json:"id"`
	}
	list := runMain(t, "history", "--state-dir", state, "--json")
	if err := json.Unmarshal([]byte(list.stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("history --json: %v\n%s%s", err, list.stdout, list.stderr)
	}
	return runs[0].ID
}

// lineField is the n-th field (from 0) of the line of out that starts with
// prefix after its indent, for a value the test cannot know (a duration).
func lineField(t *testing.T, out, prefix string, n int) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > n && f[0] == prefix {
			return f[n]
		}
	}
	t.Errorf("no line %s in\n%s", prefix, out)
	return ""
}
