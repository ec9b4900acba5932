package runs

import (
	"context"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// Limits of a Stream.
const (
	// DefaultReplay is how many events a stream keeps for late subscribers.
	// Past it the oldest are dropped and a late subscriber is told how many.
	DefaultReplay = 20000
	// DefaultSubscriberBuffer is how many events a subscriber may fall
	// behind before it is sent a dropped marker instead of the next events.
	DefaultSubscriberBuffer = 4096
)

// Stream is the event stream of one run: it numbers events, keeps a
// bounded replay for subscribers that attach late, and fans events out to
// subscribers without ever waiting for one. Publish, Subscribe and Close are
// safe for concurrent use.
type Stream struct {
	mu      sync.Mutex
	seq     uint64
	replay  []Event // the newest events, at most max
	max     int
	trimmed uint64 // events dropped from the front of replay
	subs    map[*Subscription]struct{}
	closed  bool
	done    chan struct{}
	subBuf  int
}

// NewStream returns an open stream with the default limits.
func NewStream() *Stream { return newStream(DefaultReplay, DefaultSubscriberBuffer) }

func newStream(replay, subBuf int) *Stream {
	return &Stream{max: replay, subBuf: subBuf, subs: map[*Subscription]struct{}{}, done: make(chan struct{})}
}

// Publish numbers ev, keeps it for replay and hands it to every subscriber.
// It returns the event as numbered. Events published after Close are
// dropped.
func (s *Stream) Publish(ev Event) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ev
	}
	s.seq++
	ev.Seq = s.seq
	if len(s.replay) >= s.max {
		n := len(s.replay) / 4 // drop a quarter at once: amortised O(1)
		copy(s.replay, s.replay[n:])
		s.replay = s.replay[:len(s.replay)-n]
		s.trimmed += uint64(n)
	}
	s.replay = append(s.replay, ev)
	for sub := range s.subs {
		sub.push(ev)
	}
	return ev
}

// Close ends the stream: subscribers receive what is queued for them and
// then see the end. Close is idempotent.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	for sub := range s.subs {
		sub.end()
	}
}

// Done is closed when the stream is closed.
func (s *Stream) Done() <-chan struct{} { return s.done }

// Last returns the sequence number of the newest event.
func (s *Stream) Last() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Events returns a copy of the events kept for replay.
func (s *Stream) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.replay...)
}

// Subscribe attaches a subscriber that first receives every kept event
// with a sequence number above after (0 for all), then the live events.
// If events it asked for were already dropped from the replay, it first
// receives a dropped marker saying how many. The caller must Cancel the
// subscription when it stops reading.
func (s *Stream) Subscribe(after uint64) *Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := &Subscription{s: s, max: s.subBuf, wake: make(chan struct{}, 1)}
	first := s.trimmed + 1 // the sequence number of replay[0]
	if after+1 < first {
		sub.queue = append(sub.queue, Event{Kind: KindDropped, Dropped: first - after - 1})
	}
	for _, ev := range s.replay {
		if ev.Seq > after {
			sub.queue = append(sub.queue, ev)
		}
	}
	if s.closed {
		sub.ended = true
	} else {
		s.subs[sub] = struct{}{}
	}
	return sub
}

// Subscription is one subscriber's view of a Stream. Its methods are safe
// for concurrent use, but one goroutine should read it.
type Subscription struct {
	s        *Stream
	mu       sync.Mutex
	queue    []Event
	max      int
	dropping bool
	dropped  uint64
	ended    bool
	wake     chan struct{}
}

// push queues ev, or counts it dropped when the subscriber is behind. Once
// dropping starts it goes on until the subscriber has read everything
// queued, so the marker sits exactly where the gap is.
func (sub *Subscription) push(ev Event) {
	sub.mu.Lock()
	switch {
	case sub.dropping && len(sub.queue) == 0:
		sub.queue = append(sub.queue, sub.marker(), ev)
	case sub.dropping:
		sub.dropped++
	case len(sub.queue) >= sub.max:
		sub.dropping, sub.dropped = true, 1
	default:
		sub.queue = append(sub.queue, ev)
	}
	sub.mu.Unlock()
	sub.signal()
}

func (sub *Subscription) marker() Event {
	ev := Event{Kind: KindDropped, Dropped: sub.dropped}
	sub.dropping, sub.dropped = false, 0
	return ev
}

func (sub *Subscription) end() {
	sub.mu.Lock()
	sub.ended = true
	sub.mu.Unlock()
	sub.signal()
}

func (sub *Subscription) signal() {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}

// Next returns the next event. ok is false when the stream has ended and
// everything was read, or when ctx is done.
func (sub *Subscription) Next(ctx context.Context) (ev Event, ok bool) {
	for {
		sub.mu.Lock()
		switch {
		case len(sub.queue) > 0:
			ev = sub.queue[0]
			sub.queue[0] = Event{}
			sub.queue = sub.queue[1:]
			if len(sub.queue) == 0 {
				sub.queue = nil // let the backing array go
			}
			sub.mu.Unlock()
			return ev, true
		case sub.dropping:
			ev = sub.marker()
			sub.mu.Unlock()
			return ev, true
		case sub.ended:
			sub.mu.Unlock()
			return Event{}, false
		}
		sub.mu.Unlock()
		select {
		case <-sub.wake:
		case <-ctx.Done():
			return Event{}, false
		}
	}
}

// TryNext returns the next queued event without waiting; ok is false when
// none is queued right now.
func (sub *Subscription) TryNext() (ev Event, ok bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	switch {
	case len(sub.queue) > 0:
		ev = sub.queue[0]
		sub.queue[0] = Event{}
		sub.queue = sub.queue[1:]
		if len(sub.queue) == 0 {
			sub.queue = nil
		}
		return ev, true
	case sub.dropping:
		return sub.marker(), true
	}
	return Event{}, false
}

// Cancel detaches the subscriber. It is idempotent.
func (sub *Subscription) Cancel() {
	sub.s.mu.Lock()
	delete(sub.s.subs, sub)
	sub.s.mu.Unlock()
	sub.end()
}

// Observe feeds every event of the stream, from the first, to obs in a
// goroutine of its own until the stream ends. A panic in obs is recovered
// and passed to onPanic (when not nil); it stops only this observer, never
// the run or the process. The returned channel is closed when the
// observer stops.
func (s *Stream) Observe(obs engine.Observer, onPanic func(v any)) <-chan struct{} {
	done := make(chan struct{})
	sub := s.Subscribe(0)
	go func() {
		defer close(done)
		defer sub.Cancel()
		defer func() {
			if v := recover(); v != nil && onPanic != nil {
				onPanic(v)
			}
		}()
		for {
			ev, ok := sub.Next(context.Background())
			if !ok {
				return
			}
			obs.Event(ev)
		}
	}()
	return done
}
