package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunPageSaysWhyEachTryFailed opens a finished run whose steps passed
// only after tries that did not count: the card of each lists its tries
// with how each ended, its exit code and error, or the retry.until it left
// false, and how long it took; a log the report cut says where and how
// many tries it left out; a fan-out's item lists its own tries behind its
// Tries count. The card said "3 attempts" and, of a try that succeeded
// but was tried again, only "succeeded".
func TestRunPageSaysWhyEachTryFailed(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"flaky": `version: 1
name: flaky
steps:
  - id: flaky
    op: shell.exec
    with:
      script: |
        n=$(cat count 2>/dev/null || echo 0)
        echo $((n+1)) > count
        if [ "$n" -lt 2 ]; then echo "connection refused by db-1" >&2; exit 7; fi
    retry: {attempts: 5, delay: 1ms}
  - id: poll
    op: control.noop
    retry: {attempts: 3, delay: 1ms, until: attempt >= 2}
  - id: many
    op: control.fail
    with: {message: still down}
    retry: {attempts: 60, delay: 1ms}
    continue_on_error: true
  - id: fan
    op: control.fail
    foreach: ["web-1"]
    with: {message: "disk full on ${{ item }}"}
    retry: {attempts: 2, delay: 1ms}
`})
	id := s.start("oncall", "flaky", nil)
	if rep := s.wait(id); rep.Status != "failed" {
		t.Fatalf("the run %s", rep.Status)
	}
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
	rows := func(step string) string {
		return `[...document.querySelectorAll('li.step[data-step=` + step + `] .step-body table.attempts tr[data-attempt]')]`
	}
	waitFor(t, ctx, "the attempts of step flaky", rows("flaky")+".length === 3")
	for _, c := range []struct{ step, want string }{
		{"flaky", "1 ✗ failed execution: exit code 7 is not in ok_codes [0]; stderr ends with:\nconnection refused by db-1"},
		{"flaky", "3 ✓ succeeded exit 0"},
		{"poll", "1 ✓ succeeded but retry.until (attempt >= 2) is false"},
		{"poll", "2 ✓ succeeded"},
	} {
		got := eval[[]string](t, ctx, rows(c.step)+`.map((r) => [...r.cells].slice(0, 2).map((td) => td.textContent.trim()).join(' '))`)
		found := false
		for _, g := range got {
			found = found || g == c.want
		}
		if !found {
			t.Errorf("step %s: no attempt reads %q; they read %q", c.step, c.want, got)
		}
	}
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=many] table.attempts tr.omitted').textContent.trim()`); got != "… 10 attempts left out of the report (10 failed)" {
		t.Errorf("step many: the line in the place of the tries left out reads %q", got)
	}
	// Of 50 tries kept, the first 5 and the last 5 show, and a button
	// shows the others, with the line in the place of those left out.
	many := `[...document.querySelectorAll('li.step[data-step=many] table.attempts tr')].filter((r) => r.offsetParent && r.closest('tbody')).length`
	eval[bool](t, ctx, `document.querySelector('li.step[data-step=many] details').open = true`)
	if got := eval[int](t, ctx, many); got != 11 {
		t.Errorf("step many: %d rows show before its button; want 10 tries and the button's", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('li.step[data-step=many] [data-action=more-attempts]').textContent`); got != "Show 40 more attempts (the report left out 10 others)" {
		t.Errorf("step many: the button reads %q", got)
	}
	do(t, ctx, "show the other tries", chromedp.Click(chromedp.CSS(`li.step[data-step=many] [data-action=more-attempts]`)))
	if got := eval[int](t, ctx, many); got != 51 {
		t.Errorf("step many: %d rows show after its button; want 50 tries and the line for those left out; button left: %v", got,
			eval[bool](t, ctx, `!!document.querySelector('li.step[data-step=many] [data-action=more-attempts]')`))
	}
	// The summary is clicked as the page has it: a click at its place on
	// the screen may land elsewhere while cards drawn with
	// content-visibility: auto change their heights around it. The
	// details' toggle event, which shows the row, comes after the click.
	eval[bool](t, ctx, `(() => { document.querySelector('li.step[data-step=fan] tr[data-item="0"] details.item-attempts > summary').click(); return true; })()`)
	waitFor(t, ctx, "the item's tries", `document.querySelector('li.step[data-step=fan] tr[data-tries-of="0"]:not([hidden]) table.attempts')`)
	item := eval[string](t, ctx, `document.querySelector('li.step[data-step=fan] tr[data-tries-of="0"]:not([hidden]) table.attempts').textContent`)
	if !strings.Contains(item, "execution: disk full on web-1") || strings.Count(item, "failed") != 2 {
		t.Errorf("the item's tries read:\n%s", item)
	}
}
