package console

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestRunsOlderPages: runs beyond the first page are reached from the
// list itself, with the keyboard: Older runs (a link in a navigation
// named for screen readers) goes on by the API's next with the filters
// kept in the address, every run is shown once, the last page says it
// holds the oldest and offers no Older runs, and Newest runs goes back.
// A filter changed on an older page lists from the newest again.
func TestRunsOlderPages(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	var want []string
	for range 5 {
		id := s.start("oncall", "hello", nil)
		s.wait(id)
		want = append([]string{id}, want...)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	status := `document.querySelector('#runs-list').previousElementSibling.textContent`
	rows := `[...document.querySelectorAll('#runs-list tbody tr')].map((r) => r.dataset.run).join(' ')`
	pager := `(() => { const n = document.querySelector('nav[aria-label="Pages of runs"]');
		return n.hidden ? 'hidden' : [...n.querySelectorAll('a:not([hidden])')].map((a) => a.textContent).join(', '); })()`

	do(t, ctx, "open the runs, 2 at most", chromedp.Navigate(s.url+"/runs?status=succeeded&limit=2"))
	waitFor(t, ctx, "two runs", `document.querySelectorAll('#runs-list tbody tr').length === 2`)
	var got []string
	for page := 1; ; page++ {
		got = append(got, strings.Fields(eval[string](t, ctx, rows))...)
		text, links := eval[string](t, ctx, status), eval[string](t, ctx, pager)
		switch page {
		case 1:
			if text != "The latest 2 runs; Older runs, under the list, shows the ones before them." || links != "Older runs»" {
				t.Errorf("the first page says %q, links %q", text, links)
			}
		case 2:
			if text != "2 runs, older; Older runs, under the list, shows the ones before them." || links != "«Newest runs, Older runs»" {
				t.Errorf("the second page says %q, links %q", text, links)
			}
		case 3:
			if text != "1 run, older: the oldest there are." || links != "«Newest runs" {
				t.Errorf("the last page says %q, links %q", text, links)
			}
		}
		if page == 3 || t.Failed() {
			break
		}
		before := eval[string](t, ctx, `location.search`)
		do(t, ctx, "press Enter on Older runs", chromedp.Focus(chromedp.CSS(`nav[aria-label="Pages of runs"] a[rel=next]`)), chromedp.KeyEvent(kb.Enter))
		waitFor(t, ctx, "the older page", `location.search !== `+jsString(before)+` && document.querySelector('h1').textContent === 'Runs, older' && document.activeElement === document.querySelector('h1')`)
		waitFor(t, ctx, "its runs", `document.querySelector('#runs-list tbody tr') && !`+jsString(before)+`.includes(document.querySelector('#runs-list tbody tr').dataset.run)`)
		if q := eval[string](t, ctx, `location.search`); !strings.HasPrefix(q, "?status=succeeded&limit=2&before=") {
			t.Errorf("an older page's address %q does not keep the filters", q)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the pages listed\n%v\nwant each run once, newest first\n%v", got, want)
	}

	do(t, ctx, "press Enter on Newest runs", chromedp.Focus(chromedp.CSS(`nav[aria-label="Pages of runs"] a:not([rel])`)), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the newest page", `location.search === '?status=succeeded&limit=2' && document.querySelector('h1').textContent === 'Runs'`)
	waitFor(t, ctx, "its runs", rows+` === `+jsString(want[0]+" "+want[1]))

	// The browser's Back goes to the older page it came from.
	do(t, ctx, "go back", chromedp.NavigateBack())
	waitFor(t, ctx, "the last page again", rows+` === `+jsString(want[4]))

	do(t, ctx, "choose another status on the older page", chromedp.SetValue(chromedp.CSS("form.filters [name=status]"), "failed"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form.filters [name=status]').dispatchEvent(new Event('change', {bubbles: true}))`))
	waitFor(t, ctx, "the newest failed runs", `location.search === '?status=failed&limit=2' && document.querySelector('#runs-list .empty')`)
	if got := eval[string](t, ctx, `document.querySelector('h1').textContent + ' | ' + document.title`); got != "Runs | Runs · arsenal-run" {
		t.Errorf("the newest runs of another filter are titled %q", got)
	}
	if got := eval[string](t, ctx, pager); got != "hidden" {
		t.Errorf("a list of every run has page links: %q", got)
	}
}
