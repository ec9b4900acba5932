package console

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signInAnotherTab opens a second tab of the same browser (the same
// cookies) as ctx, and signs in there with the key of name, which
// replaces the browser's session cookie.
func (s *site) signInAnotherTab(t *testing.T, ctx context.Context, name string) context.Context {
	t.Helper()
	other, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	// The tab is opened here, with the context it lives in, not with the
	// shorter one of a first action.
	if err := chromedp.Do(other); err != nil {
		t.Fatal(err)
	}
	do(t, other, "open the sign-in form in another tab", chromedp.Navigate(s.url+"/signin"), chromedp.WaitVisible(chromedp.ID("key")))
	do(t, other, "sign in as "+name, sendKeys(chromedp.ID("key"), s.keys[name]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	waitFor(t, other, "the other tab signed in", `(document.getElementById('who-name') || {}).textContent === `+jsString(name+" (operator)")+` && !document.getElementById('signin')`)
	return other
}

// TestSessionReplacedInAnotherTab signs in with another key in a second
// tab of the same browser, which replaces the first tab's session: the
// first tab's requests that change something are refused for their CSRF
// token, and the tab then goes back to the sign-in form, saying why,
// rather than staying signed in under the old name. Sign out there
// leaves it signed out, and the other tab's session stands.
func TestSessionReplacedInAnotherTab(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	const why = "Your session ended: this browser signed in as oncall in another tab or window, which replaced this page's session"
	form := `(() => { const e = document.getElementById('signin-ended');
		return [location.pathname, e ? e.textContent : '(no reason)', String(document.getElementById('who').hidden)].join(' | '); })()`

	t.Run("sign out", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		other := s.signInAnotherTab(t, ctx, "oncall")
		do(t, ctx, "sign out in the first tab", chromedp.Click(chromedp.ID("signout")))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key')`)
		if got, want := eval[string](t, ctx, form), "/signin | "+why+" | true"; got != want {
			t.Errorf("the first tab:\n got %s\nwant %s", got, want)
		}
		if got := eval[string](t, other, `fetch('/api/v1/session').then(r => r.json()).then(me => me.name)`); got != "oncall" {
			t.Errorf("the other tab's session is %q's", got)
		}
	})

	t.Run("cancel a run", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		id := s.start("alice", "slow", nil)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
		s.signInAnotherTab(t, ctx, "oncall")
		cancelRun(t, ctx)
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key')`)
		if got, want := eval[string](t, ctx, form), "/signin | "+why+" | true"; got != want {
			t.Errorf("the first tab:\n got %s\nwant %s", got, want)
		}
		if h, _ := s.mgr.Get(id); h.Status() != "running" {
			t.Errorf("the run is %s", h.Status())
		}
		// Signed in again, the tab goes back to the run.
		do(t, ctx, "sign in again", sendKeys(chromedp.ID("key"), s.keys["alice"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the run's page", `location.pathname === `+jsString("/runs/"+id)+` && !!document.getElementById('cancel')`)
		s.api("alice", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
}
