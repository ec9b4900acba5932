package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

func TestWriteRuns(t *testing.T) {
	runs := []Run{
		{ID: "20250314T100000-aaaa", Playbook: "deploy", Status: report.StatusFailed, StartedAt: t0.Add(time.Hour),
			FinishedAt: ptr(t0.Add(time.Hour + 9870*time.Millisecond)), DurationMS: 9870, Roles: []string{},
			Error: &report.Error{Class: "execution", Message: "step health failed:\nstatus 503"}, ResumedFrom: "20250314T090000-bbbb"},
		{ID: "20250314T090000-bbbb", Playbook: "deploy", Status: StatusInterrupted, StartedAt: t0, FinishedAt: ptr(t0), Roles: []string{}},
		{ID: "20250314T110000-cccc", Playbook: "nightly", Status: StatusRunning, StartedAt: t0.Add(2 * time.Hour), Roles: []string{"operator"}},
		{ID: "20250314T120000-dddd", Playbook: "deploy", Status: StatusRunning, StartedAt: t0.Add(3 * time.Hour), Roles: []string{}, DryRun: true},
		{ID: "20250314T130000-eeee", Playbook: "deploy", Status: report.StatusFailed, StartedAt: t0.Add(4 * time.Hour),
			FinishedAt: ptr(t0.Add(4*time.Hour + 20*time.Millisecond)), DurationMS: 20, Roles: []string{}, DryRun: true,
			Error: &report.Error{Class: "authorization", Message: "step restart would be denied"}},
	}
	var b bytes.Buffer
	if err := WriteRuns(&b, runs, false); err != nil {
		t.Fatal(err)
	}
	want := `STARTED (UTC)        RUN                   PLAYBOOK  STATUS         DURATION  NOTE
2025-03-14 10:00:00  20250314T100000-aaaa  deploy    ✗ failed       9.9s      execution: step health failed: status 503; resumed from 20250314T090000-bbbb
2025-03-14 09:00:00  20250314T090000-bbbb  deploy    ↯ interrupted  ≥0ms
2025-03-14 11:00:00  20250314T110000-cccc  nightly   … running      -
2025-03-14 12:00:00  20250314T120000-dddd  deploy    … running      -         dry run
2025-03-14 13:00:00  20250314T130000-eeee  deploy    ✗ failed       20ms      dry run; authorization: step restart would be denied
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}

	b.Reset()
	if err := WriteRuns(&b, runs[2:4], true); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	wantJSON := []map[string]any{{
		"id": "20250314T110000-cccc", "playbook": "nightly", "path": "", "sha256": "", "roles": []any{"operator"},
		"status": "running", "started_at": "2025-03-14T11:00:00Z",
	}, {
		"id": "20250314T120000-dddd", "playbook": "deploy", "path": "", "sha256": "", "roles": []any{},
		"status": "running", "started_at": "2025-03-14T12:00:00Z", "dry_run": true,
	}}
	if diff := cmp.Diff(wantJSON, got); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}

	for _, asJSON := range []bool{false, true} {
		b.Reset()
		if err := WriteRuns(&b, nil, asJSON); err != nil {
			t.Fatal(err)
		}
		want := "no runs recorded\n"
		if asJSON {
			want = "[]\n"
		}
		if b.String() != want {
			t.Errorf("no runs, json %v: %q, want %q", asJSON, b.String(), want)
		}
	}
}

// TestRunJSONAgreesWithText: the JSON of a run says what the table and
// `history show` say: no duration while it runs ("-"), and no report path
// when its process ended before writing the report ("report none").
func TestRunJSONAgreesWithText(t *testing.T) {
	dir := t.TempDir()
	written := filepath.Join(dir, "written.json")
	if err := os.WriteFile(written, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "never-written.json")
	runs := []Run{
		{ID: "killed", Status: StatusInterrupted, StartedAt: t0, FinishedAt: ptr(t0.Add(time.Second)), DurationMS: 1000, ReportPath: missing},
		{ID: "crashed-late", Status: StatusInterrupted, StartedAt: t0, FinishedAt: ptr(t0), ReportPath: written},
		{ID: "running", Status: StatusRunning, StartedAt: t0, ReportPath: missing},
		{ID: "instant", Status: report.StatusSucceeded, StartedAt: t0, FinishedAt: ptr(t0), ReportPath: written},
	}
	type entry struct {
		ID         string  `json:"id"`
		ReportPath *string `json:"report_path"`
		DurationMS *int64  `json:"duration_ms"`
	}
	want := map[string][2]any{ // report path, duration
		"killed": {nil, int64(1000)}, "crashed-late": {written, int64(0)},
		"running": {missing, nil}, "instant": {written, int64(0)},
	}
	check := func(e entry) {
		t.Helper()
		var path, dur any
		if e.ReportPath != nil {
			path = *e.ReportPath
		}
		if e.DurationMS != nil {
			dur = *e.DurationMS
		}
		if w := want[e.ID]; path != w[0] || dur != w[1] {
			t.Errorf("run %s: report_path %v, duration_ms %v; want %v, %v", e.ID, path, dur, w[0], w[1])
		}
	}
	var b bytes.Buffer
	if err := WriteRuns(&b, runs, true); err != nil {
		t.Fatal(err)
	}
	var list []entry
	if err := json.Unmarshal(b.Bytes(), &list); err != nil || len(list) != len(runs) {
		t.Fatalf("%v: %s", err, b.String())
	}
	for _, e := range list {
		check(e)
	}
	for _, r := range runs {
		b.Reset()
		if err := WriteRun(&b, r, nil, true); err != nil {
			t.Fatal(err)
		}
		var one struct{ Run entry }
		if err := json.Unmarshal(b.Bytes(), &one); err != nil {
			t.Fatal(err)
		}
		check(one.Run)
		b.Reset()
		if err := WriteRun(&b, r, nil, false); err != nil {
			t.Fatal(err)
		}
		if none := strings.Contains(b.String(), "report    none"); none != (want[r.ID][0] == nil) {
			t.Errorf("run %s: text says report none %v:\n%s", r.ID, none, b.String())
		}
	}
}

// TestWriteRunsHasNoTerminalControls: the history table, the stats and
// history show go to a terminal, and their text comes from reports and
// rows, which come from anywhere.
func TestWriteRunsHasNoTerminalControls(t *testing.T) {
	evil := "\x1b]0;owned\x07\x1b[1A\rbad\u009b2J"
	runs := []Run{{ID: "r" + evil, Playbook: "p" + evil, Status: report.Status("failed" + evil), StartedAt: t0, Roles: []string{},
		Error: &report.Error{Class: "execution" + evil, Message: evil}, ResumedFrom: evil}}
	var b bytes.Buffer
	if err := WriteRuns(&b, runs, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"\x1b", "\r", "\x07", "\u009b"} {
		if bytes.Contains(b.Bytes(), []byte(c)) {
			t.Errorf("the table holds %q:\n%q", c, b.String())
		}
	}
	b.Reset()
	if err := WriteStats(&b, StatsWindow{}, []OpStats{{Op: "x" + evil}}, []PlaybookStats{{Playbook: "p" + evil}}, false); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\r\x07") {
		t.Errorf("the stats tables hold control characters:\n%q", b.String())
	}
	// history show: its header as well as its rows.
	b.Reset()
	one := runs[0]
	one.Path, one.ReportPath, one.StartedBy, one.Roles = "/tmp/x"+evil+".yaml", "/tmp/r"+evil+".json", "ci"+evil, []string{"op" + evil}
	if err := WriteRun(&b, one, nil, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"\x1b", "\r", "\x07", "\u009b"} {
		if bytes.Contains(b.Bytes(), []byte(c)) {
			t.Errorf("history show holds %q:\n%q", c, b.String())
		}
	}
}

// TestWriteRunSaysWhoStartedIt: `history show` says how a run was started
// (its trigger, a scheduled run's slot, whether as a dry run), by whom and
// with which roles, what it resumed, and for a skipped slot which run was
// in its way.
func TestWriteRunSaysWhoStartedIt(t *testing.T) {
	slot := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		run  Run
		want []string
	}{
		{Run{ID: "s", Playbook: "tick", Status: report.StatusSucceeded, StartedAt: slot, Trigger: TriggerSchedule, Slot: &slot, StartedBy: "scheduler", Roles: []string{"operator"}},
			[]string{"started   2026-12-02 03:00:00 UTC\n", "trigger   schedule, slot 2026-12-02 03:00:00 UTC\n", "by        scheduler, roles operator\n"}},
		{Run{ID: "a", Playbook: "p", Status: report.StatusFailed, StartedAt: slot, Trigger: TriggerAPI, StartedBy: "oncall-key", Roles: []string{"operator", "viewer"}, ResumedFrom: "r0"},
			[]string{"trigger   api\n", "by        oncall-key, roles operator, viewer\n", "resumes   r0\n"}},
		{Run{ID: "c", Playbook: "p", Status: report.StatusSucceeded, StartedAt: slot, Roles: []string{"admin"}},
			[]string{"trigger   cli\n", "roles     admin\n"}},
		{Run{ID: "d", Playbook: "p", Status: report.StatusSucceeded, StartedAt: slot, DryRun: true},
			[]string{"dry run   only read operations were executed\n"}},
		{Run{ID: "k", Playbook: "tick", Status: report.StatusSkipped, StartedAt: slot, Trigger: TriggerSchedule, Slot: &slot, BlockedBy: "r1",
			Error: &report.Error{Message: "skipped: run r1 was still running"}},
			[]string{"blocked   by r1, which was still running then\n", "error     skipped: run r1 was still running\n"}},
		// A message that starts with its class does not get it twice.
		{Run{ID: "x", Playbook: "p", Status: report.StatusCancelled, StartedAt: slot, Error: &report.Error{Class: "cancelled", Message: "cancelled: the scheduler stopped"}},
			[]string{"error     cancelled: the scheduler stopped\n"}},
		// Killed: how long it ran is known only up to its last step, and
		// the report its row names was never written.
		{Run{ID: "i", Playbook: "p", Status: StatusInterrupted, StartedAt: slot, FinishedAt: &slot, DurationMS: 2500, ReportPath: filepath.Join(t.TempDir(), "i.json")},
			[]string{"duration  at least 2.5s (until its last recorded step ended)\n", "report    none: the process ended before it wrote one\n"}},
	} {
		var b strings.Builder
		if err := WriteRun(&b, c.run, nil, false); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("run %s: no %q in\n%s", c.run.ID, w, b.String())
			}
		}
	}
}

// TestWriteRunSaysAFailureWasIgnored: 'history show' tells a failure that
// continue_on_error let the run go past from one that counted.
func TestWriteRunSaysAFailureWasIgnored(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at}
	rows := []StepRow{
		{StepID: "probe", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at, Ignored: true},
		{StepID: "gate", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at},
	}
	var b strings.Builder
	if err := WriteRun(&b, run, rows, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ step, want string }{
		{"probe", "execution (ignored: continue_on_error)"},
		{"gate", "execution"},
	} {
		var line string
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, c.step+" ") {
				line = l
			}
		}
		if !strings.HasSuffix(strings.TrimRight(line, " "), c.want) || (c.step == "gate" && strings.Contains(line, "ignored")) {
			t.Errorf("step %s: line %q, want it to end with %q", c.step, line, c.want)
		}
	}
}

// TestWriteRunSaysItsReportIsGone: a finished run whose report file was
// removed says so, rather than naming a file that is not there above rows
// that lack what the report would have given.
func TestWriteRunSaysItsReportIsGone(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.json")
	if err := os.WriteFile(kept, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	finished := t0.Add(time.Second)
	for _, tc := range []struct{ path, want string }{
		{kept, "report    " + kept + "\n"},
		{filepath.Join(dir, "gone.json"), "report    " + filepath.Join(dir, "gone.json") + " is gone; the steps below are the history's record, without their messages\n"},
	} {
		var b bytes.Buffer
		run := Run{ID: "r1", Playbook: "p", Status: report.StatusSucceeded, StartedAt: t0, FinishedAt: &finished, ReportPath: tc.path}
		if err := WriteRun(&b, run, nil, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("want %q in:\n%s", tc.want, b.String())
		}
	}
}

// TestWriteRunSaysAStepWasRescued: 'history show' marks a failed step its
// rescue steps recovered, as it marks an ignored one, and names a rescue
// step after the step it rescues, as the summary of `run` does; --json
// has both from the report.
func TestWriteRunSaysAStepWasRescued(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at}
	rows := []StepRow{
		{StepID: "migrate", Section: "steps", Kind: "step", Attempt: 1, Op: "control.fail", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at},
		{StepID: "restore", Section: "rescue", Kind: "step", Attempt: 1, Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
		{StepID: "poll", Section: "steps", Kind: "step", Attempt: 1, Op: "control.set", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at, Ignored: true},
	}
	rep := &report.Report{RunID: "r", Status: report.StatusSucceeded, Steps: []report.Step{
		{ID: "migrate", Op: "control.fail", Section: "steps", Status: report.StatusFailed, Rescued: true, Error: &report.Error{Class: "execution", Message: "migration 42 failed"}},
		{ID: "restore", Op: "control.log", Section: "rescue", Status: report.StatusSucceeded, RescueOf: "migrate"},
		{ID: "poll", Op: "control.set", Section: "steps", Status: report.StatusFailed, Ignored: true, Error: &report.Error{Class: "execution", Message: "until never held"}},
	}}
	lines := func(rep *report.Report) map[string]string {
		var b strings.Builder
		if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, l := range strings.Split(b.String(), "\n") {
			if name, _, ok := strings.Cut(l, " "); ok {
				out[name] = strings.TrimRight(l, " ")
			}
		}
		return out
	}
	got := lines(rep)
	for name, want := range map[string]string{
		"migrate":                "execution: migration 42 failed (rescued)",
		"migrate/rescue/restore": "✓ succeeded",
		"poll":                   "execution: until never held (ignored: continue_on_error)",
	} {
		if !strings.Contains(got[name], want) {
			t.Errorf("row of %s: %q, want it to hold %q", name, got[name], want)
		}
	}
	// Without the report, the history's rows say neither.
	if got := lines(nil); got["rescue/restore"] == "" || strings.Contains(got["migrate"], "rescued") {
		t.Errorf("without the report: rows %q and %q", got["rescue/restore"], got["migrate"])
	}

	var b bytes.Buffer
	if err := WriteRunReport(&b, run, rows, rep, true); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Steps []struct {
			ID       string `json:"id"`
			Rescued  bool   `json:"rescued"`
			RescueOf string `json:"rescue_of"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID       string
		Rescued  bool
		RescueOf string
	}
	var steps []row
	for _, s := range doc.Steps {
		steps = append(steps, row(s))
	}
	want := []row{{"migrate", true, ""}, {"restore", false, "migrate"}, {"poll", false, ""}}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("history show --json steps (-want +got):\n%s", diff)
	}
}

// TestWriteRunListsTheFailedItemFirst: past maxItems items, 'history show'
// lists the item that failed before the items its failure cancelled, however
// far down it is.
func TestWriteRunListsTheFailedItemFirst(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusFailed, StartedAt: at}
	rows := []StepRow{{StepID: "fan", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at}}
	for i := range maxItems + 20 {
		st, class := report.StatusCancelled, "cancelled"
		if i == maxItems+10 {
			st, class = report.StatusFailed, "execution"
		}
		rows = append(rows, StepRow{StepID: "fan", Section: "steps", Kind: "item", Item: &i, Attempt: 1, Op: "shell.exec", Status: st, ErrorClass: class, StartedAt: &at})
	}
	var b strings.Builder
	if err := WriteRun(&b, run, rows, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, fmt.Sprintf("  fan[%d] ", maxItems+10)) || !strings.Contains(out, "  …  ") || strings.Count(out, "  fan[") != maxItems {
		t.Errorf("want %d item rows with fan[%d] among them and a line for the rest:\n%s", maxItems, maxItems+10, out)
	}
}

// TestWriteRunSaysAStepWasCached: 'history show' marks a step and the items
// whose output came from the result cache, whose rows have no tries, as
// the summary of `run` does.
func TestWriteRunSaysAStepWasCached(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at}
	zero, one := 0, 1
	rows := []StepRow{
		{StepID: "fetch", Section: "steps", Kind: "step", Op: "http.request", Status: report.StatusSucceeded, StartedAt: &at},
		{StepID: "each", Section: "steps", Kind: "step", Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
		{StepID: "each", Section: "steps", Kind: "item", Item: &zero, Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
		{StepID: "each", Section: "steps", Kind: "item", Item: &one, Attempt: 1, Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
	}
	rep := &report.Report{RunID: "r", Status: report.StatusSucceeded, Steps: []report.Step{
		{ID: "fetch", Op: "http.request", Section: "steps", Status: report.StatusSucceeded, Cached: true, CacheAgeMS: 60000},
		{ID: "each", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, Items: []report.Item{
			{Index: 0, Label: "a", Status: report.StatusSucceeded, Cached: true},
			{Index: 1, Label: "b", Status: report.StatusSucceeded, Attempts: 1},
		}},
	}}
	var b strings.Builder
	if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(l), " ")
		want := map[string]bool{"fetch": true, "each[a]": true, "each[b]": false, "each": false}
		if c, ok := want[name]; ok && strings.HasSuffix(strings.TrimRight(l, " "), "(cached)") != c {
			t.Errorf("row %q: cached note %v, want %v", l, !c, c)
		}
	}
	if !strings.Contains(b.String(), "(cached)") {
		t.Errorf("no row says cached:\n%s", b.String())
	}
}

// TestWriteRunSaysAFanOutHadNoItems: 'history show' notes a fan-out whose
// foreach gave no item, which has no item rows to say so, from its report.
func TestWriteRunSaysAFanOutHadNoItems(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusSucceeded, StartedAt: at}
	rows := []StepRow{
		{StepID: "fan", Section: "steps", Kind: "step", Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
		{StepID: "plain", Section: "steps", Kind: "step", Attempt: 1, Op: "control.log", Status: report.StatusSucceeded, StartedAt: &at},
	}
	rep := &report.Report{RunID: "r", Status: report.StatusSucceeded, Steps: []report.Step{
		{ID: "fan", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, ItemCounts: map[report.Status]int{}},
		{ID: "plain", Op: "control.log", Section: "steps", Status: report.StatusSucceeded, Attempts: 1},
	}}
	var b strings.Builder
	if err := WriteRunReport(&b, run, rows, rep, false); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		name, _, _ := strings.Cut(l, " ")
		if has := strings.HasSuffix(strings.TrimRight(l, " "), report.EmptyFanOutNote); (name == "fan") != has && (name == "fan" || name == "plain") {
			t.Errorf("row %q: note %q %v, want it on the fan-out only", l, report.EmptyFanOutNote, has)
		}
	}
}

// TestSkippedNoteKeepsItsReason: a slot skipped behind a run with a full
// id. Before, its NOTE was cut at 80 characters inside the message,
// "skipped: run 20261207T155006-00dee42bccbb4ab3b6ec34d3596d718f was
// still running…", and lost why it was skipped. Now the blocker's id is
// shortened to the start history show takes, and the reason stays whole.
func TestSkippedNoteKeepsItsReason(t *testing.T) {
	blocker := "20261207T155006-00dee42bccbb4ab3b6ec34d3596d718f"
	runs := []Run{{ID: "20261207T155010-01a25132bf503368d1b563ef2d54", Playbook: "slow", Status: report.StatusSkipped,
		StartedAt: t0, FinishedAt: ptr(t0), Roles: []string{}, BlockedBy: blocker,
		Error: &report.Error{Message: "skipped: run " + blocker + " was still running (overlap: skip)"}}}
	var b bytes.Buffer
	if err := WriteRuns(&b, runs, false); err != nil {
		t.Fatal(err)
	}
	if want := "skipped: run 20261207T155006-00dee42b was still running (overlap: skip)\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("the note does not end in %q:\n%s", want, b.String())
	}
	if runs[0].Error.Message != "skipped: run "+blocker+" was still running (overlap: skip)" {
		t.Errorf("the run's own error was changed: %q", runs[0].Error.Message)
	}
}
