package console

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestRunPageTimelineOfManyStepsScrollsInItsBox opens the page of a run
// of 300 steps: its timeline, 300 rows high, scrolls in a box of half
// the window, which the keyboard's Tab reaches, so that the steps' cards
// begin within two screens of the top; the timeline of a run of two steps
// is whole, and no stop of the keyboard. The steps began below 7,000
// pixels of timeline.
func TestRunPageTimelineOfManyStepsScrollsInItsBox(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nname: many\nsteps:\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.noop}\n", i)
	}
	br := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"many": b.String(),
		"two": "version: 1\nname: two\nsteps:\n  - {id: a, op: control.noop}\n  - {id: b, op: control.noop}\n"})
	ctx := tab(t, br)
	s.signIn(t, ctx, "oncall")
	loaded := `(() => { const i = document.querySelector('img.timeline'); return !!i && i.src.startsWith('blob:') && i.complete && i.naturalWidth > 300; })()`
	for _, c := range []struct {
		playbook string
		scrolls  bool
	}{{"many", true}, {"two", false}} {
		id := s.start("oncall", c.playbook, nil)
		s.wait(id)
		do(t, ctx, "open the run of "+c.playbook, chromedp.Navigate(s.url+"/runs/"+id))
		waitFor(t, ctx, "the timeline of "+c.playbook, loaded)
		box := `(document.querySelector('figure.chart .chart-scroll') || document.querySelector('figure.chart'))`
		// Half the window, and the caption and padding below it.
		if got, want := eval[float64](t, ctx, `document.querySelector('figure.chart').getBoundingClientRect().height`), eval[float64](t, ctx, `innerHeight`)/2+80; got > want {
			t.Errorf("%s: the timeline is %.0f px high; want at most %.0f", c.playbook, got, want)
		}
		if got := eval[float64](t, ctx, `[...document.querySelectorAll('h2')].find((e) => e.textContent === 'Steps').getBoundingClientRect().top`); got > 2*eval[float64](t, ctx, `innerHeight`) {
			t.Errorf("%s: the steps begin %.0f px down the page", c.playbook, got)
		}
		if got := eval[bool](t, ctx, box+`.tabIndex === 0 && `+box+`.getAttribute('role') === 'region'`); got != c.scrolls {
			t.Errorf("%s: the timeline's box is a stop of the keyboard: %v; want %v", c.playbook, got, c.scrolls)
		}
		if c.scrolls {
			// Tab from "Run again", the control above it, reaches the
			// box, and Page Down scrolls it.
			do(t, ctx, "tab to the timeline", chromedp.Focus(chromedp.CSS(`.actions a`)), chromedp.KeyEvent("\t"))
			if !eval[bool](t, ctx, `document.activeElement === `+box) {
				t.Errorf("%s: Tab after Run again goes to %s, not the timeline", c.playbook, eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 120)`))
			}
			do(t, ctx, "page down", chromedp.KeyEvent(kb.PageDown), chromedp.Sleep(300*time.Millisecond))
			if got := eval[float64](t, ctx, box+`.scrollTop`); got <= 0 {
				t.Errorf("%s: Page Down in the timeline's box left it at %.0f", c.playbook, got)
			}
		}
	}
}
