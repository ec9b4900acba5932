package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestQueuedRunPageFollowsItsPlace opens the page of a run that waits
// for a run slot behind another, and lets the runs before it go: the page
// says, while it stays open, how many runs are ahead as the server has
// it, not the count it opened with, and then that the run started.
func TestQueuedRunPageFollowsItsPlace(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSiteLimits(t, map[string]string{"nap": `version: 1
name: nap
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`}, runs.Limits{MaxRunning: 1})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")

	first := s.start("oncall", "nap", nil)
	h, _ := s.mgr.Get(first)
	for h.Status() != "running" {
		time.Sleep(20 * time.Millisecond)
	}
	second := s.start("oncall", "nap", nil)
	third := s.start("oncall", "nap", nil)
	// The list gives a queued run no duration: it has not started, and
	// the time it has waited is no run's time.
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	duration := `document.querySelector('tr[data-run="` + third + `"] td:last-child')`
	waitFor(t, ctx, "the queued run's row", "!!"+duration)
	time.Sleep(1100 * time.Millisecond) // long enough for a count to show
	do(t, ctx, "reload the runs", chromedp.Reload())
	waitFor(t, ctx, "the queued run's row", "!!"+duration)
	if got := eval[string](t, ctx, duration+".textContent"); got != "—" {
		t.Errorf("the queued run's duration in the list is %q, want —", got)
	}

	started := `document.querySelector('main > dl.facts dd.started')`
	do(t, ctx, "open the third run", chromedp.Navigate(s.url+"/runs/"+third))
	waitFor(t, ctx, "the third run to say one run is ahead",
		started+` && `+started+`.textContent.includes('waiting for a run slot: 1 run ahead of it')`)

	s.api("oncall", "POST", "/api/v1/runs/"+second+"/cancel", nil)
	s.wait(second)
	waitFor(t, ctx, "the third run to say no run is ahead",
		started+`.textContent.includes('waiting for a run slot: 0 runs ahead of it')`)

	s.api("oncall", "POST", "/api/v1/runs/"+first+"/cancel", nil)
	s.wait(first)
	waitFor(t, ctx, "the third run to start", `!!document.querySelector('.run-status .b-running') && !!document.querySelector('main > dl.facts dd.started time')`)
	if got := eval[string](t, ctx, started+`.textContent`); got == "" {
		t.Error("the started run's page says no start")
	}
	s.api("oncall", "POST", "/api/v1/runs/"+third+"/cancel", nil)
	s.wait(third)
}
