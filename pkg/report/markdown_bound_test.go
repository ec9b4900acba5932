package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// bigFailedStep is a failed step whose details block is near its bounds:
// a long error, 20 tries and 25 failed items with errors of n characters,
// and an output that is Markdown.
func bigFailedStep(i, n int) Step {
	start := goldenStart
	s := Step{ID: fmt.Sprintf("s%d", i), Op: "shell.exec", Section: "steps", Status: StatusFailed, StartedAt: &start, Attempts: 20,
		Error:  &Error{Class: "execution", Message: strings.Repeat("line\n", 10) + strings.Repeat("why it failed ", 300)},
		Output: map[string]any{"stdout": strings.Repeat("# Heading from the output\n[click](http://x.example)\n</details>\n", 80)}}
	for a := range 20 {
		s.AttemptLog = append(s.AttemptLog, Attempt{Attempt: a + 1, StartedAt: start, Error: &Error{Class: "execution", Message: strings.Repeat("*_[]", 60)}})
	}
	for k := range 25 {
		s.Items = append(s.Items, Item{Index: k, Item: k, Label: fmt.Sprintf("host-%d", k), Status: StatusFailed, Error: &Error{Class: "execution", Message: strings.Repeat("e", n)}})
	}
	return s
}

var mdFenceLine = regexp.MustCompile("^(`{3,})(.*)$")

// checkMarkdownWhole fails unless md is within its limit and every code
// fence and <details> block it opens is closed, with the output's
// Markdown only ever inside a fence.
func checkMarkdownWhole(t *testing.T, md string) {
	t.Helper()
	if len(md) > mdTotalLimit {
		t.Errorf("summary is %d bytes, over %d", len(md), mdTotalLimit)
	}
	fence, details := 0, 0
	for i, line := range strings.Split(md, "\n") {
		if m := mdFenceLine.FindStringSubmatch(line); m != nil {
			switch {
			case fence == 0:
				fence = len(m[1])
			case len(m[1]) >= fence && strings.TrimSpace(m[2]) == "":
				fence = 0
			}
			continue
		}
		if fence > 0 {
			continue
		}
		if strings.Contains(line, "[click]") || strings.Contains(line, "Heading from the output") {
			t.Fatalf("line %d, output text outside a code fence: %q", i+1, line)
		}
		details += strings.Count(line, "<details>") - strings.Count(line, "</details>")
	}
	if fence != 0 || details != 0 {
		t.Errorf("the summary ends with a code fence open (%d) or %d <details> blocks open", fence, details)
	}
}

// A summary over its limit leaves out whole blocks, never cuts one in
// its middle, wherever the limit falls.
func TestMarkdownOverLimitKeepsBlocksWhole(t *testing.T) {
	for n := 1; n <= 200; n += 8 {
		start := goldenStart
		r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start}
		for i := range 700 {
			r.Steps = append(r.Steps, Step{ID: fmt.Sprintf("ok%d", i), Op: "control.noop", Section: "steps", Status: StatusSkipped, Reason: strings.Repeat("x", 200)})
		}
		for i := range 20 {
			r.Steps = append(r.Steps, bigFailedStep(i, n))
		}
		md := renderMarkdown(t, r)
		checkMarkdownWhole(t, md)
		if !strings.Contains(md, "More steps failed than are shown here") {
			t.Errorf("n=%d: no line says that more steps failed (%d bytes, %d details)", n, len(md), strings.Count(md, "<details>"))
		}
	}
}

// A table of steps too long for the summary ends with a row that says how
// many more the report has, and leaves room for the failed steps' details.
func TestMarkdownLongTableLeavesRoomForDetails(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r", Playbook: Playbook{Name: "p"}, Status: StatusFailed, StartedAt: start, FinishedAt: start}
	for i := range 5000 {
		r.Steps = append(r.Steps, Step{ID: fmt.Sprintf("ok%d", i), Op: "control.noop", Section: "steps", Status: StatusSkipped, Reason: strings.Repeat("x", 200)})
	}
	r.Steps = append(r.Steps, bigFailedStep(0, 10))
	md := renderMarkdown(t, r)
	checkMarkdownWhole(t, md)
	if !regexp.MustCompile("more steps; the report of run `r` has them all").MatchString(md) {
		t.Error("no row says that the report has more steps")
	}
	if !strings.Contains(md, "<summary>❌ <code>s0</code>") {
		t.Error("the failed step's details are missing")
	}
}
