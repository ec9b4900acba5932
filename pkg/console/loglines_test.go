package console

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageLogMessageOfSeveralLines: a control.log message of several
// lines (a log's tail) is as many lines of its step's output box, and
// counts as many against the newest 500 the box keeps: 600 lines in one
// message leave the last 500, with the 100 earlier ones said to be gone,
// not one line of 600 kept whole.
func TestRunPageLogMessageOfSeveralLines(t *testing.T) {
	b := browser(t, 3*time.Minute)
	var tail strings.Builder
	for i := 1; i <= 600; i++ {
		fmt.Fprintf(&tail, "      line %d\n", i)
	}
	s := startSite(t, map[string]string{"tail": `version: 1
name: tail
steps:
  - id: show
    op: control.log
    with:
      message: |
        last lines:
` + strings.ReplaceAll(tail.String(), "      line", "        line") + `  - {id: hold, op: shell.exec, needs: [show], with: {script: "sleep 3600"}}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "tail", nil)
	defer s.wait(id)
	defer s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	const log = `((document.querySelector('li.step[data-step=show] pre.log') || {}).textContent || '')`
	waitFor(t, ctx, "the message's lines", log+`.includes('line 600')`)
	lines := strings.Split(eval[string](t, ctx, log), "\n")
	if len(lines) != 501 {
		t.Fatalf("the box holds %d lines, want the note and 500:\n%s …", len(lines), strings.Join(lines[:min(len(lines), 3)], "\n"))
	}
	if want := "… 101 earlier lines not kept here; the step's output is in the report at the run's end"; lines[0] != want {
		t.Errorf("the box's first line: %q, want %q", lines[0], want)
	}
	if lines[1] != "line 101" || lines[500] != "line 600" {
		t.Errorf("the box shows %q to %q, want line 101 to line 600", lines[1], lines[500])
	}
}
