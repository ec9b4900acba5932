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

// TestNotifyLineDoesNotRepeatItsError: notify.email's error of a message
// some recipients got names them ("sent to 2 of 3 recipients; refused:
// …"); the live view's line and 'remote run --follow”s do not say it a
// second time before it, as the summary's row does not, but keep what
// the error leaves out (the run summary that stood in).
func TestNotifyLineDoesNotRepeatItsError(t *testing.T) {
	const some = "sent to 2 of 3 recipients"
	errText := "notify.email: " + some + "; refused: bad@example.com; not sent again, since the others have it: ops@example.com, dev@example.com"
	partial := &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3}
	summary := &report.Notification{Sent: report.SentSome, Recipients: 2, Of: 3, Summary: true}

	out := newNotifyWriter()
	v := newLiveView(out, palette{}, false, 400)
	now := time.Now()
	ev := func(e engine.Event) { e.RunID, e.Time = "r", now; v.Event(e) }
	ev(engine.Event{Kind: engine.EventRunStarted})
	for _, id := range []string{"mail", "digest"} {
		ev(engine.Event{Kind: engine.EventStepStarted, Step: id, Op: "notify.email", Section: "notify"})
	}
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "mail", Op: "notify.email", Section: "notify", Status: "failed", Err: errText, Notification: partial})
	ev(engine.Event{Kind: engine.EventStepFinished, Step: "digest", Op: "notify.email", Section: "notify", Status: "failed", Err: errText, Notification: summary})
	v.close()
	live := viewCodes.ReplaceAllString(out.String(), "")

	var follow strings.Builder
	p := &plainView{w: &follow, runID: "r"}
	p.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Step: "mail", Section: "notify", Status: "failed", Time: now, Err: errText, Notification: partial})
	p.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r", Step: "digest", Section: "notify", Status: "failed", Time: now, Err: errText, Notification: summary})

	for name, got := range map[string]string{"live view": live, "--follow": follow.String()} {
		for _, l := range strings.Split(got, "\n") {
			if n := strings.Count(l, some); strings.Contains(l, "notify.email:") && n != 1 {
				t.Errorf("%s: %q says %q %d times", name, l, some, n)
			}
			if strings.Contains(l, "digest") && !strings.Contains(l, "notification sent with the run summary in place of its own text") {
				t.Errorf("%s: %q lacks the run summary that stood in", name, l)
			}
		}
	}
}
