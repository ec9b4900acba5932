package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestLogViewNotificationNotSentIsAnError: a notify entry whose message
// reached nobody is logged at error, so that `run --log-level error`
// under cron still says the page was never sent; one that reached some
// of its recipients stays at warn.
func TestLogViewNotificationNotSentIsAnError(t *testing.T) {
	var out bytes.Buffer
	v := newLogView(&out, true, zerolog.ErrorLevel, false)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for id, n := range map[string]*report.Notification{
		"gone": {Sent: report.SentNone},
		"mail": {Sent: report.SentSome, Recipients: 2, Of: 3},
	} {
		v.Event(engine.Event{Kind: engine.EventStepFinished, RunID: "r1", Time: at, Step: id, Section: "notify", Op: "notify.email", Status: "failed", Attempts: 1, Err: "x", ErrClass: "network", Notification: n})
	}
	v.w.Flush()
	l := out.String()
	if !strings.Contains(l, `"level":"error"`) || !strings.Contains(l, "notification not sent") {
		t.Errorf("at --log-level error the entry sent to nobody is not logged:\n%s", l)
	}
	if strings.Contains(l, "2 of 3") {
		t.Errorf("the entry sent to 2 of 3 is logged at error level:\n%s", l)
	}
}
