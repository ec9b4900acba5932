package console

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// follow follows a link to path inside the page, as a click on one of
// its links does: the page changes without loading again, so that what a
// test installed in it (a wrapped fetch) stays.
func follow(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, "follow a link to "+path, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.createElement('a'); a.href = `+jsString(path)+`;
		document.body.append(a); a.click(); a.remove(); })()`))
}

// holdFetch wraps the page's fetch so that the request of path waits until
// window.__release() is called; window.__held then says where it is:
// waiting (not asked yet), held, answered, or abandoned (its fetch was
// aborted), the last two set once the page's own code has run on it.
func holdFetch(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	do(t, ctx, "hold the request of "+path, chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let release;
		const gate = new Promise((r) => { release = r; });
		window.__release = release;
		window.__held = 'waiting';
		window.fetch = async (input, opts) => {
			if (new URL(String(input), location.href).pathname !== `+jsString(path)+`) return real(input, opts);
			window.__held = 'held';
			await gate;
			try {
				const res = await real(input, opts);
				setTimeout(() => { window.__held = 'answered'; }, 0);
				return res;
			} catch (e) {
				setTimeout(() => { window.__held = 'abandoned'; }, 0);
				throw e;
			}
		};
	})()`))
}

// TestLateAnswerDoesNotCoverTheNextPage opens a run's page whose report
// is slow to come, and another run's page before it does: when the first
// report comes at last, the page still shows the second run, whose
// address it has, and Cancel cancels the second run, not the first.
func TestLateAnswerDoesNotCoverTheNextPage(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, runPagePlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	first := s.start("oncall", "slow", nil)
	second := s.start("oncall", "hold", nil)
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))

	holdFetch(t, ctx, "/api/v1/runs/"+first)
	follow(t, ctx, "/runs/"+first)
	waitFor(t, ctx, "the first run's report to be asked for", `window.__held === 'held'`)
	follow(t, ctx, "/runs/"+second)
	shows := `((document.querySelector('main > dl.facts code') || {}).textContent || '')`
	waitFor(t, ctx, "the second run's page", shows+` === `+jsString(second)+` && !!document.getElementById('cancel')`)
	do(t, ctx, "let the first report come", chromedp.Evaluate[chromedp.Void](`window.__release()`))
	// Either the first page's read was abandoned, or (the defect) its page
	// is drawn over the second's.
	waitFor(t, ctx, "the first report's end", `window.__held === 'abandoned' || `+shows+` === `+jsString(first))
	got := eval[string](t, ctx, `location.pathname + ' | ' + `+shows+` + ' | ' + document.querySelector('h1').textContent`)
	if want := "/runs/" + second + " | " + second + " | hold ● running"; got != want {
		t.Fatalf("after the first report came, the page is\n %s\nwant\n %s", got, want)
	}

	cancelRun(t, ctx)
	if rep := s.wait(second); rep.Status != report.StatusCancelled {
		t.Errorf("the second run: %s", rep.Status)
	}
	if h, _ := s.mgr.Get(first); h.Status() != "running" {
		t.Errorf("the first run is %s, want still running", h.Status())
	}
	s.api("oncall", "POST", "/api/v1/runs/"+first+"/cancel", nil)
	s.wait(first)
}

// TestTrailingSlashIsThePage: an address with a trailing slash (typed,
// or from a link that added one) shows the page without it, on a phone as
// on a desktop, and the address loses the slash; one signed out comes
// back to that page after the sign-in. An address of no page is a
// not-found page sized for the phone, with a link to the console.
func TestTrailingSlashIsThePage(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	do(t, ctx, "use a phone", chromedp.EmulateViewport(360, 760, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	do(t, ctx, "open /playbooks/deploy/ signed out", chromedp.Navigate(s.url+"/playbooks/deploy/"), chromedp.WaitVisible(chromedp.ID("key")))
	do(t, ctx, "sign in", sendKeys(chromedp.ID("key"), s.keys["oncall"]), chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	waitFor(t, ctx, "the playbook's form", `!!document.querySelector('#start [name=version]')`)
	if got := eval[string](t, ctx, `location.pathname`); got != "/playbooks/deploy" {
		t.Errorf("after the sign-in, the address is %s", got)
	}
	for _, p := range []struct{ path, want, nav, ready string }{
		{"/runs/", "/runs", "Runs", `!!document.getElementById('runs-list')`},
		{"/schedules/?x=1", "/schedules?x=1", "Schedules", `!!document.getElementById('schedules')`},
		{"/playbooks/deploy/", "/playbooks/deploy", "Playbooks", `!!document.querySelector('#start [name=version]')`},
	} {
		do(t, ctx, "open "+p.path, chromedp.Navigate(s.url+p.path))
		waitFor(t, ctx, p.path+" to show its page", p.ready)
		got := eval[string](t, ctx, `location.pathname + location.search + ' | ' + document.documentElement.scrollWidth + ' | ' +
			(document.querySelector('nav a[aria-current=page]') || {}).textContent`)
		if want := p.want + " | 360 | " + p.nav; got != want {
			t.Errorf("%s: got %q, want %q", p.path, got, want)
		}
	}
	do(t, ctx, "open an address of no page", chromedp.Navigate(s.url+"/nope/"), chromedp.WaitVisible(chromedp.CSS("main a[href='/runs']")))
	if got := eval[string](t, ctx, `document.documentElement.scrollWidth + ' | ' + document.querySelector('main').textContent`); got != "360 | Not foundThe console has no page at this address. Go to the runs." {
		t.Errorf("the not-found page: %q", got)
	}
}
