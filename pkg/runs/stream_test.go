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
	s := newStream(8)
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
// gets one marker for what the stream dropped before it read it, then
// what the stream keeps, then newer events.
func TestStreamSlowSubscriberGetsMarkerAtTheGap(t *testing.T) {
	s := newStream(8)
	sub := s.Subscribe(0)
	defer sub.Cancel()
	ctx := context.Background()
	s.Publish(Event{Kind: engine.EventLog})
	if ev, _ := sub.Next(ctx); ev.Seq != 1 {
		t.Fatalf("first event seq %d, want 1", ev.Seq)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ { // 2..21; the stream keeps at most 8
			s.Publish(Event{Kind: engine.EventLog})
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	ev, _ := sub.Next(ctx)
	if ev.Kind != KindDropped {
		t.Fatalf("after falling behind got %+v, want a dropped marker", ev)
	}
	kept := s.Events()
	if want := kept[0].Seq - 2; ev.Dropped != want {
		t.Errorf("marker says %d dropped, want %d (2 up to %d)", ev.Dropped, want, kept[0].Seq-1)
	}
	var seqs []uint64
	for range kept {
		ev, _ := sub.Next(ctx)
		seqs = append(seqs, ev.Seq)
	}
	var want []uint64
	for _, k := range kept {
		want = append(want, k.Seq)
	}
	if diff := cmp.Diff(want, seqs); diff != "" {
		t.Errorf("after the marker (-want +got):\n%s", diff)
	}
	s.Publish(Event{Kind: engine.EventLog})
	s.Close()
	rest := drain(t, sub)
	if len(rest) != 1 || rest[0].Seq != 22 {
		t.Errorf("then got %+v, want seq 22", rest)
	}
}

// Cancel from another goroutine ends a Next that waits.
func TestStreamCancelEndsWaitingNext(t *testing.T) {
	s := NewStream()
	sub := s.Subscribe(0)
	got := make(chan bool)
	go func() {
		_, ok := sub.Next(context.Background())
		got <- ok
	}()
	time.Sleep(10 * time.Millisecond)
	sub.Cancel()
	select {
	case ok := <-got:
		if ok {
			t.Error("Next returned an event after Cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still waits after Cancel")
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

func TestTryNextDrainsWithoutWaiting(t *testing.T) {
	s := NewStream()
	sub := s.Subscribe(0)
	defer sub.Cancel()
	if _, ok := sub.TryNext(); ok {
		t.Fatal("TryNext returned an event from an empty queue")
	}
	for i := 0; i < 3; i++ {
		s.Publish(Event{Kind: engine.EventLog})
	}
	var seqs []uint64
	for {
		ev, ok := sub.TryNext()
		if !ok {
			break
		}
		seqs = append(seqs, ev.Seq)
	}
	if diff := cmp.Diff([]uint64{1, 2, 3}, seqs); diff != "" {
		t.Errorf("drained (-want +got):\n%s", diff)
	}
}

func TestTakeQueuedTakesTheBatchWithTheMarkerAtTheGap(t *testing.T) {
	s := newStream(4)
	sub := s.Subscribe(0)
	defer sub.Cancel()
	if got := sub.TakeQueued(nil); len(got) != 0 {
		t.Fatalf("took %d events from an empty stream", len(got))
	}
	seqs := func(evs []*Event) (out []uint64) {
		for _, ev := range evs {
			out = append(out, ev.Seq)
		}
		return out
	}
	for i := 0; i < 3; i++ {
		s.Publish(Event{Kind: engine.EventLog})
	}
	if diff := cmp.Diff([]uint64{1, 2, 3}, seqs(sub.TakeQueued(nil))); diff != "" {
		t.Errorf("first batch (-want +got):\n%s", diff)
	}
	for i := 0; i < 7; i++ { // 4..10; the stream keeps 4 at most, so 4..6 go
		s.Publish(Event{Kind: engine.EventLog})
	}
	got := sub.TakeQueued(nil)
	if diff := cmp.Diff([]uint64{0, 7, 8, 9, 10}, seqs(got)); diff != "" {
		t.Errorf("second batch (-want +got):\n%s", diff)
	}
	if m := got[0]; m.Kind != KindDropped || m.Dropped != 3 {
		t.Errorf("marker %+v, want 3 dropped", m)
	}
	// The events are the stream's own, not copies.
	late := s.Subscribe(8)
	defer late.Cancel()
	if got := late.TakeQueued(nil); len(got) != 2 || got[0] != s.replay[len(s.replay)-2] {
		t.Errorf("a late subscriber after seq 8 took %v, want the stream's own events 9 and 10", seqs(got))
	}
	// What Next took and did not return comes first.
	s.Publish(Event{Kind: engine.EventLog})
	s.Publish(Event{Kind: engine.EventLog})
	if ev, _ := sub.Next(context.Background()); ev.Seq != 11 {
		t.Fatalf("Next gave seq %d, want 11", ev.Seq)
	}
	if diff := cmp.Diff([]uint64{12}, seqs(sub.TakeQueued(nil))); diff != "" {
		t.Errorf("after Next (-want +got):\n%s", diff)
	}
}
