package runs

import (
	"context"
	"sync"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// recorder records the runs of executed operations in history with group
// commit: one transaction covers every execute that ended while the
// previous one was being written, so a server answering thousands of
// executes a second pays for a commit per batch, not per execute.
//
// On a store shared by several processes (PostgreSQL), each caller waits
// until the transaction holding its run is committed (or recordWait at
// most: a database that is away), so that the run is in history, for
// every replica, when ExecuteOp returns. On a state dir's store, which
// this process alone writes, the caller does not wait: waiting held each
// answer for a commit cycle (2–4 ms under load) and left the CPU idle
// between cycles. Reads through Service.History settle first
// (settledStore), so a run is found there as soon as its execute has
// answered; another process reading the state dir sees it once the batch
// is committed, milliseconds later. The audit line of the operation is
// written before the answer either way.
// Its goroutine belongs to the Service and ends in Close.
type recorder struct {
	s       *Service
	async   bool // callers do not wait for their commit
	mu      sync.Mutex
	pending []history.Finished
	waiters []chan struct{}
	closed  bool
	// queued counts the runs handed over, written those whose batch has
	// been written (or has failed to be, which is warned about); flushed
	// is closed, and replaced, each time written moves.
	queued, written uint64
	flushed         chan struct{}
	kick            chan struct{}
	done            chan struct{}
}

func newRecorder(s *Service, async bool) *recorder {
	r := &recorder{s: s, async: async, flushed: make(chan struct{}), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go r.loop()
	return r
}

// record queues a finished run and, unless the recorder is async, waits
// until it is written (or failed to be, which is warned about), or
// recordWait at most.
func (r *recorder) record(rep *report.Report, c Caller) {
	var wait chan struct{}
	if !r.async {
		wait = make(chan struct{})
	}
	f := history.Finished{Report: rep, Trigger: history.Trigger(c.Trigger), StartedBy: c.Name, Slot: c.Slot}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.write([]history.Finished{f})
		return
	}
	r.pending = append(r.pending, f)
	r.queued++
	if wait != nil {
		r.waiters = append(r.waiters, wait)
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
	if wait == nil {
		return
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
// shared by more of them. A caller that waits for its commit (a shared
// store) waits at most this long more, so it is short there; where no
// answer waits, a longer cycle makes batches of a hundred executes and
// more, whose rows cost a third less CPU each than batches of thirty
// (BenchmarkRecordFinishedExecutes), and delays only the reads that
// settle first, by as much.
const (
	commitEvery      = 2 * time.Millisecond
	commitEveryAsync = 10 * time.Millisecond
)

func (r *recorder) loop() {
	defer close(r.done)
	every := commitEvery
	if r.async {
		every = commitEveryAsync
	}
	var last time.Time
	for range r.kick {
		if wait := every - time.Since(last); wait > 0 && !last.IsZero() {
			t := time.NewTimer(wait)
			<-t.C
		}
		last = time.Now()
		r.mu.Lock()
		batch, waiters, upto := r.pending, r.waiters, r.queued
		r.pending, r.waiters = nil, nil
		closed := r.closed
		r.mu.Unlock()
		r.write(batch)
		for _, w := range waiters {
			close(w)
		}
		r.mu.Lock()
		r.written = upto
		close(r.flushed)
		r.flushed = make(chan struct{})
		r.mu.Unlock()
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

// settle waits until every run handed over before it was called is
// written (or failed to be), or recordWait at most, or ctx's end.
func (r *recorder) settle(ctx context.Context) {
	var t *time.Timer
	r.mu.Lock()
	target := r.queued
	for r.written < target {
		flushed := r.flushed
		r.mu.Unlock()
		if t == nil {
			t = time.NewTimer(recordWait)
			defer t.Stop()
		}
		select {
		case <-flushed:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
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
