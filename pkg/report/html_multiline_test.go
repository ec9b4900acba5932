package report

import (
	"strings"
	"testing"
	"time"
)

// TestHTMLShowsAMultiLineOutputAsItIs: a run output holding a string of
// several lines reads as those lines in the HTML report, as in the text
// summary and as a step's output does, not as a JSON string with \n; a
// one-line string stays quoted, so "" and " " still read as what they are.
func TestHTMLShowsAMultiLineOutputAsItIs(t *testing.T) {
	start := goldenStart
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "pb"}, Status: StatusSucceeded,
		StartedAt: start, FinishedAt: start.Add(time.Second), DurationMS: 1000, Inputs: map[string]any{}, Steps: []Step{},
		Outputs: map[string]any{"text": "line one\nline <two>\n", "one": "single"}}
	page := renderHTML(t, r)
	if !strings.Contains(page, "<pre>line one\nline &lt;two&gt;\n</pre>") {
		t.Errorf("the multi-line output is not shown as its lines:\n%s", between(page, "<h2>Outputs</h2>", "<h2>Steps</h2>"))
	}
	if !strings.Contains(page, "<pre>&#34;single&#34;\n</pre>") {
		t.Errorf("a one-line string output is no longer quoted:\n%s", between(page, "<h2>Outputs</h2>", "<h2>Steps</h2>"))
	}
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}
