package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSchedulesEmptyNamesTheKey: a server with no scheduled playbook
// says so with the playbook key written as code, not as a sentence that
// reads "has a schedule: block.", and says when one would be listed.
func TestSchedulesEmptyNamesTheKey(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the schedules", chromedp.Navigate(s.url+"/schedules"))
	waitFor(t, ctx, "the empty list", `!!document.querySelector('#main p.empty')`)
	if got, want := eval[string](t, ctx, `(document.querySelector('#main p.empty code') || {}).textContent`), "schedule:"; got != want {
		t.Errorf("the empty list's key: %q, want %q", got, want)
	}
}
