package runs

import (
	"context"
	"strings"
)

// NotStarted is the error message of a run cancelled before it started,
// for cause, what cancelled it. Every renderer puts the error's class,
// cancelled, before it (the history's note, the text report, the
// console, the log line), so the message does not say it again: a cause
// that starts with the word ("cancelled through the API by alice") is
// given without it. A cause of one clause ends with when it came
// ("interrupted by SIGINT before it started"); a longer one, which may
// end with what to do, follows the when.
func NotStarted(cause string) string {
	c := strings.TrimSpace(strings.TrimPrefix(cause, "cancelled "))
	if c == "" || c == context.Canceled.Error() {
		// Cancelled with no cause of its own: nothing to add.
		return "before it started"
	}
	if strings.ContainsAny(c, ";:\n") {
		return "before it started: " + c
	}
	return c + " before it started"
}
