package console

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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
		s.signOutElsewhere(t, ctx)
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
			document.getElementById('toast').textContent].join(' | ')`)
		if got != want+" | true | signin-ended key-hint | Your session ended; sign in again." {
			t.Errorf("reason, above the key field, its description, the toast:\n%s", got)
		}
		// Someone coming back to the tab later, the toast gone, still
		// reads why.
		waitFor(t, ctx, "the toast to go", `document.getElementById('toast').textContent === ''`)
		if got := eval[string](t, ctx, ended); got != want {
			t.Errorf("after the toast the form says %q", got)
		}
		// A new sign-in clears it, and so does a sign-out.
		do(t, ctx, "sign in again", sendKeys(chromedp.ID("key"), s.keys["oncall"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
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

// signOutElsewhere signs the tab's session out with its cookie from
// outside the browser, which keeps the cookie.
func (s *site) signOutElsewhere(t *testing.T, ctx context.Context) {
	t.Helper()
	cookie := sessionCookie(t, ctx, s.url)
	if cookie == nil {
		t.Fatal("the browser holds no session cookie")
	}
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
}

// TestSignInSaysWhyAtLoad opens the console with a session cookie the
// server refuses, as a reload or a bookmark does after the session ended
// with no page open: the sign-in form says the server's reason (expired,
// signed out, its key gone, not a session of this server), with no
// toast, as it does when a session ends under an open page; signing in
// goes on to the page that was opened. Without a cookie, a first visit
// or one after signing out, the form says nothing of the kind. The
// cookie outlives its session, else an expired session's page would send
// none and could not be told.
func TestSignInSaysWhyAtLoad(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	form := `(() => { const e = document.getElementById('signin-ended');
		return [e ? e.textContent : '(no reason)', document.getElementById('key').getAttribute('aria-describedby'),
			document.getElementById('toast').textContent || '(no toast)'].join(' | '); })()`
	open := func(t *testing.T, ctx context.Context, path string) string {
		t.Helper()
		do(t, ctx, "open "+path, chromedp.Navigate(s.url+path), chromedp.WaitVisible(chromedp.ID("key")))
		return eval[string](t, ctx, form)
	}
	const none = "(no reason) | key-hint | (no toast)"

	t.Run("a first visit", func(t *testing.T) {
		ctx := tab(t, b)
		if got := open(t, ctx, "/runs"); got != none {
			t.Errorf("the sign-in form: %s", got)
		}
	})

	t.Run("signed out here", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key')`)
		if got := open(t, ctx, "/runs"); got != none {
			t.Errorf("the sign-in form after a sign-out and a reload: %s", got)
		}
	})

	t.Run("signed out elsewhere", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "alice")
		s.signOutElsewhere(t, ctx)
		want := "Your session ended: the session was signed out; sign in again | signin-ended key-hint | (no toast)"
		if got := open(t, ctx, "/stats"); got != want {
			t.Errorf("the sign-in form:\n got %s\nwant %s", got, want)
		}
		// Signing in goes on to the page that was opened, and the reason
		// is gone.
		do(t, ctx, "sign in again", sendKeys(chromedp.ID("key"), s.keys["alice"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
		waitFor(t, ctx, "the stats page", `location.pathname === '/stats' && !document.getElementById('signin')`)
		do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
		waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key')`)
		if eval[bool](t, ctx, `!!document.getElementById('signin-ended')`) {
			t.Error("after a sign-in and a sign-out the form still says why the old session ended")
		}
	})

	t.Run("not a session of this server", func(t *testing.T) {
		ctx := tab(t, b)
		httpOnly := true
		do(t, ctx, "set a cookie the server did not sign", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{URL: s.url + "/", Name: "arsenal_session", Value: "a.b.c", HTTPOnly: &httpOnly})
			return err
		}))
		want := "Your session ended: " + notSignedHere + " | signin-ended key-hint | (no toast)"
		if got := open(t, ctx, "/runs"); got != want {
			t.Errorf("the sign-in form:\n got %s\nwant %s", got, want)
		}
	})

	t.Run("the key removed", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "auditor")
		do(t, ctx, "leave the console", chromedp.Navigate("about:blank"))
		s.editKeys(func(keys string) string {
			lines := strings.Split(keys, "\n")
			return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.Contains(l, "name: auditor,") }), "\n")
		})
		want := "Your session ended: the key auditor of this session is no longer in the keys file; sign in again | signin-ended key-hint | (no toast)"
		if got := open(t, ctx, "/runs"); got != want {
			t.Errorf("the sign-in form:\n got %s\nwant %s", got, want)
		}
	})

	// Last: it moves the server's clock on.
	t.Run("expired", func(t *testing.T) {
		ctx := tab(t, b)
		s.signIn(t, ctx, "oncall")
		expires, err := time.Parse(time.RFC3339, eval[string](t, ctx, `fetch('/api/v1/session').then(r => r.json()).then(me => me.expires_at)`))
		if err != nil {
			t.Fatal(err)
		}
		// The browser keeps the cookie well past the session's end, so
		// that it is there to be refused.
		if c := sessionCookie(t, ctx, s.url); c == nil || time.Unix(int64(c.Expires), 0).Before(expires.Add(24*time.Hour)) {
			t.Errorf("the session expires at %s; its cookie: %+v", expires, c)
		}
		do(t, ctx, "leave the console", chromedp.Navigate("about:blank"))
		s.later(13 * time.Hour)
		want := "Your session ended: the session expired; sign in again | signin-ended key-hint | (no toast)"
		if got := open(t, ctx, "/runs"); got != want {
			t.Errorf("the sign-in form:\n got %s\nwant %s", got, want)
		}
	})
}

// notSignedHere is why a cookie this server did not sign is refused.
const notSignedHere = "the session is not valid: this server did not sign it (it may be another arsenal-run server's on this host, or from an earlier state dir); sign in again"

// TestReloadsThatGuessNothing: a page reloaded again and again with a
// cookie this server did not sign (another server's on the same host:
// cookies do not go by port), or with none, keeps showing the sign-in
// form with its reason, and never brings its address to the 429 that
// failed keys do. Once failed keys do, the page says so, not that the
// server cannot be reached.
func TestReloadsThatGuessNothing(t *testing.T) {
	// 43 page loads: on a loaded machine they take minutes.
	b := browser(t, 8*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	// load opens /runs afresh and returns the sign-in form's reason, or
	// the page's text when it shows no form.
	load := func() string {
		do(t, ctx, "leave the console", chromedp.Navigate("about:blank"))
		do(t, ctx, "open /runs", chromedp.Navigate(s.url+"/runs"))
		waitFor(t, ctx, "the sign-in form or an error", `!!document.querySelector('main .error, #signin')`)
		return eval[string](t, ctx, `(() => { if (!document.getElementById('signin')) return document.querySelector('main').textContent;
			const e = document.getElementById('signin-ended'); return e ? e.textContent : '(no reason)'; })()`)
	}
	for i := range 21 {
		if got := load(); got != "(no reason)" {
			t.Fatalf("load %d without a cookie: %s", i+1, got)
		}
	}
	httpOnly := true
	do(t, ctx, "set another server's cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{URL: s.url + "/", Name: "arsenal_session", Value: "a.b.c", HTTPOnly: &httpOnly})
		return err
	}))
	for i := range 21 {
		if got := load(); got != "Your session ended: "+notSignedHere {
			t.Fatalf("load %d with another server's cookie: %s", i+1, got)
		}
	}

	// Wrong keys are guesses: 20 of them, and the address is refused. The
	// budget refills at one a second: the server's clock is set back
	// before each guess, so that none refills it however slowly the
	// guesses go (a loaded machine).
	for i := range 21 {
		s.later(-time.Hour)
		resp, err := s.http.Post(s.url+"/api/v1/session", "application/json", strings.NewReader(`{"key": "ak_wrong"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if i == 20 && resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("the 21st wrong key got %s, want 429", resp.Status)
		}
	}
	// Nor while the page loads.
	s.later(-time.Hour)
	got := load()
	if !strings.HasPrefix(got, "Too many failed authentications from this address") || !strings.Contains(got, "try again later") {
		t.Errorf("the page of a blocked address: %q", got)
	}
}

// TestSignInMarksAWrongKey: a wrong key leaves the key field marked
// invalid and described by the error that says why, so that a screen
// reader on the field says both; typing in the field again clears the
// mark and the link, and the field is described by its hint alone.
func TestSignInMarksAWrongKey(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	field := `(() => { const k = document.getElementById('key'); const d = k.getAttribute('aria-describedby') || '';
		return [k.getAttribute('aria-invalid') || '(valid)', d,
			d.split(' ').map((id) => { const e = document.getElementById(id); return e ? e.textContent : '(no ' + id + ')'; }).join(' / ')].join(' | '); })()`
	const hint = "Like ak_3q7z…, from arsenal-run keys new."
	do(t, ctx, "open the console", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("key")))
	if got, want := eval[string](t, ctx, field), "(valid) | key-hint | "+hint; got != want {
		t.Errorf("before a sign-in, the key field:\n got %s\nwant %s", got, want)
	}
	do(t, ctx, "sign in with a wrong key", sendKeys(chromedp.ID("key"), "ak_not-a-key-of-this-server"), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	waitFor(t, ctx, "the error", `!!document.querySelector('#signin-status .error')`)
	why := eval[string](t, ctx, `document.querySelector('#signin-status .error').textContent`)
	if !strings.HasPrefix(why, "authentication: ") {
		t.Errorf("the error says %q", why)
	}
	if got, want := eval[string](t, ctx, field), "true | signin-error key-hint | "+why+" / "+hint; got != want {
		t.Errorf("after a wrong key, the key field:\n got %s\nwant %s", got, want)
	}
	do(t, ctx, "type in the field again", sendKeys(chromedp.ID("key"), "a"))
	if got, want := eval[string](t, ctx, field), "(valid) | key-hint | "+hint; got != want {
		t.Errorf("once typed in again, the key field:\n got %s\nwant %s", got, want)
	}
}
