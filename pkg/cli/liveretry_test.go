package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestLiveViewSaysARetryWaits: while a step waits between two tries of
// its retry, its row says so, with the try it waits for and how many
// there are, instead of its time alone as if it were busy.
func TestLiveViewSaysARetryWaits(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	defer v.close()
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "flaky", Op: "shell.exec"})
	ev(engine.Event{Kind: engine.EventRetry, Step: "flaky", Op: "shell.exec", Attempt: 1, Attempts: 3, DelayMS: time.Hour.Milliseconds(), Err: "exit code 1"})
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	if got := out.String(); !strings.Contains(got, "before try 2 of 3") {
		t.Errorf("while flaky waits to try again, the view does not say so:\n%s", got)
	}
}
