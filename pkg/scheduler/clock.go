package scheduler

import (
	"sort"
	"sync"
	"time"
)

// Clock is where the scheduler reads the time and waits. Now is the wall
// clock, which may jump; timers run on elapsed time, as Go's timers do, so
// a wall-clock jump never makes a timer fire early or late. The scheduler
// never sleeps any other way, so tests drive it with a FakeClock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it returns false when it
	// fired or was stopped already.
	Stop() bool
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// clockStart is where the system clock's elapsed time counts from.
var clockStart = time.Now()

// Elapsed is the time the process has been able to run since it
// started, read on the monotonic clock, which stands still while the
// machine is suspended and does not follow steps of the wall clock.
func (systemClock) Elapsed() time.Duration { return time.Since(clockStart) }

// elapsedClock is a Clock that tells its elapsed time apart from its
// wall clock (SystemClock and FakeClock do): the scheduler tells a loop
// that fell behind from a machine suspended or a clock that jumped.
type elapsedClock interface{ Elapsed() time.Duration }

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// FakeClock is a Clock for tests: time moves only when the test says.
// Advance moves the wall clock and elapsed time together and fires the
// timers that come due, in order; Jump moves only the wall clock, as an NTP
// step or a suspended machine does, and fires nothing. It is safe for
// concurrent use.
type FakeClock struct {
	mu      sync.Mutex
	wall    time.Time
	elapsed time.Duration
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced when the timers change
}

// NewFakeClock returns a FakeClock whose wall clock reads now.
func NewFakeClock(now time.Time) *FakeClock {
	return &FakeClock{wall: now, changed: make(chan struct{})}
}

type fakeTimer struct {
	c     *FakeClock
	at    time.Duration // elapsed time it fires at
	ch    chan time.Time
	armed bool
}

// Now returns the fake wall-clock time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

// NewTimer returns a timer that fires once the clock has advanced by d; a
// d of zero or less fires at once.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.elapsed + max(d, 0), ch: make(chan time.Time, 1), armed: true}
	if d <= 0 {
		t.armed = false
		t.ch <- c.wall
		return t
	}
	c.timers = append(c.timers, t)
	c.notify()
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.armed {
		return false
	}
	t.armed = false
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			break
		}
	}
	c.notify()
	return true
}

// notify wakes the goroutines waiting in AwaitTimers; c.mu is held.
func (c *FakeClock) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d, firing every timer that comes due,
// earliest first. A timer's channel holds one value; a timer nobody reads
// does not block Advance.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
	c.elapsed += d
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at < c.timers[j].at })
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.at <= c.elapsed {
			t.armed = false
			t.ch <- c.wall
			continue
		}
		keep = append(keep, t)
	}
	c.timers = keep
	c.notify()
}

// Elapsed is the elapsed time the clock has advanced by.
func (c *FakeClock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.elapsed
}

// Jump moves the wall clock by d, forward or back, without elapsed time:
// no timer fires.
func (c *FakeClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
}

// Timers returns the durations until each pending timer fires, soonest
// first.
func (c *FakeClock) Timers() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, len(c.timers))
	for i, t := range c.timers {
		out[i] = t.at - c.elapsed
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// AwaitTimers waits until at least n timers are pending, or timeout (real
// time) passes, and reports whether they are. Tests use it to know that
// the goroutine under test is waiting on the clock.
func (c *FakeClock) AwaitTimers(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		have, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if have >= n {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}
