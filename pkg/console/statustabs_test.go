package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRunsStatusTabs: the runs list offers the failed runs (and the
// running, queued, cancelled ones) at one click, as an address to share:
// the tab is marked, the status select agrees, and only those runs are
// listed, a failed one with its error; a status with no runs says so by
// name, with a way back to all; several statuses are one list, the failed
// and cancelled runs a tab of their own.
func TestRunsStatusTabs(t *testing.T) {
	b := browser(t, 2*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"], "boom": `version: 1
name: boom
steps:
  - {id: fail, op: control.fail, with: {message: disk full}}
`})
	s.wait(s.start("oncall", "hello", nil))
	failed := s.start("oncall", "boom", nil)
	s.wait(failed)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	waitFor(t, ctx, "the runs", `document.querySelectorAll('#runs-list tbody tr').length === 2 && !!document.querySelector('nav.status-tabs a[data-status=failed]')`)
	if got := eval[string](t, ctx, `document.querySelector('nav.status-tabs [aria-current=page]').textContent`); got != "All" {
		t.Errorf("the tab marked on all runs: %q", got)
	}
	// The page's own click of the link: the router takes it as a user's.
	eval[bool](t, ctx, `(() => { document.querySelector('nav.status-tabs a[data-status=failed]').click(); return true; })()`)
	waitFor(t, ctx, "the failed runs", `location.search === '?status=failed' && document.querySelectorAll('#runs-list tbody tr').length === 1`)
	got := eval[string](t, ctx, `[document.querySelector('#runs-list tbody tr').dataset.run, document.querySelector('nav.status-tabs [aria-current=page]').textContent,
		document.querySelector('form.filters [name=status]').value].join(' ')`)
	if want := failed + " Failed failed"; got != want {
		t.Errorf("the failed runs: %q, want %q", got, want)
	}
	// What went wrong is said under the run's name, without opening it.
	if got := eval[string](t, ctx, `(document.querySelector('#runs-list tbody tr .run-error') || {}).textContent`); !strings.Contains(got, "disk full") {
		t.Errorf("the failed run's row says %q of its error, want disk full", got)
	}
	// Several statuses: the failed and the cancelled runs at one click,
	// the select agreeing; an address that names them in another order
	// is the same list and tab; one that names an unknown status is
	// refused by the server under the status filter.
	eval[bool](t, ctx, `(() => { document.querySelector('nav.status-tabs a[data-status="failed,cancelled"]').click(); return true; })()`)
	waitFor(t, ctx, "the failed or cancelled runs", `location.search === '?status=failed,cancelled' && document.querySelectorAll('#runs-list tbody tr').length === 1 && (document.querySelector('nav.status-tabs [aria-current=page]') || {}).textContent === 'Failed or cancelled'`)
	got = eval[string](t, ctx, `[document.querySelector('nav.status-tabs [aria-current=page]').textContent, (() => { const s = document.querySelector('form.filters [name=status]'); return s.value + ' ' + s.selectedOptions[0].textContent; })()].join(' | ')`)
	if want := "Failed or cancelled | failed,cancelled failed or cancelled"; got != want {
		t.Errorf("the failed or cancelled runs: %q, want %q", got, want)
	}
	do(t, ctx, "open the cancelled or failed runs", chromedp.Navigate(s.url+"/runs?status=cancelled,failed,cancelled"))
	waitFor(t, ctx, "the same list", `document.querySelectorAll('#runs-list tbody tr').length === 1 && (document.querySelector('nav.status-tabs [aria-current=page]') || {}).textContent === 'Failed or cancelled'`)
	do(t, ctx, "open the queued or running runs", chromedp.Navigate(s.url+"/runs?status=interrupted,running"))
	waitFor(t, ctx, "none", `!!document.querySelector('#runs-list p.empty')`)
	if got, want := eval[string](t, ctx, `document.querySelector('#runs-list p.empty').textContent + ' ' + document.querySelector('form.filters [name=status]').selectedOptions[0].textContent`), "No running or interrupted runs. Show all runs. running or interrupted"; got != want {
		t.Errorf("the empty list: %q, want %q", got, want)
	}
	do(t, ctx, "open an unknown status", chromedp.Navigate(s.url+"/runs?status=failed,canceled"))
	waitFor(t, ctx, "the refusal", `!!document.querySelector('form.filters [name=status][aria-invalid=true]')`)
	if got := eval[string](t, ctx, `document.querySelector('form.filters .field-error').textContent`); !strings.Contains(got, `"canceled" is not a run status (did you mean "cancelled"?)`) {
		t.Errorf("the refusal under the status filter: %q", got)
	}
	do(t, ctx, "open all runs", chromedp.Navigate(s.url+"/runs"))
	waitFor(t, ctx, "the runs", `document.querySelectorAll('#runs-list tbody tr').length === 2`)
	eval[bool](t, ctx, `(() => { document.querySelector('nav.status-tabs a[data-status=cancelled]').click(); return true; })()`)
	waitFor(t, ctx, "no cancelled runs", `location.search === '?status=cancelled' && !!document.querySelector('#runs-list p.empty')`)
	if got, want := eval[string](t, ctx, `document.querySelector('#runs-list p.empty').textContent`), "No cancelled runs. Show all runs."; got != want {
		t.Errorf("the empty list: %q, want %q", got, want)
	}
}
