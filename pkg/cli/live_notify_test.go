package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestLiveViewSaysWhatANotifyEntryReached: the live view's line of a
// notify entry that failed says what its message reached, as its log
// line does, not only that it failed.
func TestLiveViewSaysWhatANotifyEntryReached(t *testing.T) {
	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 160)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for _, id := range []string{"mail", "down"} {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: id, Op: "notify.email", Section: "notify"})
	}
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "mail", Op: "notify.email", Section: "notify", Status: "failed",
		Err: "notify.email: refused: bad@example.com", Notification: &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "down", Op: "notify.email", Section: "notify", Status: "failed",
		Err: "connection refused", Notification: &report.Notification{Sent: report.SentNone}})
	v.close()
	got := viewCodes.ReplaceAllString(out.String(), "")
	for _, want := range []string{"notification sent to 2 of 3 recipients", "notification not sent"} {
		if !strings.Contains(got, want) {
			t.Errorf("the view lacks %q:\n%s", want, got)
		}
	}
}
