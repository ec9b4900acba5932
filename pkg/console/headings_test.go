package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headings lists the page's shown headings, each as its level and its
// text (what a screen reader says, hidden words included), one a line.
const headings = `[...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
	.filter((e) => e.getClientRects().length)
	.map((e) => e.tagName.slice(1) + ' ' + e.textContent.trim().replace(/\s+/g, ' ')).join('\n')`

// TestRunPageHeadingsInOrder opens a failed run whose steps printed
// output: its headings go down one level at a time (a screen reader's
// list of headings skips none), and each output's heading says whose
// output it is, so that moving from heading to heading does not give
// "output", "output" with no step named.
func TestRunPageHeadingsInOrder(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"two": `version: 1
name: two
steps:
  - {id: build, op: shell.exec, with: {script: "echo built; echo warn >&2"}}
  - {id: ship, op: shell.exec, with: {script: "echo shipped; exit 1"}, continue_on_error: true}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "two", nil)
	s.wait(id)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "both outputs", `document.querySelectorAll('li.step pre.out-text').length >= 4`)
	do(t, ctx, "open every step", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('li.step > details').forEach((d) => { d.open = true; })`))
	got := eval[string](t, ctx, headings)
	level := 0
	for _, line := range strings.Split(got, "\n") {
		n := int(line[0] - '0')
		if n > level+1 {
			t.Errorf("heading %q comes after a level %d heading: a level is skipped\n%s", line, level, got)
		}
		level = n
	}
	for _, want := range []string{"stdout of step build", "stderr of step build", "output of step build", "stdout of step ship"} {
		if !strings.Contains(got, want) {
			t.Errorf("no heading says %q:\n%s", want, got)
		}
	}
}
