package console

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// askLaterPlaybook asks its question only once the gate file is there, so
// that the question comes to a page already open, as events.
const askLaterPlaybook = `version: 1
name: gated
inputs:
  gate: {type: string, required: true}
steps:
  - id: wait
    op: shell.exec
    with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.05; done', sh, "${{ inputs.gate }}"]}
  - {id: restart, op: shell.exec, confirm: "Restart the workers now?", with: {command: [echo, restarted]}}
`

// focused says what has the keyboard focus: BODY when nothing does.
const focused = `(() => { const a = document.activeElement; return !a || a === document.body ? 'BODY' : a.tagName + (a.id ? '#' + a.id : '') + ' ' + a.textContent.trim(); })()`

// said is what the run page's own live region says.
const said = `((document.querySelector('main p.sr-only[aria-live]') || {}).textContent || '')`

// TestRunPageByKeyboard answers a confirm: question and cancels a run
// with the keyboard alone: a question that comes while the page is open
// is said in a live region, and after Yes, and after the confirmed Cancel
// run, the focus is on the page's heading, not dropped to the body, from
// where a keyboard or screen reader user would start again at the top.
func TestRunPageByKeyboard(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"gated": askLaterPlaybook, "slow": testPlaybooks["slow"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")

	gate := filepath.Join(t.TempDir(), "gate")
	code, m := s.api("oncall", "POST", "/api/v1/playbooks/gated/runs", map[string]any{"inputs": map[string]any{"gate": gate}, "ask": true})
	if code != 202 {
		t.Fatalf("start: %d %v", code, m)
	}
	id := m["run_id"].(string)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
	waitFor(t, ctx, "the first step to run", `!!document.querySelector('li.step[data-step=wait][data-status=running]')`)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the question", `!!document.querySelector('.question[data-step=restart] button[data-answer=yes]')`)
	waitFor(t, ctx, "the question to be said", said+` === 'Step restart asks: Restart the workers now? Answer it under Waiting for an answer, at the top of the page.'`)
	do(t, ctx, "answer Yes with Enter", chromedp.Focus(chromedp.CSS(".question[data-step=restart] button[data-answer=yes]")), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the run to succeed", `!!document.querySelector('.run-status .b-succeeded')`)
	// The run's events can end it before the answer's own response
	// comes back, which is when the focus leaves the pressed button's
	// place: wait for it to land, not for the two to come in one order.
	waitFor(t, ctx, "the focus on the heading after Yes", focused+` === "H1 gated ✓ succeeded"`)

	id = s.start("oncall", "slow", nil)
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
	do(t, ctx, "press Cancel run with Enter", chromedp.Focus(chromedp.ID("cancel")), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the focus on Keep running", `document.activeElement.id === 'cancel-keep'`)
	do(t, ctx, "Shift+Tab to Cancel run, and Enter", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := eval[string](t, ctx, focused); got != "BUTTON#cancel-confirm Cancel run" {
		t.Fatalf("Shift+Tab from Keep running: %q", got)
	}
	do(t, ctx, "confirm with Enter", chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the run to be cancelled", `!!document.querySelector('.run-status .b-cancelled')`)
	if got := eval[string](t, ctx, focused); got != "H1 slow ■ cancelled" {
		t.Errorf("after Cancel run the focus is on %q, not the heading", got)
	}
	s.wait(id)
}

// TestSkipLinkKeepsThePage presses the skip link, the first control of
// the page, on a start form the user has begun to fill in: the focus goes
// to the page, and the page is the same one, with what was typed, not
// drawn again as a new page with an entry in the history.
func TestSkipLinkKeepsThePage(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"deploy": testPlaybooks["deploy"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the form", chromedp.Navigate(s.url+"/playbooks/deploy"), chromedp.WaitVisible(chromedp.CSS("#start [name=version]")))
	do(t, ctx, "type a version", sendKeys(chromedp.CSS("#start [name=version]"), "v1.5.0"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('start').dataset.before = String(history.length)`))
	do(t, ctx, "Shift+Tab from the first link to the skip link", chromedp.Focus(chromedp.CSS("a.brand")),
		chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := eval[string](t, ctx, focused); got != "A Skip to the page" {
		t.Fatalf("Shift+Tab reaches %q", got)
	}
	do(t, ctx, "press Enter", chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the focus on the page", `document.activeElement === document.getElementById('main')`)
	got := eval[string](t, ctx, `(() => { const f = document.getElementById('start'); return [location.pathname + location.search + location.hash,
		f.dataset.before === String(history.length), f.querySelector('[name=version]').value].join(' | '); })()`)
	if want := "/playbooks/deploy | true | v1.5.0"; got != want {
		t.Errorf("after the skip link:\n got %q\nwant %q", got, want)
	}
}

// TestToastIsALiveRegionThroughout: the status line of short messages is
// a live region that is there, empty, before the first message, and a
// message only changes its text: a region shown and filled in the same
// step is one that some screen readers do not say. Once the message has
// gone, the region is there again, empty.
func TestToastIsALiveRegionThroughout(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, testPlaybooks)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
	region := `(() => { const el = document.getElementById('toast');
		return [el.getAttribute('role'), el.getAttribute('aria-live'), String(el.hidden), getComputedStyle(el).display !== 'none' ? 'displayed' : 'not displayed',
			JSON.stringify(el.textContent)].join(' | '); })()`
	if got, want := eval[string](t, ctx, region), `status | polite | false | displayed | ""`; got != want {
		t.Errorf("before the first message, the region:\n got %s\nwant %s", got, want)
	}
	// What changes on the region, from now on, other than its text.
	do(t, ctx, "watch the region", chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.getElementById('toast');
		window.__toast = el;
		window.__changed = [];
		new MutationObserver((ms) => { for (const m of ms) window.__changed.push(m.attributeName); }).observe(el, { attributes: true });
	})()`))
	do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")))
	waitFor(t, ctx, "the message", `document.getElementById('toast').textContent !== ''`)
	if got, want := eval[string](t, ctx, region), `status | polite | false | displayed | "Signed out."`; got != want {
		t.Errorf("with the message, the region:\n got %s\nwant %s", got, want)
	}
	waitFor(t, ctx, "the message to go", `document.getElementById('toast').textContent === ''`)
	if got, want := eval[string](t, ctx, region), `status | polite | false | displayed | ""`; got != want {
		t.Errorf("after the message, the region:\n got %s\nwant %s", got, want)
	}
	if got := eval[string](t, ctx, `(window.__toast === document.getElementById('toast') ? 'same' : 'replaced') + ' ' + window.__changed.join(',')`); got != "same " {
		t.Errorf("the region was %q (same, and no attribute changed, wanted)", got)
	}
}
