package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// The live view, fed a run's events, shows a running step's last output
// lines under it, control.log messages, step names, and a failed step's
// output in full.
func TestLiveViewShowsOutputLines(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 120)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	ev(engine.Event{Kind: engine.EventStepStarted, Step: "build", Name: "Build the image", Op: "shell.exec"})
	for _, l := range []string{"step 1/4", "step 2/4", "step 3/4", "step 4/4"} {
		ev(engine.Event{Kind: engine.EventLog, Step: "build", Op: "shell.exec", Stream: "stdout", Message: l})
	}
	v.mu.Lock()
	v.redraw()
	v.mu.Unlock()
	running := out.String()
	for _, want := range []string{"build (Build the image)", "step 2/4", "step 3/4", "step 4/4"} {
		if !strings.Contains(running, want) {
			t.Errorf("while build runs, the view lacks %q:\n%s", want, running)
		}
	}
	ev(engine.Event{Kind: engine.EventLog, Step: "note", Op: "control.log", Level: "info", Message: "Hello, world!"})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "build", Name: "Build the image", Op: "shell.exec", Status: "failed", Err: "exit code 2"})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	for _, want := range []string{"Hello, world!", "✗ build", "│ step 1/4", "│ step 4/4", "exit code 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("after build failed, the view lacks %q:\n%s", want, got)
		}
	}
}
