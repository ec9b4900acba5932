package runs

import (
	"context"
	"strconv"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestStreamShortRunAllocatesItsEventsTogether: a run's handful of
// events take one allocation, not one each; a scheduled run of three
// steps publishes eight, a thousand times a second. It made 15
// allocations for eight events and its stream before, 5 now.
func TestStreamShortRunAllocatesItsEventsTogether(t *testing.T) {
	ev := engine.Event{Kind: engine.EventStepFinished, RunID: "r", Step: "a"}
	got := testing.AllocsPerRun(100, func() {
		s := NewStream()
		for range 8 {
			s.Publish(ev)
		}
	})
	if got > 8 {
		t.Errorf("a stream of eight events made %.0f allocations, want at most 8", got)
	}
}

// TestStreamEventsKeptAsPublished: events shared out of the stream's
// slabs keep what they were published with, however many follow.
func TestStreamEventsKeptAsPublished(t *testing.T) {
	s := newStream(100)
	sub := s.Subscribe(0)
	defer sub.Cancel()
	const n = 300
	for i := range n {
		s.Publish(engine.Event{Kind: engine.EventStepStarted, RunID: "r", Step: strconv.Itoa(i)})
	}
	s.Close()
	kept := s.Events()
	if len(kept) == 0 || len(kept) > 100 {
		t.Fatalf("kept %d events", len(kept))
	}
	for _, ev := range kept {
		if ev.Step != strconv.Itoa(int(ev.Seq)-1) {
			t.Fatalf("event %d kept step %q", ev.Seq, ev.Step)
		}
	}
	for {
		ev, ok := sub.Next(context.Background())
		if !ok {
			break
		}
		if ev.Kind == engine.EventStepStarted && ev.Step != strconv.Itoa(int(ev.Seq)-1) {
			t.Fatalf("subscriber read event %d with step %q", ev.Seq, ev.Step)
		}
	}
}
