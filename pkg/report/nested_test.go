package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// nestedEvil is what a sub-playbook's step id or error may carry: a
// retitle and a screen clear, which must not reach a terminal.
const nestedEvil = "\x1b]0;owned\x07\x1b[2J"

// nestedReport has, under one run:
//   - l1 → l2 → l3 → check: a shell step three sub-playbooks down that
//     failed, after prep succeeded, with cleanup skipped after it;
//   - fan: a fan-out of playbook.run whose item 1 failed in its step
//     check, items 0 and 2 succeeded;
//   - hosts: the same over labelled items, web-2's run failed in a step
//     whose id and error carry terminal controls;
//   - fine: a sub-playbook that succeeded, though a step in it failed with
//     continue_on_error: it adds no rows.
func nestedReport() *Report {
	started := goldenStart.Add(time.Second)
	shell := func(id string, st Status, e *Error) Step {
		s := Step{ID: id, Op: "shell.exec", Section: "steps", Status: st, DurationMS: 12, Error: e}
		if st != StatusSkipped {
			s.Attempts, s.StartedAt = 1, &started
		}
		return s
	}
	sub := func(name string, st Status, e *Error, steps ...Step) *SubRun {
		return &SubRun{RunID: "sub-" + name, Playbook: Playbook{Name: name, Path: name + ".yaml"}, Status: st, Steps: steps, Error: e}
	}
	call := func(id string, st Status, e *Error, s *SubRun) Step {
		return Step{ID: id, Op: "playbook.run", Section: "steps", Status: st, Attempts: 1, StartedAt: &started, DurationMS: 40, Error: e, Sub: s}
	}
	exit7 := &Error{Class: "execution", Message: "exit code 7 is not in ok_codes [0]; stderr ends with:\ndisk full on db-3"}
	chain := func(name, step string, e *Error) *Error {
		return &Error{Class: "execution", Message: fmt.Sprintf("sub-playbook %s failed: step %s failed: %s", name, step, e.Message)}
	}
	e3 := chain("l3", "check", exit7)
	e2 := chain("l2", "l3", e3)
	e1 := chain("l1", "l2", e2)
	l1 := call("l1", StatusFailed, e1,
		sub("l1", StatusFailed, e2,
			shell("before", StatusSucceeded, nil),
			call("l2", StatusFailed, e2,
				sub("l2", StatusFailed, e3,
					call("l3", StatusFailed, e3,
						sub("l3", StatusFailed, exit7,
							shell("prep", StatusSucceeded, nil),
							shell("check", StatusFailed, exit7),
							shell("cleanup", StatusSkipped, nil)))))))

	fanErr := &Error{Class: "execution", Message: "exit code 1 is not in ok_codes [0]; stderr ends with:\nitem one is broken"}
	fan := Step{ID: "fan", Op: "playbook.run", Section: "steps", Status: StatusFailed, Attempts: 1, StartedAt: &started, DurationMS: 50,
		Error: chain("item", "check", fanErr),
		Items: []Item{{Index: 0, Status: StatusSucceeded, Attempts: 1}, {Index: 1, Status: StatusFailed, Attempts: 1, Error: chain("item", "check", fanErr)}, {Index: 2, Status: StatusSucceeded, Attempts: 1}},
		Subs: []*SubRun{
			sub("item", StatusSucceeded, nil, shell("check", StatusSucceeded, nil)),
			sub("item", StatusFailed, fanErr, shell("check", StatusFailed, fanErr)),
			sub("item", StatusSucceeded, nil, shell("check", StatusSucceeded, nil)),
		}}

	evilErr := &Error{Class: "execution", Message: "exit code 2 is not in ok_codes [0]; stderr ends with:\nred" + nestedEvil + " alert"}
	hosts := Step{ID: "hosts", Op: "playbook.run", Section: "steps", Status: StatusFailed, Attempts: 1, StartedAt: &started, DurationMS: 30,
		Error: evilErr,
		Items: []Item{{Index: 0, Label: "web-1", Status: StatusSucceeded, Attempts: 1}, {Index: 1, Label: "web-2", Status: StatusFailed, Attempts: 1, Error: evilErr}},
		Subs: []*SubRun{
			sub("probe", StatusSucceeded, nil, shell("ping", StatusSucceeded, nil)),
			sub("probe", StatusFailed, evilErr, shell("ping"+nestedEvil, StatusFailed, evilErr)),
		}}

	ignoredStep := shell("flaky", StatusFailed, &Error{Class: "execution", Message: "should not be listed"})
	ignoredStep.Ignored = true
	fine := call("fine", StatusSucceeded, nil, sub("fine", StatusSucceeded, nil, ignoredStep, shell("after", StatusSucceeded, nil)))

	return &Report{
		ReportVersion: FormatVersion, RunID: "r-nested", Playbook: Playbook{Name: "top", Path: "top.yaml"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart.Add(3 * time.Second), DurationMS: 3000,
		Steps: []Step{fine, l1, fan, hosts},
		Error: e1,
	}
}

// textRows is the rows of a text table whose first field (after the icon)
// starts with one of the prefixes, each as its fields joined by one space.
func textRows(out string, prefixes ...string) []string {
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(f[1], p) {
				rows = append(rows, strings.Join(f, " "))
				break
			}
		}
	}
	return rows
}

// TestTextListsFailedNestedSteps: under a playbook.run step, the summary
// names the nested steps that failed by their path, with their own error
// as its note, three levels down and in a fan-out's item; a sub-run that
// succeeded adds nothing, and neither do the nested steps that succeeded
// or were skipped; the playbook.run steps in between, whose notes would be
// the chain again, are named by the paths under them.
func TestTextListsFailedNestedSteps(t *testing.T) {
	out := renderText(t, nestedReport())
	got := textRows(out, "l1/", "fan[", "hosts[", "fine/")
	want := []string{
		"✗ l1/l2/l3/check shell.exec failed 12ms 1 execution: exit code 7 is not in ok_codes [0]; stderr ends with: disk full on db-3",
		"✗ fan[1]/check shell.exec failed 12ms 1 execution: exit code 1 is not in ok_codes [0]; stderr ends with: item one is broken",
		"✗ hosts[web-2]/ping shell.exec failed 12ms 1 execution: exit code 2 is not in ok_codes [0]; stderr ends with: red alert",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nested rows (-want +got):\n%s\nwhole summary:\n%s", diff, out)
	}
	for _, bad := range []string{"prep", "cleanup", "fan[0]", "fan[2]", "web-1]/", "flaky", "fine/"} {
		if strings.Contains(out, bad) {
			t.Errorf("the summary lists %q, which succeeded, was skipped or ran in a sub-run that succeeded:\n%s", bad, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "owned") {
		t.Errorf("a nested id or error reaches the terminal with its control sequences:\n%q", out)
	}
}

// TestNestedRowsAreBounded: past nestedMaxRows nested steps under one
// step, the summary says how many more the report has.
func TestNestedRowsAreBounded(t *testing.T) {
	e := &Error{Class: "execution", Message: "boom"}
	var steps []Step
	for i := range nestedMaxRows + 5 {
		steps = append(steps, Step{ID: fmt.Sprintf("s%d", i), Op: "control.fail", Status: StatusFailed, Attempts: 1, Error: e})
	}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "call", Op: "playbook.run", Status: StatusFailed, Attempts: 1, Error: e,
			Sub: &SubRun{RunID: "x", Status: StatusFailed, Steps: steps}}}}
	out := renderText(t, r)
	if n := len(textRows(out, "call/")); n != nestedMaxRows {
		t.Errorf("%d nested rows, want %d:\n%s", n, nestedMaxRows, out)
	}
	if !strings.Contains(out, "5 more nested steps in the report") {
		t.Errorf("no line counting the nested steps left out:\n%s", out)
	}
	if l, _ := nestedSteps(&r.Steps[0], -1); len(l) != nestedMaxRows+5 {
		t.Errorf("nestedSteps lists %d, want all %d", len(l), nestedMaxRows+5)
	}
}

// TestMarkdownListsFailedNestedSteps: the job summary's table has the
// same rows, escaped for Markdown.
func TestMarkdownListsFailedNestedSteps(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, nestedReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| ❌ | ↳ `l1/l2/l3/check` | `shell.exec` | failed | 12ms | 1 | execution: exit code 7 is not in ok\\_codes \\[0\\]; stderr ends with: disk full on db-3 |",
		"| ❌ | ↳ `fan[1]/check` | `shell.exec` | failed |",
		"| ❌ | ↳ `hosts[web-2]/ping` | `shell.exec` | failed |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "flaky") || strings.Contains(out, "prep") || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("the Markdown lists a step it should not, or keeps control sequences:\n%q", out)
	}
}

// TestHTMLListsFailedNestedSteps: the step's details list its nested
// failed steps; the page still renders.
func TestHTMLListsFailedNestedSteps(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, nestedReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"<td><code>l1/l2/l3/check</code></td><td><code>shell.exec</code></td>",
		"<td><code>fan[1]/check</code></td>",
		"<td><code>hosts[web-2]/ping</code></td>",
		"disk full on db-3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	if strings.Contains(out, "flaky") || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("the HTML lists a step of a sub-run that succeeded, or keeps control sequences")
	}
}

// TestJUnitHasNestedTestcases: each nested step that failed is a
// testcase of its own, named by its path, failed with its own error as
// the message.
func TestJUnitHasNestedTestcases(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, nestedReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`<testcase name="l1/l2/l3/check" classname="top" time="0.012">`,
		`<failure message="exit code 7 is not in ok_codes [0]; stderr ends with: disk full on db-3" type="execution">`,
		`<testcase name="fan[1]/check" classname="top"`,
		`<testcase name="hosts[web-2]/ping" classname="top"`,
		"sub-playbook: l3 (l3.yaml), run sub-l3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the JUnit lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "flaky") || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("the JUnit lists a step of a sub-run that succeeded, or keeps control sequences:\n%s", out)
	}
}

// TestJUnitNestedUnderIgnoredStepIsSkipped: the nested failures of a step
// whose continue_on_error let the run go on are not the run's: skipped,
// as the step is.
func TestJUnitNestedUnderIgnoredStepIsSkipped(t *testing.T) {
	r := nestedReport()
	r.Steps = r.Steps[1:2] // l1
	r.Steps[0].Ignored = true
	r.Status, r.Error = StatusSucceeded, nil
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "<failure") || !strings.Contains(out, `<testcase name="l1/l2/l3/check"`) {
		t.Errorf("want the nested steps listed and skipped, none failed:\n%s", out)
	}
}

// TestWriteNestedText: the table `history show` adds after its own; none
// for a run without failed sub-playbook steps.
func TestWriteNestedText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteNestedText(&b, nestedReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "l1/l2/l3/check shell.exec ✗ failed 1 12ms execution: exit code 7 is not in ok_codes [0]; stderr ends with: disk full on db-3"
	if !strings.Contains(out, "steps of sub-playbooks that did not succeed") || !slices.Contains(nestedLines(out), want) || len(nestedLines(out)) != 3 {
		t.Errorf("want the heading and 3 rows, one of them %q:\n%s", want, out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control sequences in %q", out)
	}
	b.Reset()
	r := nestedReport()
	r.Steps = r.Steps[:1] // fine
	if err := WriteNestedText(&b, r); err != nil || b.Len() != 0 {
		t.Errorf("WriteNestedText of a run whose sub-playbooks succeeded: %q, %v; want nothing", b.String(), err)
	}
}

// nestedLines is the lines of out whose first field is a nested step's
// path, each as its fields joined by one space.
func nestedLines(out string) []string {
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.Contains(f[0], "/") {
			rows = append(rows, strings.Join(f, " "))
		}
	}
	return rows
}

// TestNestedCancelledLeavesOutStepsNeverStarted: of a cancelled sub-run,
// the step cancelled while it ran is listed, not the steps it never
// started.
func TestNestedCancelledLeavesOutStepsNeverStarted(t *testing.T) {
	started := goldenStart
	cause := &Error{Class: "cancelled", Message: "interrupt"}
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusCancelled,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "call", Op: "playbook.run", Status: StatusCancelled, Attempts: 1, StartedAt: &started, Error: cause,
			Sub: &SubRun{RunID: "x", Status: StatusCancelled, Steps: []Step{
				{ID: "slow", Op: "shell.exec", Status: StatusCancelled, Attempts: 1, StartedAt: &started, Error: cause},
				{ID: "later", Op: "shell.exec", Status: StatusCancelled, Reason: "not started: interrupt", Error: cause},
			}}}}}
	out := renderText(t, r)
	if got := textRows(out, "call/"); len(got) != 1 || !strings.HasPrefix(got[0], "■ call/slow shell.exec cancelled") {
		t.Errorf("nested rows %q, want call/slow only:\n%s", got, out)
	}
}

// TestNestedRowsShowTheStepThatFailedFirst: past nestedMaxRows nested
// steps, those whose failure was ignored or rescued are left out before
// the one that failed the sub-run, and the rows keep their order.
func TestNestedRowsShowTheStepThatFailedFirst(t *testing.T) {
	e := &Error{Class: "execution", Message: "boom"}
	var steps []Step
	for i := range nestedMaxRows + 3 {
		steps = append(steps, Step{ID: fmt.Sprintf("lint%02d", i), Op: "control.fail", Status: StatusFailed, Attempts: 1, Error: e, Ignored: true})
	}
	steps = append(steps,
		Step{ID: "migrate", Op: "control.fail", Status: StatusFailed, Attempts: 1, Error: e, Rescued: true},
		Step{ID: "deploy", Op: "shell.exec", Status: StatusFailed, Attempts: 1, Error: &Error{Class: "execution", Message: "connecting to db-7"}})
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart,
		Steps: []Step{{ID: "call", Op: "playbook.run", Status: StatusFailed, Attempts: 1, Error: e,
			Sub: &SubRun{RunID: "x", Status: StatusFailed, Steps: steps}}}}
	list, more := nestedSteps(&r.Steps[0], nestedMaxRows)
	var got []string
	for _, n := range list {
		got = append(got, n.Path)
	}
	var want []string
	for i := range nestedMaxRows - 1 {
		want = append(want, fmt.Sprintf("call/lint%02d", i))
	}
	want = append(want, "call/deploy")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nested steps listed (-want +got):\n%s", diff)
	}
	if more != 5 {
		t.Errorf("%d more nested steps, want 5", more)
	}
	if out := renderText(t, r); !strings.Contains(out, "connecting to db-7") {
		t.Errorf("the text summary lacks the step that failed the sub-run:\n%s", out)
	}
}

// TestNestedRowsUnderExcusedStepSayWhy: the rows of the nested steps of a
// step whose rescue steps recovered, or whose continue_on_error let the
// run go on, say so in every format, as their JUnit testcases are skipped
// for it: a reader does not take them for the run's failure. They name
// the step whose rescue steps or continue_on_error it was, which is not
// the nested step: that one has none.
func TestNestedRowsUnderExcusedStepSayWhy(t *testing.T) {
	for _, tc := range []struct{ name, note, junit string }{
		{"rescued", "rescued: rescue steps of l1", "rescued: the rescue steps of l1 recovered"},
		{"ignored", IgnoredNote + " of l1", "ignored: continue_on_error of l1 let the run go on"},
	} {
		r := nestedReport()
		r.Steps = r.Steps[1:2] // l1
		if tc.name == "rescued" {
			r.Steps[0].Rescued = true
		} else {
			r.Steps[0].Ignored = true
		}
		r.Status, r.Error = StatusSucceeded, nil
		if got := textRows(renderText(t, r), "l1/"); len(got) != 1 || !strings.Contains(got[0], " 1 "+tc.note+"; execution: exit code 7") {
			t.Errorf("%s: text rows %q, want the check row's note to start %q", tc.name, got, tc.note)
		}
		var md, html, hist bytes.Buffer
		if err := WriteMarkdown(&md, r); err != nil {
			t.Fatal(err)
		}
		mdNote := mdCell(tc.note, 100)
		if want := "| ↳ `l1/l2/l3/check` | `shell.exec` | failed | 12ms | 1 | " + mdNote + "; execution:"; !strings.Contains(md.String(), want) {
			t.Errorf("%s: the Markdown lacks %q:\n%s", tc.name, want, md.String())
		}
		if err := WriteHTML(&html, r); err != nil {
			t.Fatal(err)
		}
		if want := "<td>" + tc.note + "; execution: exit code 7"; !strings.Contains(html.String(), want) {
			t.Errorf("%s: the HTML lacks %q", tc.name, want)
		}
		if err := WriteNestedText(&hist, r); err != nil {
			t.Fatal(err)
		}
		if got := nestedLines(hist.String()); len(got) != 1 || !strings.Contains(got[0], " 12ms "+tc.note+"; execution:") {
			t.Errorf("%s: history rows %q, want the note to start %q", tc.name, got, tc.note)
		}
		var junit bytes.Buffer
		if err := WriteJUnit(&junit, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(junit.String(), tc.junit) {
			t.Errorf("%s: the JUnit lacks %q:\n%s", tc.name, tc.junit, junit.String())
		}
	}
}
