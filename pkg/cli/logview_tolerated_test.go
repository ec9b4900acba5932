package cli

import (
	"testing"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestToleratedSubRunLinesAreWarnings: the failed step and run of a
// sub-playbook whose caller goes on past its failure are logged at warn,
// as the caller's own step is; a denial stays at error, as ever.
func TestToleratedSubRunLinesAreWarnings(t *testing.T) {
	for _, tc := range []struct {
		ev   engine.Event
		want zerolog.Level
	}{
		{engine.Event{Kind: engine.EventStepFinished, Status: "failed", Tolerated: true}, zerolog.WarnLevel},
		{engine.Event{Kind: engine.EventRunFinished, Status: "failed", Tolerated: true}, zerolog.WarnLevel},
		{engine.Event{Kind: engine.EventStepFinished, Status: "failed"}, zerolog.ErrorLevel},
		{engine.Event{Kind: engine.EventRunFinished, Status: "failed"}, zerolog.ErrorLevel},
		{engine.Event{Kind: engine.EventStepFinished, Status: "denied", Tolerated: true}, zerolog.ErrorLevel},
	} {
		if got, _, _ := logLine(tc.ev); got != tc.want {
			t.Errorf("%s %s tolerated %v: level %s, want %s", tc.ev.Kind, tc.ev.Status, tc.ev.Tolerated, got, tc.want)
		}
	}
}
