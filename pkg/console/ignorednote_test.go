package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageNamesTheStepsThatFailedButWereIgnored opens a run that
// succeeded although a step failed, which continue_on_error let it go
// past: under its status, the page says so and links to the step's card,
// as the text summary says "1 step failed but was ignored". The page
// said "succeeded" alone, the failed step one card among many below.
func TestRunPageNamesTheStepsThatFailedButWereIgnored(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"lag": `version: 1
name: lag
steps:
  - {id: first, op: control.noop}
  - {id: replica, op: control.fail, with: {message: replica lag 9000s}, continue_on_error: true}
  - {id: last, op: control.noop}
`})
	id := s.start("oncall", "lag", nil)
	if rep := s.wait(id); rep.Status != "succeeded" {
		t.Fatalf("the run %s", rep.Status)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	note := `document.querySelector('ul.run-notes')`
	waitFor(t, ctx, "the run's notes", note+` && !`+note+`.hidden`)
	if got, want := eval[string](t, ctx, note+`.textContent`), "1 step failed but was ignored (continue_on_error): replica"; got != want {
		t.Errorf("the notes read %q; want %q", got, want)
	}
	do(t, ctx, "follow the link", chromedp.Click(chromedp.CSS(`ul.run-notes a`)))
	waitFor(t, ctx, "the step's card open", `document.querySelector('li.step[data-step=replica] details').open`)
}
