package console

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestALateRefusalLeavesTheNextSession: a session ends while the start
// form is being filled in, and one of the form's preflights, sent under
// that session, is still on its way back when the user signs in again.
// Its refusal (401) comes after the sign-in: it is an answer about the
// session that ended, and the page stays signed in as the key that signed
// in since, on the form.
func TestALateRefusalLeavesTheNextSession(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"deploy": testPlaybooks["deploy"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/deploy"), chromedp.WaitVisible(chromedp.ID("start")))
	waitFor(t, ctx, "the preflight", `document.querySelector('#preflight .verdict')`)

	// The browser holds the first refused preflight on its way back to the
	// page; every other answer goes through at once.
	held := holdFirstRefusal(t, ctx, "*/preflight")
	s.later(13 * time.Hour)
	do(t, ctx, "type on", sendKeys(chromedp.CSS("#start [name=version]"), "1"))
	var late fetch.RequestID
	select {
	case late = <-held:
	case <-time.After(45 * time.Second):
		t.Fatal("no preflight was refused after the session ended")
	}
	do(t, ctx, "type again", sendKeys(chromedp.CSS("#start [name=version]"), "2"))
	waitFor(t, ctx, "the sign-in form", `!!document.getElementById('key') && !!document.getElementById('signin-ended')`)
	do(t, ctx, "sign in as alice", sendKeys(chromedp.ID("key"), s.keys["alice"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	waitFor(t, ctx, "alice's form", `location.pathname === '/playbooks/deploy' && document.querySelector('#preflight .verdict')`)

	// The late refusal reaches the page now, unless the page abandoned
	// the request when it was left (the browser then has no such request).
	chromedp.Run(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: late})
		return err
	}))
	// Alice's next preflight comes back after it: whatever the page does
	// with the refusal is done by then.
	if !eval[bool](t, ctx, `(() => {
		document.querySelector('#preflight .verdict').dataset.seen = 'yes';
		const c = document.querySelector('#start [name=version]');
		if (!c) return false;
		c.value = 'v3';
		c.dispatchEvent(new Event('input', { bubbles: true }));
		return true; })()`) {
		t.Fatal("alice's form is gone once the late refusal came")
	}
	waitFor(t, ctx, "alice's next preflight", `location.pathname === '/signin' ||
		(document.querySelector('#preflight .verdict') && !document.querySelector('#preflight .verdict').dataset.seen)`)
	if got := eval[string](t, ctx, `location.pathname + ' ' + (document.getElementById('who').hidden ? 'signed out' : 'as ' + document.getElementById('who-name').textContent)`); got != "/playbooks/deploy as alice (admin)" {
		t.Errorf("after a refusal of the session that ended came late, the page is %s; want /playbooks/deploy as alice (admin)\n%s", got, pageShows(t, ctx))
	}
}

// holdFirstRefusal has the browser of ctx hold on its way back the first
// 401 answer to a request whose address matches pattern, and sends its
// id on the channel returned, for the test to let it through (with
// fetch.ContinueResponse) when it chooses. Every other answer to such a
// request goes through at once.
func holdFirstRefusal(t *testing.T, ctx context.Context, pattern string) <-chan fetch.RequestID {
	t.Helper()
	lctx, cancel := context.WithCancel(ctx)
	paused := make(chan *fetch.EventRequestPaused, 64)
	if err := chromedp.Listen(lctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			case <-lctx.Done():
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	held := make(chan fetch.RequestID, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		first := true
		for {
			select {
			case <-lctx.Done():
				return
			case e := <-paused:
				if first && e.ResponseStatusCode == 401 {
					first = false
					held <- e.RequestID
					continue
				}
				chromedp.Run(lctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: e.RequestID})
					return err
				}))
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	do(t, ctx, "hold answers to "+pattern, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: fetch.RequestStageResponse}}})
		return err
	}))
	return held
}
