package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// Self-fencing. The others take a process for dead once its heartbeat is
// older than its lease by the database's clock (see Alive): then they
// free its concurrency groups and run again its runs of playbooks with
// retry_on_node_loss. A process cut off from the database cannot tell,
// and would go on with those runs beside the others' copies. So it fences
// itself: once it has gone FenceAfter (half its lease) without a
// heartbeat going through, counted on its own monotonic clock from when
// it sent the last one that did, Fence's channel is closed, and whoever
// runs those runs stops them (the run queue does).
//
// The two sides cannot overlap: the last heartbeat that went through
// wrote heartbeat_at (the database's now()) after it was sent, so the
// others judge the process dead no sooner than a lease after the send,
// by the database's clock, which neither side's wall clock can move.
// The other half of the lease is what a fenced run has to end in, its
// finally steps included; a database whose clock is stepped forward by
// that much, or a process suspended for that long (a stopped VM), can
// still break it.

// fence is a Store's self-fencing state. Its methods are safe for
// concurrent use.
type fence struct {
	after time.Duration
	mu    sync.Mutex
	sent  time.Time // when the last heartbeat that went through was sent
	done  chan struct{}
	shut  bool // closed: the fence is down
	timer *time.Timer
}

// newFence starts a fence that comes down after without a renewal, the
// first counted from sent.
func newFence(after time.Duration, sent time.Time) *fence {
	f := &fence{after: after, sent: sent, done: make(chan struct{})}
	f.timer = time.AfterFunc(after, f.expire)
	return f
}

// renewed records a heartbeat sent at sent that went through: the fence
// is up again, until after from then. It returns how long it had been,
// now that the answer came, since the one before was sent: no one could
// have taken this process for dead meanwhile when that is under the
// lease.
func (f *fence) renewed(sent time.Time) (gap time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gap = time.Since(f.sent)
	if sent.After(f.sent) {
		f.sent = sent
	}
	if f.shut {
		f.done, f.shut = make(chan struct{}), false
	}
	f.timer.Reset(f.after - time.Since(f.sent))
	return gap
}

// expire brings the fence down when the last renewal is after old; a
// renewal that came meanwhile moved the timer.
func (f *fence) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shut {
		return
	}
	if left := f.after - time.Since(f.sent); left > 0 {
		f.timer.Reset(left)
		return
	}
	close(f.done)
	f.shut = true
}

// stop stops the timer, for Close.
func (f *fence) stop() { f.timer.Stop() }

// FenceAfter is how long this Store may go without a heartbeat going
// through before it fences itself: half its lease.
func (s *Store) FenceAfter() time.Duration { return s.cfg.Lease / 2 }

// Fence returns a channel that is closed once this Store has gone
// FenceAfter without a heartbeat going through: the others may take this
// process for dead when the lease is over, and the runs that must not run
// beside their copies (those holding a concurrency group, or of a
// retry_on_node_loss playbook) must end before: cancel them with
// FenceError. A channel once closed stays closed; after a heartbeat goes
// through again, Fence returns a new one.
func (s *Store) Fence() <-chan struct{} {
	s.fence.mu.Lock()
	defer s.fence.mu.Unlock()
	return s.fence.done
}

// FenceError is the cause to cancel a run with when Fence's channel is
// closed: it names the database and says why the run stops.
func (s *Store) FenceError() error {
	return fmt.Errorf("stopped: this process could not reach the database %s for %s, half its lease of %s; the other processes take it for dead once the lease is over (they free its concurrency groups and run again the runs of retry_on_node_loss playbooks), so it stopped this run before",
		s.described, short.Duration(s.FenceAfter()), short.Duration(s.cfg.Lease))
}

// Renew sends a heartbeat now, within ctx, for a run about to start on
// a fenced Store, which may go on if the database is back. It fails when
// the heartbeat does not go through, and when it went through after a
// lease or more without one: the others may have taken this process for
// dead meanwhile and freed the run's group.
func (s *Store) Renew(ctx context.Context) error {
	gap, err := s.beat(ctx)
	if err != nil {
		return err
	}
	if gap >= s.cfg.Lease {
		return fmt.Errorf("postgres: heartbeat: %s without one, longer than the lease of %s: the others may have taken this process for dead", short.Duration(gap.Round(time.Millisecond)), short.Duration(s.cfg.Lease))
	}
	return nil
}
