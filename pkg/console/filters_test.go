package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunsFilterTheServerRefuses: a limit out of the server's range
// (typed, or in the address) is said under the At most field, which is
// marked invalid and described by it, not in the list's place as if the
// runs could not be read; corrected, the mark goes and the runs show.
func TestRunsFilterTheServerRefuses(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	s.wait(s.start("oncall", "hello", nil))
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	mark := `(() => { const c = document.querySelector('form.filters [name=limit]'); const e = document.getElementById(c.getAttribute('aria-describedby'));
		return c.getAttribute('aria-invalid') + ' | ' + (e && e.closest('.field') === c.closest('.field') ? e.textContent : 'no message by the field') +
			' | ' + document.getElementById('runs-list').textContent; })()`

	do(t, ctx, "open the runs with a limit of 5000", chromedp.Navigate(s.url+"/runs?limit=5000"))
	waitFor(t, ctx, "the limit to be marked", `document.querySelector('form.filters [name=limit][aria-invalid=true]')`)
	if got, want := eval[string](t, ctx, mark), `true | limit="5000": give 1 to 1000 | No runs shown: correct the filter marked above.`; got != want {
		t.Errorf("the refused limit:\n got %s\nwant %s", got, want)
	}

	do(t, ctx, "correct the limit", chromedp.SetValue(chromedp.CSS("form.filters [name=limit]"), "5"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.filters [name=limit]').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitFor(t, ctx, "the runs", `document.querySelectorAll('#runs-list tbody tr').length === 1`)
	if got := eval[string](t, ctx, `(() => { const c = document.querySelector('form.filters [name=limit]');
		return String(c.hasAttribute('aria-invalid') || c.hasAttribute('aria-describedby')) + ' ' + document.querySelectorAll('form.filters .field-error').length; })()`); got != "false 0" {
		t.Errorf("after correcting the limit, its mark and messages: %s", got)
	}
}

// TestRunsLimitThatIsNoNumber: "At most" holding what is no number (a
// stray e typed) is said under the field, not read as empty and quietly
// replaced by the default of 50 runs; the list's refresh every few
// seconds leaves the mark until the field is corrected.
func TestRunsLimitThatIsNoNumber(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	s.wait(s.start("oncall", "hello", nil))
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the runs", `document.querySelectorAll('#runs-list tbody tr').length === 1`)
	do(t, ctx, "count the list's reads", chromedp.Evaluate[chromedp.Void](`window.reads = 0; const f = window.fetch;
		window.fetch = (...a) => { if (String(a[0]).startsWith('/api/v1/runs')) window.reads++; return f(...a); }`))
	do(t, ctx, "type a stray e in At most", chromedp.SetValue(chromedp.CSS("form.filters [name=limit]"), ""),
		sendKeys(chromedp.CSS("form.filters [name=limit]"), "e"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.filters [name=limit]').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitFor(t, ctx, "the limit to be marked", `document.querySelector('form.filters [name=limit][aria-invalid=true]')`)
	if got, want := eval[string](t, ctx, `document.getElementById(document.querySelector('form.filters [name=limit]').getAttribute('aria-describedby')).textContent`),
		"not a number: give a whole number from 1 to 1000"; got != want {
		t.Errorf("the message by At most: %q; want %q", got, want)
	}
	// Two reads started: the first has been answered and drawn.
	do(t, ctx, "start counting after the mark", chromedp.Evaluate[chromedp.Void](`window.reads = 0`))
	waitFor(t, ctx, "the list read twice more", `window.reads >= 2`)
	if got := eval[bool](t, ctx, `!!document.querySelector('form.filters [name=limit][aria-invalid=true]')`); !got {
		t.Error("the list's refresh took the mark off an At most that still holds no number")
	}
}

// TestRunsFullPageSaysThereAreOlder: a list cut at At most says that
// there are older runs and where they are, not a bare count that
// reads as every run there is; a list that holds them all counts them,
// even when they are exactly as many as At most.
func TestRunsFullPageSaysThereAreOlder(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	for range 3 {
		s.wait(s.start("oncall", "hello", nil))
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	status := `document.querySelector('#runs-list').previousElementSibling.textContent`

	do(t, ctx, "open the runs, at most 2", chromedp.Navigate(s.url+"/runs?limit=2"))
	waitFor(t, ctx, "two runs", `document.querySelectorAll('#runs-list tbody tr').length === 2`)
	if got, want := eval[string](t, ctx, status), "The latest 2 runs; Older runs, under the list, shows the ones before them."; got != want {
		t.Errorf("a cut list says %q; want %q", got, want)
	}

	for _, limit := range []string{"4", "3"} {
		do(t, ctx, "open the runs, at most "+limit, chromedp.Navigate(s.url+"/runs?limit="+limit))
		waitFor(t, ctx, "three runs", `document.querySelectorAll('#runs-list tbody tr').length === 3`)
		if got := eval[string](t, ctx, status); got != "3 runs" {
			t.Errorf("a whole list at most %s says %q; want %q", limit, got, "3 runs")
		}
	}
}

// TestRunsListKeepsTheNewerFilter: the list's read every few seconds
// that was under way when a filter changed answers after the read of
// the new filter: its answer, of the old filter, neither covers the
// list nor marks the corrected field again.
func TestRunsListKeepsTheNewerFilter(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	s.wait(s.start("oncall", "hello", nil))
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs with a limit of 5000", chromedp.Navigate(s.url+"/runs?limit=5000"))
	waitFor(t, ctx, "the limit to be marked", `document.querySelector('form.filters [name=limit][aria-invalid=true]')`)

	// The list's reads of the old limit wait until window.__release();
	// window.__held says where the first of them is: held, then answered
	// once the page's own code has run on its answer.
	do(t, ctx, "hold the reads of the old limit", chromedp.Evaluate[chromedp.Void](`(() => {
		const real = window.fetch;
		let release;
		const gate = new Promise((r) => { release = r; });
		window.__release = release;
		window.__held = 'waiting';
		window.fetch = async (input, opts) => {
			const url = new URL(String(input), location.href);
			if (url.pathname !== '/api/v1/runs' || url.searchParams.get('limit') !== '5000') return real(input, opts);
			window.__held = 'held';
			await gate;
			const res = await real(input, opts);
			const body = await res.text();
			setTimeout(() => { window.__held = 'answered'; }, 0);
			return new Response(body, { status: res.status, headers: res.headers });
		};
	})()`))
	waitFor(t, ctx, "the list's next read of the old limit", `window.__held === 'held'`)
	do(t, ctx, "correct the limit", chromedp.SetValue(chromedp.CSS("form.filters [name=limit]"), "5"))
	waitFor(t, ctx, "the runs", `document.querySelectorAll('#runs-list tbody tr').length === 1 && !document.querySelector('form.filters [aria-invalid]')`)
	do(t, ctx, "answer the old read", chromedp.Evaluate[chromedp.Void](`window.__release()`))
	waitFor(t, ctx, "the old read's answer", `window.__held === 'answered'`)
	if got := eval[string](t, ctx, `document.querySelectorAll('#runs-list tbody tr').length + ' ' + !!document.querySelector('form.filters [aria-invalid]')`); got != "1 false" {
		t.Errorf("after the old limit's late answer, the rows and the mark: %s, want 1 false", got)
	}
}
