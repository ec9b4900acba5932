package console

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStepOutputIsANamedQuietLog: a step's box of output lines is a log
// named for its step, which a screen reader finds by that name (an
// aria-label on a bare pre names nothing), and which does not read out
// each line as it comes.
func TestStepOutputIsANamedQuietLog(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"talk": `version: 1
name: talk
steps:
  - id: build
    op: shell.exec
    with: {script: "echo one; echo two; sleep 3600"}
`})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "talk", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	const log = `document.querySelector('li.step[data-step=build] pre.log')`
	waitFor(t, ctx, "the output", `!!`+log+` && `+log+`.textContent.includes('two')`)
	do(t, ctx, "open the step", chromedp.Evaluate[chromedp.Void](`document.querySelector('li.step[data-step=build] details').open = true`))
	if names := axNames(t, ctx, "log"); !slices.Contains(names, "Output of step build") {
		t.Errorf("logs in the accessibility tree: %q, want one named Output of step build", names)
	}
	if live := eval[string](t, ctx, log+`.getAttribute('aria-live') || ''`); live != "off" {
		t.Errorf("the output box has aria-live %q: each line would be read out as it comes", live)
	}
	s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	s.wait(id)
}
