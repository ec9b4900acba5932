package console

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignInSaysWhyTheSessionEnded ends a signed-in session from outside
// the page, as a sign-out elsewhere and a change of the key's roles do:
// the sign-in form the page falls back to says the server's reason above
// the key field, and still says it after the toast is gone, until the
// next sign-in.
func TestSignInSaysWhyTheSessionEnded(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	ended := `(document.getElementById('signin-ended') || {}).textContent`

	t.Run("signed out elsewhere", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		// The session is signed out with its cookie from outside this
		// browser; the runs list, refreshing itself, gets the 401.
		cookie := sessionCookie(t, ctx, s.url)
		req, _ := http.NewRequest("DELETE", s.url+"/api/v1/session", nil)
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		req.Header.Set("X-CSRF-Token", eval[string](t, ctx, `fetch('/api/v1/session').then(r => r.json()).then(me => me.csrf_token)`))
		res, err := s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
			t.Fatalf("sign out: %d", res.StatusCode)
		}
		waitFor(t, ctx, "the sign-in form with the reason", `!!document.getElementById('key') && !!document.getElementById('signin-ended')`)
		if got := eval[string](t, ctx, ended); got != "Your session ended: the session was signed out; sign in again" {
			t.Errorf("the sign-in form says %q", got)
		}
	})

	t.Run("signed out in another tab", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		// Another tab of the same browser signs out: the browser drops
		// the cookie, so the next request carries none.
		do(t, ctx, "sign out in another tab", chromedp.Evaluate[chromedp.Void](`(async () => {
			const me = await (await fetch('/api/v1/session')).json();
			await fetch('/api/v1/session', {method: 'DELETE', headers: {'X-CSRF-Token': me.csrf_token}});
		})()`, chromedp.EvalAwaitPromise))
		waitFor(t, ctx, "the sign-in form with the reason", `!!document.getElementById('key') && !!document.getElementById('signin-ended')`)
		if got := eval[string](t, ctx, ended); got != "Your session ended: this browser no longer holds its cookie: it was signed out in another tab or window, or the cookie was deleted" {
			t.Errorf("the sign-in form says %q", got)
		}
	})

	t.Run("the key's roles changed", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "oncall")
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		s.editKeys(func(keys string) string { return strings.Replace(keys, "roles: [operator]", "roles: [viewer]", 1) })
		waitFor(t, ctx, "the sign-in form with the reason", `!!document.getElementById('key') && !!document.getElementById('signin-ended')`)
		want := "Your session ended: the roles of the key oncall changed; sign in again"
		got := eval[string](t, ctx, `[document.getElementById('signin-ended').textContent,
			String(!!(document.getElementById('signin-ended').compareDocumentPosition(document.getElementById('key')) & Node.DOCUMENT_POSITION_FOLLOWING)),
			document.getElementById('key').getAttribute('aria-describedby'),
			document.getElementById('toast').hidden ? '' : document.getElementById('toast').textContent].join(' | ')`)
		if got != want+" | true | signin-ended key-hint | Your session ended; sign in again." {
			t.Errorf("reason, above the key field, its description, the toast:\n%s", got)
		}
		// Someone coming back to the tab later, the toast gone, still
		// reads why.
		waitFor(t, ctx, "the toast to go", `document.getElementById('toast').hidden`)
		if got := eval[string](t, ctx, ended); got != want {
			t.Errorf("after the toast the form says %q", got)
		}
		// A new sign-in clears it, and so does a sign-out.
		do(t, ctx, "sign in again", chromedp.SendKeys(chromedp.ID("key"), s.keys["oncall"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the runs page", `location.pathname === '/runs' && !document.getElementById('signin')`)
		if who := eval[string](t, ctx, `document.getElementById('who-name').textContent`); who != "oncall (viewer)" {
			t.Errorf("signed in as %q", who)
		}
		do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key')`)
		if eval[bool](t, ctx, `!!document.getElementById('signin-ended')`) {
			t.Errorf("after a sign-out the form says %q", eval[string](t, ctx, ended))
		}
	})
}
