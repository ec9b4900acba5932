package cli

import (
	"regexp"
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

// TestLiveViewRetryWaitWithAWrongClock: a server's events carry its
// clock's times; on a client whose clock is an hour off, a step's row
// counts its time and its retry's wait by the server's clock, not this
// machine's, so that the wait is neither over before it is nor an hour
// long, and the step has not run for an hour.
func TestLiveViewRetryWaitWithAWrongClock(t *testing.T) {
	for _, skew := range []time.Duration{-time.Hour, time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			out := newNotifyWriter()
			v := newLiveView(out, palette{}, false, 120)
			defer v.close()
			ev := func(e engine.Event) { e.RunID, e.Time = "r", time.Now().Add(skew); v.Event(e) }
			ev(engine.Event{Kind: engine.EventRunStarted})
			ev(engine.Event{Kind: engine.EventStepStarted, Step: "flaky", Op: "shell.exec"})
			ev(engine.Event{Kind: engine.EventRetry, Step: "flaky", Op: "shell.exec", Attempt: 1, Attempts: 3, DelayMS: (30 * time.Second).Milliseconds(), Err: "exit code 1"})
			v.mu.Lock()
			v.redraw()
			v.mu.Unlock()
			got := out.String()
			if !regexp.MustCompile(`waits (2\d|30)\.\ds before try 2 of 3`).MatchString(got) {
				t.Errorf("with the server's clock %s from this one, a wait of 30s reads:\n%s", skew, got)
			}
			if strings.Contains(got, "1h") || strings.Contains(got, "59m") {
				t.Errorf("with the server's clock %s from this one, the step's row counts the skew:\n%s", skew, got)
			}
		})
	}
}
