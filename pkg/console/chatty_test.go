package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRunPageOfAChattyRun opens a live run that printed more lines than
// its event stream keeps, so that the stream begins with a dropped event:
// the page reads the run again and goes on with the same stream, showing
// the latest output, instead of opening the stream from the start again
// (which begins with the same drop) over and over.
func TestRunPageOfAChattyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	s := startSite(t, map[string]string{"chatty": `version: 1
name: chatty
steps:
  - id: build
    op: shell.exec
    with: {script: "seq 1 25000; echo all printed; sleep 3600"}
`})
	id := s.start("oncall", "chatty", nil)
	h, _ := s.mgr.Get(id)
	// run_started, step_started, 25,001 lines: more than the stream keeps.
	for deadline := time.Now().Add(60 * time.Second); h.Events().Last() < 25003; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run has %d events, want 25,003", h.Events().Last())
		}
	}
	if h.Events().Last() <= runs.DefaultReplay {
		t.Fatalf("the stream keeps all %d events", h.Events().Last())
	}
	// The browser's time starts once the run has printed: the wait for
	// its 25,000 lines, slow under the race detector on a loaded
	// machine, is not taken from the time the page has.
	b := browser(t, 3*time.Minute)
	ctx := tab(t, b)
	s.signIn(t, ctx, "oncall")
	do(t, ctx, "open the runs", chromedp.Navigate(s.url+"/runs"), chromedp.WaitVisible(chromedp.CSS("#runs-list")))
	do(t, ctx, "count the event streams", chromedp.Evaluate[chromedp.Void](`(() => {
		const Real = window.EventSource;
		window.__streams = 0;
		window.EventSource = class extends Real {
			constructor(url, opts) { super(url, opts); window.__streams++; }
		};
	})()`))
	follow(t, ctx, "/runs/"+id)
	waitFor(t, ctx, "the last line of output", `((document.querySelector('li.step[data-step=build] pre.log') || {}).textContent || '').endsWith('25000\nall printed')`)
	if n := eval[int](t, ctx, `window.__streams`); n != 1 {
		t.Errorf("the page opened %d event streams, want 1", n)
	}
	if !eval[bool](t, ctx, `!!document.querySelector('.run-status .b-running') && !!document.getElementById('cancel')`) {
		t.Errorf("the run shows as %q", eval[string](t, ctx, `document.querySelector('.run-status').textContent`))
	}
	s.api("oncall", "POST", "/api/v1/runs/"+id+"/cancel", nil)
	s.wait(id)
}
