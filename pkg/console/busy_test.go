package console

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// refuseFetch wraps the page's fetch so that its first n requests of path
// are answered with status and Retry-After: 1, as a server that limits the
// caller's rate (429) or is not available now (503) answers;
// window.__refused counts them. The requests of path after those wait
// until window.__release() is called, so that what the page shows while
// it waits to ask again stays until the test has read it: the second of
// Retry-After can pass between two steps of a test on a loaded machine.
func refuseFetch(t *testing.T, ctx context.Context, path string, n, status int) {
	t.Helper()
	class := map[int]string{429: "rate_limited", 503: "unavailable"}[status]
	do(t, ctx, "refuse the requests of "+path, chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let release;
		const gate = new Promise((r) => { release = r; });
		window.__release = release;
		window.__refused = 0;
		window.fetch = async (input, opts) => {
			if (new URL(String(input), location.href).pathname !== `+jsString(path)+`) return real(input, opts);
			if (window.__refused >= `+strconv.Itoa(n)+`) {
				await gate;
				return real(input, opts);
			}
			window.__refused++;
			return new Response(JSON.stringify({error: {class: `+jsString(class)+`, message: 'not now: try again in 1s'}}),
				{status: `+strconv.Itoa(status)+`, headers: {'Content-Type': 'application/json', 'Retry-After': '1'}});
		};
	})()`))
}

// releaseRefused lets the requests refuseFetch holds go on.
func releaseRefused(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, "let the requests go on", chromedp.Evaluate[chromedp.Void](`window.__release()`))
}

// TestRunPageWhenTheServerSaysNotNow: a run's report or its questions
// refused for the moment (429 rate limited, 503 not available) is not a
// run that is not there: the page says why, asks again after the answer's
// Retry-After, and then shows the run with its Cancel. Only a 404 says
// the run is not found.
func TestRunPageWhenTheServerSaysNotNow(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "slow", nil)
	t.Cleanup(func() {
		s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
		s.wait(id)
	})
	heading := `((document.querySelector('main h1') || {}).textContent || '')`
	shown := `((document.querySelector('main > dl.facts code') || {}).textContent || '') === ` + jsString(id)

	for _, c := range []struct {
		status int
		path   string
		says   string
	}{
		{429, "/api/v1/runs/" + id, "The server is limiting this session's requests (429)"},
		{503, "/api/v1/runs/" + id, "The server is not available now (503)"},
		{429, "/api/v1/runs/" + id + "/questions", ""},
	} {
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		refuseFetch(t, ctx, c.path, 1, c.status)
		follow(t, ctx, "/runs/"+id)
		if c.says != "" {
			waitFor(t, ctx, "the page's answer to the refusal", `window.__refused === 1 && `+heading+` !== '' && `+heading+` !== 'Runs'`)
			got := eval[string](t, ctx, heading+` + ' | ' + document.querySelector('main').textContent`)
			if want := "Run " + id + " | "; len(got) < len(want) || got[:len(want)] != want {
				t.Errorf("after a %d the page's heading: %.80q, want %q", c.status, got, want)
			}
			waitFor(t, ctx, "the notice", `(document.querySelector('main .busy') || {}).textContent?.includes(`+jsString(c.says+": asking again in 1 s")+`)`)
		}
		releaseRefused(t, ctx)
		waitFor(t, ctx, "the run after the retry", shown+` && !!document.getElementById('cancel')`)
		if got := eval[int](t, ctx, `window.__refused`); got != 1 {
			t.Errorf("%d refusals of %s, want 1", got, c.path)
		}
	}

	t.Run("a playbook refused for now", func(t *testing.T) {
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
		refuseFetch(t, ctx, "/api/v1/playbooks/slow", 1, 503)
		follow(t, ctx, "/playbooks/slow")
		waitFor(t, ctx, "the notice", `(document.querySelector('main .busy') || {}).textContent?.includes('The server is not available now (503): asking again in 1 s')`)
		if got := eval[string](t, ctx, heading); got != "slow" {
			t.Errorf("the heading while the playbook is refused: %q", got)
		}
		releaseRefused(t, ctx)
		waitFor(t, ctx, "the form after the retry", `!!document.getElementById('start')`)
	})

	t.Run("the runs list refused for now stays", func(t *testing.T) {
		do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list tr[data-run]")))
		refuseFetch(t, ctx, "/api/v1/runs", 1, 429)
		waitFor(t, ctx, "the notice", `(document.querySelector('main .busy') || {}).textContent?.includes("The server is limiting this session's requests (429): the list is as last read")`)
		if !eval[bool](t, ctx, `!!document.querySelector('#runs-list tr[data-run=`+jsString(id)+`]')`) {
			t.Error("the runs list is gone while the server refuses it for now")
		}
		releaseRefused(t, ctx)
		waitFor(t, ctx, "the count again", `!document.querySelector('main .busy') && /^\d+ runs?$/.test(document.querySelector('main p[aria-live]').textContent)`)
	})

	t.Run("a run that is not there", func(t *testing.T) {
		do(t, ctx, "open a run that is not there", chromedp.Navigate(s.url+"/runs/20200101T000000-0000"))
		waitFor(t, ctx, "the page", heading+` !== ''`)
		if got := eval[string](t, ctx, heading); got != "Run not found" {
			t.Errorf("the heading of a run that is not there: %q", got)
		}
	})
}
