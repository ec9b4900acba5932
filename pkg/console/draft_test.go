package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStartFormKeepsWhatWasTypedAcrossASignIn: a session that ends while
// the start form is being filled in (it expires at 3 a.m., half-way
// through) sends the page to the sign-in form; signing in again with the
// same key gives the form back as it was typed, but for its secrets,
// which it says to give again. Another key gets the form as it is drawn
// for anyone, and so does the page opened later.
func TestStartFormKeepsWhatWasTypedAcrossASignIn(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"deploy": testPlaybooks["deploy"]})
	values := `[...document.querySelectorAll('#start [name]')].map(c => c.name + '=' + (c.type === 'checkbox' ? c.checked : c.value)).join(' ')`
	// fill types into the form and ends the session under it.
	fill := func(ctx context.Context) {
		do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/deploy"), chromedp.WaitVisible(chromedp.ID("start")))
		waitFor(t, ctx, "the preflight", `document.querySelector('#preflight .verdict')`)
		watchPreflights(t, ctx)
		do(t, ctx, "fill in the form",
			sendKeys(chromedp.CSS("#start [name=version]"), "v2.0.1"),
			chromedp.SetValue(chromedp.CSS("#start [name=environment]"), "1"),
			chromedp.Click(chromedp.CSS("#start [name=canary]")),
			chromedp.SetValue(chromedp.CSS("#start [name=batch]"), "7"),
			chromedp.SetValue(chromedp.CSS("#start [name=token]"), "hunter2"),
			chromedp.Click(chromedp.CSS("#start [name=dry_run]")))
		// The form checks what was filled in (300 ms after the last
		// change) before the session ends: a check still to come would
		// meet the ended session before the keystroke below, which would
		// then find no form, or land in the sign-in form's key field.
		preflightAnswered(t, ctx, "the preflight of the filled-in form", `b.dry_run === true`)
		s.later(13 * time.Hour)
		// The next keystroke's preflight meets the expired session.
		do(t, ctx, "type on", sendKeys(chromedp.CSS("#start [name=version]"), "1"))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key') && !!document.getElementById('signin-ended')`)
	}

	t.Run("the same key", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "oncall")
		fill(ctx)
		do(t, ctx, "sign in again", sendKeys(chromedp.ID("key"), s.keys["oncall"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the form again", `location.pathname === '/playbooks/deploy' && document.querySelector('#preflight .verdict')`)
		if got, want := eval[string](t, ctx, values), "version=v2.0.11 environment=1 canary=false batch=7 token= dry_run=true"; got != want {
			t.Errorf("the form after signing in again:\n got %s\nwant %s", got, want)
		}
		if got := eval[string](t, ctx, `(document.getElementById('draft-note') || {}).textContent`); got != "The form holds what you typed before your session ended; secrets are not kept, give them again." {
			t.Errorf("the form's note: %q", got)
		}
		// Opened again later, the form is drawn afresh.
		do(t, ctx, "open the form again", chromedp.Navigate(s.url+"/playbooks/deploy"), chromedp.WaitVisible(chromedp.ID("start")))
		if got := eval[string](t, ctx, values); !strings.HasPrefix(got, "version= environment=0 canary=true batch=2") {
			t.Errorf("the form opened again: %s", got)
		}
	})

	t.Run("another key", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "oncall")
		fill(ctx)
		do(t, ctx, "sign in as alice", sendKeys(chromedp.ID("key"), s.keys["alice"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the form", `location.pathname === '/playbooks/deploy' && document.querySelector('#preflight .verdict')`)
		if got := eval[string](t, ctx, values); !strings.HasPrefix(got, "version= environment=0 canary=true batch=2") || eval[bool](t, ctx, `!!document.getElementById('draft-note')`) {
			t.Errorf("another key's form holds oncall's draft: %s", got)
		}
	})
}
