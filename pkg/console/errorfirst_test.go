package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFailedRunShowsItsErrorFirst: on a failed run's page what went wrong
// comes before the run's facts and Run again, not under them.
func TestFailedRunShowsItsErrorFirst(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"broken": "version: 1\nname: broken\nsteps:\n  - {id: boom, op: control.fail, with: {message: disk full}}\n"})
	id := s.start("oncall", "broken", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	again := `[...document.querySelectorAll('main a.button')].find(a => a.textContent === 'Run again with the same inputs')`
	waitFor(t, ctx, "the error and Run again", `!!document.querySelector('main div.error') && !!`+again)
	if !eval[bool](t, ctx, `!!(document.querySelector('main div.error').compareDocumentPosition(`+again+`) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("Run again comes before the run's error")
	}
	if !eval[bool](t, ctx, `!!(document.querySelector('main div.error').compareDocumentPosition(document.querySelector('main dl.facts')) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Error("the run's facts come before its error")
	}
}
