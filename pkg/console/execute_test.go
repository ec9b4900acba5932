package console

import (
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
