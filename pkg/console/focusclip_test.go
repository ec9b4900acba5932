package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// clippedFocus says how the focused element's focus ring is cut by a
// box around it that clips what overflows (a navigation or a table that
// scrolls sideways), or "" when the whole ring shows.
const clippedFocus = `(() => {
	const a = document.activeElement, cs = getComputedStyle(a);
	if (a === document.body) return '';
	const name = a.tagName.toLowerCase() + ' "' + a.textContent.trim().slice(0, 24) + '"';
	if (cs.outlineStyle === 'none' || parseFloat(cs.outlineWidth) === 0) return name + ' has no focus ring';
	const grow = Math.max(0, parseFloat(cs.outlineWidth) + parseFloat(cs.outlineOffset));
	const r = a.getBoundingClientRect();
	for (let e = a.parentElement; e && e !== document.body; e = e.parentElement) {
		const s = getComputedStyle(e);
		if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
		const c = e.getBoundingClientRect();
		const top = c.top + e.clientTop, left = c.left + e.clientLeft;
		const cut = [];
		if (r.top - grow < top - 0.5) cut.push('top');
		if (r.bottom + grow > top + e.clientHeight + 0.5) cut.push('bottom');
		if (r.left - grow < left - 0.5) cut.push('left');
		if (r.right + grow > left + e.clientWidth + 0.5) cut.push('right');
		if (cut.length) return name + ': its focus ring is cut at the ' + cut.join(' and ') + ' by ' + e.tagName.toLowerCase() + '.' + e.className;
	}
	return '';
})()`

// TestConsoleFocusRingShowsWhole tabs through the header and the first
// controls of the runs and schedules pages on a phone and a tablet, and
// checks that each focused control's ring shows whole: none is cut by the
// navigation that scrolls sideways on a phone, or by a table's box.
func TestConsoleFocusRingShowsWhole(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, layoutPlaybooks)
	seed(t, s)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	for _, vp := range []viewport{phone, tablet} {
		for _, path := range []string{"/runs", "/schedules"} {
			look(t, ctx, vp, false)
			do(t, ctx, "open "+path, chromedp.Navigate(s.url+path))
			waitFor(t, ctx, path+" to be drawn", `document.querySelector('main table')`)
			// A Tab first, so that the focus moved from the script shows
			// as it does under the keyboard.
			do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
			do(t, ctx, "focus the brand", chromedp.Evaluate[chromedp.Void](`document.querySelector('.brand').focus()`))
			seen := map[string]bool{}
			reached := false
			for range 14 {
				do(t, ctx, "press Tab", chromedp.KeyEvent("\t"))
				reached = reached || eval[bool](t, ctx, `!!document.activeElement.closest('main')`)
				if got := eval[string](t, ctx, clippedFocus); got != "" && !seen[got] {
					seen[got] = true
					t.Errorf("%s at %s: %s", path, vp.name, got)
				}
			}
			if !reached {
				t.Errorf("%s at %s: 14 Tabs from the brand did not reach the page", path, vp.name)
			}
		}
	}
}
