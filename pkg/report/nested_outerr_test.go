package report

import (
	"strings"
	"testing"
	"time"
)

// outErrReport has sub-runs with outputs that could not be computed: one
// that succeeded (call), an item of a fan-out (fan[b]), and a run two levels
// down, under a sub-run that failed (deep/l2).
func outErrReport() *Report {
	started := goldenStart.Add(time.Second)
	why := "expression `steps.a.output.v`: steps.a.output is null, so it has no field v"
	sub := func(st Status, errs map[string]string, steps ...Step) *SubRun {
		return &SubRun{RunID: "sub", Playbook: Playbook{Name: "child", Path: "child.yaml"}, Status: st, Steps: steps, OutputErrors: errs}
	}
	call := func(id string, st Status, s *SubRun) Step {
		return Step{ID: id, Op: "playbook.run", Section: "steps", Status: st, Attempts: 1, StartedAt: &started, Sub: s}
	}
	fail := &Error{Class: "execution", Message: "exit code 3 is not in ok_codes [0]"}
	bad := Step{ID: "say", Op: "shell.exec", Section: "steps", Status: StatusFailed, Attempts: 1, StartedAt: &started, Error: fail}
	fan := Step{ID: "fan", Op: "playbook.run", Section: "steps", Status: StatusSucceeded, Attempts: 1, StartedAt: &started,
		Items: []Item{{Index: 0, Label: "a", Status: StatusSucceeded, Attempts: 1}, {Index: 1, Label: "b", Status: StatusSucceeded, Attempts: 1}},
		Subs:  []*SubRun{sub(StatusSucceeded, nil), sub(StatusSucceeded, map[string]string{"x": why})}}
	deep := call("deep", StatusFailed, sub(StatusFailed, nil, call("l2", StatusSucceeded, sub(StatusSucceeded, map[string]string{"y": why})), bad))
	deep.Error = fail
	return &Report{
		ReportVersion: FormatVersion, RunID: "r-outerr", Playbook: Playbook{Name: "top", Path: "top.yaml"}, Status: StatusFailed,
		StartedAt: goldenStart, FinishedAt: goldenStart.Add(time.Second), DurationMS: 1000,
		Steps: []Step{call("call", StatusSucceeded, sub(StatusSucceeded, map[string]string{"x": why})), fan, deep},
		Error: fail,
	}
}

// TestNestedOutputErrorsAreShown: an output of a sub-playbook that could
// not be computed, which the calling playbook reads as null, is named with
// its reason under the step that ran the sub-playbook, in the text summary,
// Markdown and HTML, at any depth and whether or not the sub-run failed.
func TestNestedOutputErrorsAreShown(t *testing.T) {
	r := outErrReport()
	text := renderText(t, r)
	for _, want := range []string{"call: output x", "fan[b]: output x", "deep/l2: output y"} {
		rows := textRows(text, strings.Fields(want)[0])
		if len(rows) != 1 || !strings.Contains(rows[0], want) || !strings.Contains(rows[0], "steps.a.output is null") {
			t.Errorf("text: rows %q; want one row naming %q with the reason:\n%s", rows, want, text)
		}
	}
	md := renderMarkdown(t, r)
	for _, want := range []string{"↳ `call`: output `x`", "↳ `fan[b]`: output `x`", "↳ `deep/l2`: output `y`"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(md, "steps.a.output is null") {
		t.Errorf("markdown lacks the reason:\n%s", md)
	}
	page := renderHTML(t, r)
	for _, want := range []string{"<code>call</code>", "<code>fan[b]</code>", "<code>deep/l2</code>", "<code>y</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if n := strings.Count(page, "steps.a.output is null"); n != 3 {
		t.Errorf("html shows the reason %d times, want 3 (one for each output)", n)
	}
}

// TestNestedOutputErrorsInHistoryShow: `history show`'s table of nested
// rows from the report (WriteNestedText) names the outputs of sub-runs
// that could not be computed as the text summary does, even under a step
// whose sub-runs' steps all succeeded.
func TestNestedOutputErrorsInHistoryShow(t *testing.T) {
	var b strings.Builder
	if err := WriteNestedText(&b, outErrReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "steps of sub-playbooks that did not succeed (from the report):\n") {
		t.Errorf("no heading:\n%s", out)
	}
	for _, want := range []string{"! call: output x", "! fan[b]: output x", "! deep/l2: output y"} {
		var row string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, want+" ") {
				row = l
			}
		}
		if !strings.Contains(row, "not computed, the caller read null: expression `steps.a.output.v`") {
			t.Errorf("no row %q with the reason:\n%s", want, out)
		}
	}
}
