package runs

import (
	"context"
	"sync"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// DefaultReplay is how many events a stream keeps. A subscriber reads
// them where they are kept, so it is also how far a subscriber may fall
// behind: past it the oldest are dropped, and a subscriber that had not
// read them, or attaches late, is told how many it missed.
const DefaultReplay = 20000

// Stream is the event stream of one run: it numbers events and keeps the
// newest of them in one log that every subscriber reads at its own
// position, so that publishing costs the same for one subscriber or a
// thousand and a run never waits for one. Publish, Subscribe and Close are
// safe for concurrent use.
type Stream struct {
	mu      sync.Mutex
	seq     uint64
	replay  []*Event // the newest events, at most max, oldest first; shared, never written
	max     int
	trimmed uint64 // events dropped from the front of replay
	// slab holds the events published last, in one allocation for
	// several: a run's handful of events cost one or two, not one each.
	// Its events are written once, as they are published.
	slab   []Event
	closed bool
	done   chan struct{}
	// notify is closed, and replaced, when an event comes or the stream
	// closes, if a subscriber waits on it.
	notify  chan struct{}
	waiting bool
}

// firstSlab and maxSlab bound the events a stream allocates at once: a
// short run's fit in the first, a long run's take maxSlab at a time.
const (
	firstSlab = 8
	maxSlab   = 64
)

// NewStream returns an open stream with the default limit.
func NewStream() *Stream { return newStream(DefaultReplay) }

func newStream(replay int) *Stream {
	return &Stream{max: replay, done: make(chan struct{}), notify: make(chan struct{})}
}

// Publish numbers ev, keeps it, and wakes the subscribers that wait for
// it. It returns the event as numbered. Events published after Close are
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
		n := max(len(s.replay)/4, 1) // drop a quarter at once: amortised O(1)
		copy(s.replay, s.replay[n:])
		clear(s.replay[len(s.replay)-n:])
		s.replay = s.replay[:len(s.replay)-n]
		s.trimmed += uint64(n)
	}
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]Event, 0, min(max(2*cap(s.slab), firstSlab), maxSlab))
	}
	if s.replay == nil {
		s.replay = make([]*Event, 0, 2*firstSlab)
	}
	// Read-only from here: every subscriber reads this copy.
	s.slab = append(s.slab, ev)
	s.replay = append(s.replay, &s.slab[len(s.slab)-1])
	s.wake()
	return ev
}

// wake wakes the waiting subscribers; s.mu is held.
func (s *Stream) wake() {
	if s.waiting {
		close(s.notify)
		s.notify = make(chan struct{})
		s.waiting = false
	}
}

// Close ends the stream: subscribers read what is kept and then see the
// end. Close is idempotent.
func (s *Stream) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.done)
	s.wake()
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
	out := make([]Event, len(s.replay))
	for i, ev := range s.replay {
		out[i] = *ev
	}
	return out
}

// Subscribe attaches a subscriber that receives every kept event with a
// sequence number above after (0 for all), then the live events. Where
// events it has not read were dropped from the stream (it attached late,
// or fell more than the stream keeps behind), it receives a dropped
// marker saying how many. The caller must Cancel the subscription when it
// stops reading.
func (s *Stream) Subscribe(after uint64) *Subscription {
	return &Subscription{s: s, next: after + 1, stop: make(chan struct{})}
}

// Subscription is one subscriber's position in a Stream. One goroutine
// reads it; Cancel may come from any.
type Subscription struct {
	s    *Stream
	next uint64 // the sequence number of the next event to read; s.mu
	// buf[bi:] were taken from the stream and not returned yet by Next.
	buf      []*Event
	bi       int
	stop     chan struct{}
	stopOnce sync.Once
}

// take appends to dst the events from sub.next on, after a dropped marker
// if some were dropped before it read them, and says whether the stream
// has ended. If there are none and it has not ended, it also returns the
// channel that says when to look again.
func (sub *Subscription) take(dst []*Event, wait bool) ([]*Event, bool, <-chan struct{}) {
	s := sub.s
	s.mu.Lock()
	defer s.mu.Unlock()
	first := s.trimmed + 1 // the sequence number of replay[0]
	if sub.next < first {
		dst = append(dst, &Event{Kind: KindDropped, Dropped: first - sub.next})
		sub.next = first
	}
	if i := sub.next - first; i < uint64(len(s.replay)) {
		dst = append(dst, s.replay[i:]...)
		sub.next = s.seq + 1
	}
	if len(dst) > 0 || s.closed || !wait {
		return dst, s.closed, nil
	}
	s.waiting = true
	return dst, false, s.notify
}

// TakeQueued appends to dst every event there is to read now, with a
// dropped marker where events were dropped, without waiting, and returns
// it. The events are shared with the stream's other readers: read them,
// never write them. A reader that writes events out takes them in one go
// with it, rather than an event and a lock at a time.
func (sub *Subscription) TakeQueued(dst []*Event) []*Event {
	if sub.bi < len(sub.buf) { // what Next took and has not returned comes first
		dst = append(dst, sub.buf[sub.bi:]...)
		sub.release()
	}
	if sub.stopped() {
		return dst
	}
	dst, _, _ = sub.take(dst, false)
	return dst
}

// release drops the buffer's references to the stream's events.
func (sub *Subscription) release() {
	clear(sub.buf)
	sub.buf, sub.bi = sub.buf[:0], 0
}

func (sub *Subscription) stopped() bool {
	select {
	case <-sub.stop:
		return true
	default:
		return false
	}
}

// Next returns the next event. ok is false when the stream has ended and
// everything was read, when the subscription was cancelled, or when ctx is
// done.
func (sub *Subscription) Next(ctx context.Context) (ev Event, ok bool) {
	for {
		if sub.stopped() {
			return Event{}, false
		}
		if sub.bi < len(sub.buf) {
			ev = *sub.buf[sub.bi]
			sub.buf[sub.bi] = nil
			sub.bi++
			return ev, true
		}
		sub.release()
		var ended bool
		var wake <-chan struct{}
		sub.buf, ended, wake = sub.take(sub.buf, true)
		if len(sub.buf) > 0 {
			continue
		}
		if ended {
			return Event{}, false
		}
		select {
		case <-wake:
		case <-sub.stop:
			return Event{}, false
		case <-ctx.Done():
			return Event{}, false
		}
	}
}

// TryNext returns the next event if there is one, without waiting; ok is
// false when there is none.
func (sub *Subscription) TryNext() (ev Event, ok bool) {
	if sub.bi >= len(sub.buf) && !sub.stopped() {
		sub.release()
		sub.buf, _, _ = sub.take(sub.buf, false)
	}
	if sub.bi < len(sub.buf) {
		ev = *sub.buf[sub.bi]
		sub.buf[sub.bi] = nil
		sub.bi++
		return ev, true
	}
	return Event{}, false
}

// Cancel detaches the subscriber: a Next waiting in another goroutine
// returns. It is idempotent.
func (sub *Subscription) Cancel() {
	sub.stopOnce.Do(func() { close(sub.stop) })
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
