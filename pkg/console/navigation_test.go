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
