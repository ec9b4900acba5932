package runs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

func kinds(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, string(ev.Kind)+":"+ev.Step)
	}
	return out
}

func drain(t *testing.T, sub *Subscription) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []Event
	for {
		ev, ok := sub.Next(ctx)
		if !ok {
			if ctx.Err() != nil {
				t.Fatal("the subscription did not end")
			}
			return out
		}
		out = append(out, ev)
	}
}

func TestStreamLateSubscriberGetsReplayThenLive(t *testing.T) {
	s := NewStream()
	s.Publish(Event{Kind: engine.EventRunStarted})
	s.Publish(Event{Kind: engine.EventStepStarted, Step: "a"})
	sub := s.Subscribe(0)
	defer sub.Cancel()
	s.Publish(Event{Kind: engine.EventStepFinished, Step: "a"})
	s.Publish(Event{Kind: engine.EventRunFinished})
	s.Close()
	got := drain(t, sub)
	want := []string{"run_started:", "step_started:a", "step_finished:a", "run_finished:"}
	if diff := cmp.Diff(want, kinds(got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for i, ev := range got {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d, want %d", i, ev.Seq, i+1)
		}
	}
}

func TestStreamSubscribeAfterResumes(t *testing.T) {
	s := NewStream()
	for _, id := range []string{"a", "b", "c"} {
		s.Publish(Event{Kind: engine.EventStepStarted, Step: id})
	}
	s.Close()
	got := drain(t, s.Subscribe(2))
	if diff := cmp.Diff([]string{"step_started:c"}, kinds(got)); diff != "" {
		t.Errorf("events after seq 2 (-want +got):\n%s", diff)
	}
}

func TestStreamReplayBoundTellsLateSubscriber(t *testing.T) {
	s := newStream(8, 100)
	for i := 0; i < 20; i++ {
		s.Publish(Event{Kind: engine.EventLog})
	}
	s.Close()
	got := drain(t, s.Subscribe(0))
	if got[0].Kind != KindDropped || got[0].Dropped == 0 {
		t.Fatalf("first event = %+v, want a dropped marker", got[0])
	}
	if n := got[0].Dropped + uint64(len(got)-1); n != 20 {
		t.Errorf("dropped + replayed = %d, want 20", n)
	}
	if last := got[len(got)-1].Seq; last != 20 {
		t.Errorf("last seq = %d, want 20", last)
	}
}

// A subscriber that does not read never blocks Publish; once it reads, it
// gets what was queued, one marker for the gap, then newer events.
func TestStreamSlowSubscriberGetsMarkerAtTheGap(t *testing.T) {
	s := newStream(1000, 4)
	sub := s.Subscribe(0)
	defer sub.Cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			s.Publish(Event{Kind: engine.EventLog})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	ctx := context.Background()
	var seqs []uint64
	for i := 0; i < 5; i++ {
		ev, _ := sub.Next(ctx)
		seqs = append(seqs, ev.Seq)
		if ev.Kind == KindDropped {
			if ev.Dropped != 6 {
				t.Errorf("marker says %d dropped, want 6", ev.Dropped)
			}
		}
	}
	if diff := cmp.Diff([]uint64{1, 2, 3, 4, 0}, seqs); diff != "" {
		t.Errorf("seqs (-want +got):\n%s", diff)
	}
	s.Publish(Event{Kind: engine.EventLog})
	s.Close()
	rest := drain(t, sub)
	if len(rest) != 1 || rest[0].Seq != 11 {
		t.Errorf("after the marker got %+v, want seq 11", rest)
	}
}

func TestStreamMarkerBeforeNewEventsWhenDrainedMeanwhile(t *testing.T) {
	s := newStream(1000, 2)
	sub := s.Subscribe(0)
	defer sub.Cancel()
	for i := 0; i < 5; i++ { // 1,2 queued; 3,4,5 dropped
		s.Publish(Event{Kind: engine.EventLog})
	}
	ctx := context.Background()
	sub.Next(ctx)
	sub.Next(ctx)
	s.Publish(Event{Kind: engine.EventLog}) // 6: queue empty while dropping
	s.Close()
	got := drain(t, sub)
	if len(got) != 2 || got[0].Kind != KindDropped || got[0].Dropped != 3 || got[1].Seq != 6 {
		t.Errorf("got %+v, want a marker for 3 events, then seq 6", got)
	}
}

func TestStreamConcurrentPublishAndSubscribe(t *testing.T) {
	s := NewStream()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				s.Publish(Event{Kind: engine.EventLog})
			}
		}()
	}
	subs := make([]*Subscription, 8)
	for i := range subs {
		subs[i] = s.Subscribe(0)
	}
	wg.Wait()
	s.Close()
	for _, sub := range subs {
		got := drain(t, sub)
		var prev uint64
		for _, ev := range got {
			if ev.Seq <= prev {
				t.Fatalf("seq %d after %d", ev.Seq, prev)
			}
			prev = ev.Seq
		}
		if prev != 2000 {
			t.Errorf("last seq %d, want 2000", prev)
		}
	}
}

func TestStreamNextEndsWithContext(t *testing.T) {
	s := NewStream()
	sub := s.Subscribe(0)
	defer sub.Cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, ok := sub.Next(ctx); ok {
		t.Fatal("Next returned an event from an empty stream")
	}
}
