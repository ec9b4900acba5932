package runs

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// recorder records the runs of executed operations in history with group
// commit: each caller hands over its report and waits until the
// transaction holding it is committed, so an execute is in history when
// ExecuteOp returns (unless the store takes longer than recordWait: a
// database that is away), while one transaction covers every execute that ended
// while the previous one was being written. A server answering thousands
// of executes a second then pays for a commit per batch, not per execute.
// Its goroutine belongs to the Service and ends in Close.
type recorder struct {
	s       *Service
	mu      sync.Mutex
	pending []history.Finished
	waiters []chan struct{}
	closed  bool
	kick    chan struct{}
	done    chan struct{}
}

func newRecorder(s *Service) *recorder {
	r := &recorder{s: s, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go r.loop()
	return r
}

// record queues a finished run and waits until it is written (or failed
// to be, which is warned about), or recordWait at most.
func (r *recorder) record(rep *report.Report, c Caller) {
	wait := make(chan struct{})
	f := history.Finished{Report: rep, Trigger: history.Trigger(c.Trigger), StartedBy: c.Name, Slot: c.Slot}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.write([]history.Finished{f})
		return
	}
	r.pending = append(r.pending, f)
	r.waiters = append(r.waiters, wait)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	t := time.NewTimer(recordWait)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
		// The store is slow or away (a shared database retries for a
		// minute): the write goes on without this caller, whose
		// operation has run and whose answer should not wait for it.
	}
}

// recordWait bounds how long an executed operation's caller waits for its
// history record; a variable for tests.
var recordWait = 5 * time.Second

// commitEvery is the least time between two commits: under load the
// runs that end meanwhile join the next batch, so a commit's cost is
// shared by more of them. A lone execute waits at most this long more.
const commitEvery = 2 * time.Millisecond

func (r *recorder) loop() {
	defer close(r.done)
	var last time.Time
	for range r.kick {
		if wait := commitEvery - time.Since(last); wait > 0 && !last.IsZero() {
			t := time.NewTimer(wait)
			<-t.C
		}
		last = time.Now()
		r.mu.Lock()
		batch, waiters := r.pending, r.waiters
		r.pending, r.waiters = nil, nil
		closed := r.closed
		r.mu.Unlock()
		r.write(batch)
		for _, w := range waiters {
			close(w)
		}
		if closed {
			return
		}
	}
}

func (r *recorder) write(batch []history.Finished) {
	if len(batch) == 0 {
		return
	}
	r.s.recordFinished(batch)
	r.s.prune(context.Background())
}

// close writes what is queued and stops the goroutine; later records are
// written one at a time.
func (r *recorder) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	<-r.done
}
