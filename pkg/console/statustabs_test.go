package console

import (
	"strings"
	"testing"
	"time"
)

// TestRunsStatusTabs: the runs list offers the failed runs (and the
// running, queued, cancelled ones) at one click, as an address to share:
// the tab is marked, the status select agrees, and only those runs are
// listed, a failed one with its error; a status with no runs says so by
// name, with a way back to all.
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
	eval[bool](t, ctx, `(() => { document.querySelector('nav.status-tabs a[data-status=cancelled]').click(); return true; })()`)
	waitFor(t, ctx, "no cancelled runs", `location.search === '?status=cancelled' && !!document.querySelector('#runs-list p.empty')`)
	if got, want := eval[string](t, ctx, `document.querySelector('#runs-list p.empty').textContent`), "No cancelled runs. Show all runs."; got != want {
		t.Errorf("the empty list: %q, want %q", got, want)
	}
}
