package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageSaysWhoStartedIt: a run's page says who started the run and
// how, as its row in the runs list does: the one of several runs of the
// same playbook by different callers, and a running run too, to a viewer
// who did not start any of them.
func TestRunPageSaysWhoStartedIt(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"], "slow": testPlaybooks["slow"]})
	first := s.start("oncall", "hello", nil)
	s.wait(first)
	second := s.start("alice", "hello", nil)
	s.wait(second)
	running := s.start("alice", "slow", nil)

	ctx := tab(t, b)
	s.signIn(t, ctx, "auditor")
	for _, c := range []struct{ id, want string }{
		{first, "oncall · via api"}, {second, "alice · via api"}, {running, "alice · via api"},
	} {
		do(t, ctx, "open run "+c.id, chromedp.Navigate(s.url+"/runs/"+c.id))
		waitFor(t, ctx, "the run's facts", `((document.querySelector('main > dl.facts code') || {}).textContent || '') === `+jsString(c.id)+
			` && document.querySelector('main > dl.facts dd.started-by')`)
		if got := eval[string](t, ctx, `document.querySelector('main > dl.facts dd.started-by').textContent`); got != c.want {
			t.Errorf("run %s: Started by %q, want %q", c.id, got, c.want)
		}
	}
}
