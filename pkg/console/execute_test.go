package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExecutedOperationIsNotRunAgain: the page of an operation executed
// alone (POST /api/v1/operations/{name}/execute, listed among the runs as
// the playbook execute-OP) offers no Run again, which would open the form
// of a playbook that is not there; it points to the operations instead. A
// playbook's run still offers it.
func TestExecutedOperationIsNotRunAgain(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"hello": testPlaybooks["hello"]})
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	code, m := s.api("oncall", "POST", "/api/v1/operations/control.noop/execute", map[string]any{})
	if code != 200 {
		t.Fatalf("execute: %d %v", code, m)
	}
	executed := m["run_id"].(string)
	run := s.start("oncall", "hello", nil)
	s.wait(run)

	again := `((document.querySelector('main .actions a[href*="rerun="]') || {}).textContent || '(none)')`
	do(t, ctx, "open the executed operation", chromedp.Navigate(s.url+"/runs/"+executed))
	waitFor(t, ctx, "its page", `!!document.querySelector('.run-status .b-succeeded') && !!document.querySelector('main .actions')`)
	if got := eval[string](t, ctx, again); got != "(none)" {
		t.Errorf("the executed operation's page offers %q", got)
	}
	if got := eval[string](t, ctx, `((document.querySelector('main .actions a[href="/operations"]') || {}).textContent || '(none)')`); got != "Operations" {
		t.Errorf("the executed operation's page links to the operations with %q", got)
	}

	do(t, ctx, "open the playbook's run", chromedp.Navigate(s.url+"/runs/"+run))
	waitFor(t, ctx, "its page", `!!document.querySelector('.run-status .b-succeeded') && !!document.querySelector('main .actions')`)
	if got := eval[string](t, ctx, again); got != "Run again with the same inputs" {
		t.Errorf("the playbook's run offers %q", got)
	}
}

// TestRunAgainOnlyForWhoMayRun: Run again is offered only to a caller
// whose roles may run the playbook: a viewer, who may not run a playbook
// that writes, is told so instead of a link to a form whose Run it may
// never press; an operator, who may, is offered it.
func TestRunAgainOnlyForWhoMayRun(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"write": testPlaybooks["write"]})
	run := s.start("oncall", "write", nil)
	s.wait(run)
	again := `((document.querySelector('main .actions a[href*="rerun="]') || {}).textContent || '(none)')`

	viewer := tab(t, b)
	s.signIn(t, viewer, "auditor")
	do(t, viewer, "open the run as a viewer", chromedp.Navigate(s.url+"/runs/"+run))
	waitFor(t, viewer, "why not", `!!document.querySelector('main .actions .rerun-refused')`)
	if got := eval[string](t, viewer, again); got != "(none)" {
		t.Errorf("the viewer is offered %q", got)
	}
	if got := eval[string](t, viewer, `document.querySelector('main .actions .rerun-refused').textContent`); !strings.HasPrefix(got, "Your roles may not run write (step change is denied") {
		t.Errorf("the viewer is told %q", got)
	}

	operator := tab(t, b)
	s.signIn(t, operator, "oncall")
	do(t, operator, "open the run as an operator", chromedp.Navigate(s.url+"/runs/"+run))
	waitFor(t, operator, "Run again", `!!document.querySelector('main .actions a[href*="rerun="]')`)
	// The preflight has been answered: Run again stays.
	waitFor(t, operator, "the preflight", `performance.getEntriesByType('resource').some((e) => e.name.endsWith('/preflight'))`)
	if got := eval[string](t, operator, again+` + (document.querySelector('main .actions .rerun-refused') ? ' and a refusal' : '')`); got != "Run again with the same inputs" {
		t.Errorf("the operator is offered %q", got)
	}
}
