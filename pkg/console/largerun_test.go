package console

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// largeRunPlaybook has a sub-run's step, a fan-out of 300 items and 150
// more steps: a run of many steps, whose cards, closed once it succeeded,
// draw what they did only once opened.
func largeRunPlaybook() string {
	var b strings.Builder
	b.WriteString("version: 1\nname: large\nsteps:\n")
	b.WriteString("  - {id: call, op: playbook.run, with: {path: small.yaml}}\n")
	b.WriteString("  - {id: fan, op: control.log, foreach: 0..299, with: {message: hi}}\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, "  - {id: s%d, op: control.log, with: {message: step %d}}\n", i, i)
	}
	return b.String()
}

// TestLargeRunPageDrawsOpenedSteps opens the page of a run of 152 steps
// that succeeded: the page shows the cards with no body drawn, a card
// opened, by a click or from the keyboard, is drawn at once, cards out of
// sight are not laid out, and a note says what Find in page finds until
// the browser, idle, has drawn the closed cards' bodies too: then Find
// finds a closed step by its output. A link to a sub-run in a closed
// card, or to a step's card, opens it, and keeps the page.
func TestLargeRunPageDrawsOpenedSteps(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"large": largeRunPlaybook(),
		"small": "version: 1\nname: small\nsteps:\n  - {id: inner, op: control.log, with: {message: in}}\n"})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "large", nil)
	rep := s.wait(id)
	if rep.Status != report.StatusSucceeded || rep.Steps[0].Sub == nil {
		t.Fatalf("the run: %s", rep.Status)
	}
	card := func(step string) string { return `document.querySelector('li.step[data-step=` + step + `]')` }
	drawn := func(step string) string { return card(step) + `.querySelector('.step-body').childElementCount > 0` }

	// The browser's idle time, in which the closed cards are drawn, is
	// held back until the test gives it.
	do(t, ctx, "hold the idle time", chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.held = []; window.requestIdleCallback = (f) => window.held.push(f)`})
		return err
	}))
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the steps", `document.querySelectorAll('li.step').length === 152`)
	if n := eval[int](t, ctx, `document.querySelectorAll('li.step .step-body > *, li.step .items > *').length`); n != 0 {
		t.Errorf("%d parts of closed cards drawn", n)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('main *').length`); n > 152*15 {
		t.Errorf("the page has %d elements", n)
	}
	if got := eval[string](t, ctx, `(document.querySelector('.lazy-note:not([hidden])') || {}).textContent || ''`); !strings.Contains(got, "Find in page") {
		t.Errorf("the note on the steps: %q", got)
	}

	// Cards out of sight are not laid out until they come near, and a
	// header's focus ring is drawn inside its card, which clips it.
	if got := eval[string](t, ctx, `getComputedStyle(`+card("s140")+`).contentVisibility`); got != "auto" {
		t.Errorf("a card's content-visibility: %q", got)
	}
	do(t, ctx, "focus s6's header", chromedp.Focus(chromedp.CSS(`li.step[data-step=s6] summary`)))
	if got := eval[string](t, ctx, `getComputedStyle(`+card("s6")+`.querySelector('summary')).outlineOffset`); !strings.HasPrefix(got, "-") {
		t.Errorf("the focused header's outline-offset: %q, want it inside the card", got)
	}
	// Clicked from script: a mouse click lands at coordinates taken
	// before the scroll to s7 has laid out the cards near it (each of an
	// estimated height until then), which under load may be another card.
	do(t, ctx, "open s7", chromedp.Evaluate[chromedp.Void](card("s7")+`.querySelector('summary').click()`))
	waitFor(t, ctx, "s7's body", drawn("s7")+` && /Started/.test(`+card("s7")+`.textContent)`)
	do(t, ctx, "open fan from the keyboard", chromedp.Focus(chromedp.CSS(`li.step[data-step=fan] summary`)), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "fan's items", card("fan")+`.querySelectorAll('tr[data-item]').length === 200`)
	if eval[bool](t, ctx, drawn("s8")) {
		t.Error("s8, closed, was drawn")
	}

	// Idle, the browser draws the closed cards: Find in page finds a step
	// by its output, and the note goes.
	const idle = `(window.held.splice(0).forEach((f) => f({ timeRemaining: () => 50, didTimeout: false })), true)`
	waitFor(t, ctx, "the closed cards drawn", idle+` && [...document.querySelectorAll('li.step .step-body')].every((e) => e.childElementCount > 0)`)
	waitFor(t, ctx, "the note gone", `document.querySelector('.lazy-note').hidden`)
	if !eval[bool](t, ctx, `window.find('step 140')`) {
		t.Error("Find in page does not find s140's output")
	}
	if eval[bool](t, ctx, card("s140")+`.querySelector('details').open`) {
		t.Error("s140's card was opened by its drawing")
	}

	do(t, ctx, "open the link to the sub-run", chromedp.Navigate(s.url+"/runs/"+id+"#sub-run-"+rep.Steps[0].Sub.RunID))
	waitFor(t, ctx, "the sub-run in sight", `document.activeElement && document.activeElement.id === 'sub-run-`+rep.Steps[0].Sub.RunID+`'`)
	if !eval[bool](t, ctx, card("call")+`.querySelector('details').open`) {
		t.Error("the card of the step the sub-run runs under is closed")
	}
	do(t, ctx, "open the link to s100", chromedp.Navigate(s.url+"/runs/"+id+"#step-s100"))
	waitFor(t, ctx, "s100 open and focused", drawn("s100")+` && document.activeElement === `+card("s100")+`.querySelector('summary')`)
	// A change of the address's "#" alone keeps the page as it was: the
	// cards opened before are still open.
	if !eval[bool](t, ctx, card("s7")+`.querySelector('details').open`) {
		t.Error("s7's card, opened before the links, was closed: the page was drawn anew")
	}
}
