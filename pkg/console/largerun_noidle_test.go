package console

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestLargeRunPageWithoutIdleCallback opens the page of a run of 152
// steps in a browser without requestIdleCallback (Safari has none): the
// page is drawn with no script error, and the closed cards' bodies are
// drawn all the same, a few at a time, so that Find in page finds a
// closed step by its output and the note goes.
func TestLargeRunPageWithoutIdleCallback(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"large": largeRunPlaybook(),
		"small": "version: 1\nname: small\nsteps:\n  - {id: inner, op: control.log, with: {message: in}}\n"})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "large", nil)
	if rep := s.wait(id); rep.Status != report.StatusSucceeded {
		t.Fatalf("the run: %s", rep.Status)
	}
	do(t, ctx, "take requestIdleCallback away", chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.requestIdleCallback = undefined; window.cancelIdleCallback = undefined;
window.errors = []; window.addEventListener('error', (e) => window.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.errors.push(String(e.reason)));`})
		return err
	}))
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	waitFor(t, ctx, "the steps", `document.querySelectorAll('li.step').length === 152`)
	waitFor(t, ctx, "the closed cards drawn", `[...document.querySelectorAll('li.step .step-body')].every((e) => e.childElementCount > 0)`)
	waitFor(t, ctx, "the note gone", `document.querySelector('.lazy-note').hidden`)
	if errs := eval[[]string](t, ctx, `window.errors`); len(errs) > 0 {
		t.Errorf("script errors: %q", errs)
	}
	if !eval[bool](t, ctx, `window.find('step 140')`) {
		t.Error("Find in page does not find s140's output")
	}
}
