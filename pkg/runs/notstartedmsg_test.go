package runs

import (
	"strings"
	"testing"
)

// TestNotStartedSaysCancelledOnce checks the message of a run cancelled
// before it started, which every renderer shows after its class
// (cancelled): the word is not repeated, and the cause is kept.
func TestNotStartedSaysCancelledOnce(t *testing.T) {
	for cause, want := range map[string]string{
		"interrupted by SIGINT":                  "interrupted by SIGINT before it started",
		"cancelled through the API by bob":       "through the API by bob before it started",
		"lost the database: check it; run again": "before it started: lost the database: check it; run again",
		"":                                       "before it started",
	} {
		got := NotStarted(cause)
		if got != want {
			t.Errorf("NotStarted(%q) = %q, want %q", cause, got, want)
		}
		if strings.Contains("cancelled: "+got, "cancelled: cancelled") {
			t.Errorf("NotStarted(%q) repeats the class: %q", cause, got)
		}
	}
}
