package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestEventsOfReadsTheKindsAsked: EventsOf returns a run's relayed events
// of the kinds asked, in order, and a log line with a NUL character among
// them does not fail it.
func TestEventsOfReadsTheKindsAsked(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	r.q.writeEvents(context.Background(), "r1", []engine.Event{
		{Seq: 1, Kind: engine.EventRunStarted, RunID: "r1", Time: t0, Playbook: "pb"},
		{Seq: 2, Kind: engine.EventStepStarted, RunID: "r1", Time: t0, Step: "one", Op: "control.log"},
		{Seq: 3, Kind: engine.EventLog, RunID: "r1", Time: t0, Step: "one", Message: "a\x00b \"kind\":\"step_finished\""},
		{Seq: 4, Kind: engine.EventStepFinished, RunID: "r1", Time: t0, Step: "one", Status: "succeeded"},
	})
	r.q.writeEvents(context.Background(), "r2", []engine.Event{{Seq: 1, Kind: engine.EventStepStarted, RunID: "r2", Time: t0, Step: "other"}})
	evs, err := r.q.EventsOf(context.Background(), "r1", []engine.EventKind{engine.EventStepStarted, engine.EventStepFinished})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%d %s %s", ev.Seq, ev.Kind, ev.Step))
	}
	if diff := cmp.Diff([]string{"2 step_started one", "4 step_finished one"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
