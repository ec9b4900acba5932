package console

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestCancelSecond cancels a run that someone else cancelled first: the
// run is on its way to its end, its finally step still running (until
// the test makes the gate file, however long the page takes), so the
// page says it is being cancelled already, keeps Cancel run disabled as
// Cancelling…, and shows no error box for it.
func TestCancelSecond(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, map[string]string{"tidyslow": `version: 1
name: tidyslow
inputs:
  gate: {type: string}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
finally:
  - id: tidy
    op: shell.exec
    with: {command: [sh, -c, 'while [ ! -e "$1" ]; do sleep 0.05; done', sh, "${{ inputs.gate }}"]}
`})
	gate := filepath.Join(t.TempDir(), "gate")
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	id := s.start("oncall", "tidyslow", map[string]any{"gate": gate})
	do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id), chromedp.WaitVisible(chromedp.ID("cancel")))
	waitFor(t, ctx, "the step to run", `!!document.querySelector('li.step[data-step=nap][data-status=running]')`)

	if code, m := s.api("alice", "POST", "/api/v1/runs/"+id+"/cancel", nil); code != 202 {
		t.Fatalf("alice's cancel: %d %v", code, m)
	}
	waitFor(t, ctx, "the finally step to run", `!!document.querySelector('li.step[data-step=tidy][data-status=running]')`)
	cancelRun(t, ctx)
	waitFor(t, ctx, "the toast", `document.getElementById('toast').textContent !== ''`)
	if got := eval[string](t, ctx, `document.getElementById('toast').textContent`); got != "Cancelling already: someone cancelled this run before you; its running steps are stopped, then on_cancel and finally run." {
		t.Errorf("the toast: %q", got)
	}
	if got := eval[[]string](t, ctx, `[...document.querySelectorAll('main .error')].map(e => e.textContent).filter(t => t.includes('conflict'))`); len(got) != 0 {
		t.Errorf("error boxes: %q", got)
	}
	if got := eval[string](t, ctx, `(b => b ? b.textContent + (b.disabled ? ' disabled' : '') : 'none')(document.getElementById('cancel'))`); got != "Cancelling… disabled" {
		t.Errorf("the cancel button: %q", got)
	}

	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if rep := s.wait(id); rep.Status != report.StatusCancelled {
		t.Errorf("the run: %s", rep.Status)
	}
	waitFor(t, ctx, "the run to be cancelled", `!!document.querySelector('.run-status .b-cancelled')`)
}
