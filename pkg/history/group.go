package history

import (
	"context"
	"fmt"
	"sync"
)

// Group commit. The runs of a busy process (a scheduler starting a
// thousand runs a second, a server finishing its runs) each record their
// start and their end. Written one transaction each, every write pays a
// commit: SQLite appends each page it touched to the WAL, and the runs
// table's leaf and index pages are mostly the same pages for runs that
// start together. So the writes that arrive while a transaction is being
// written wait for it and then go in one transaction of their own, each
// inside a savepoint so that one that fails is undone alone. A write that
// finds no transaction under way begins one at once: alone, it costs what
// it did before.

// commitGroup queues the writes that wait for the transaction under way.
type commitGroup struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // a caller is writing a batch and will take the next
	// starts are the queued starts (QueueStart) not yet in a batch, by
	// run id: the run's end, when it comes first, takes their place.
	starts map[string]*groupWrite
	// unwritten are the starts whose run's end took their place and could
	// not be written: the end's next try carries them still.
	unwritten map[string]*Run
	// ends holds the values of a batch's runs' ends (writeFinishes),
	// guarded by the Store's write lock.
	ends endValues
}

// groupWrite is one caller's write in a batch.
type groupWrite struct {
	do    func(ctx context.Context, tx *writeTx) error
	err   error
	wake  chan bool    // true: write the batch; false: err is the outcome
	woken bool         // sent true; guarded by commitGroup.mu
	start *Run         // a queued start's run, or nil
	rows  int          // the step rows it writes; see groupedTx
	fin   *finishWrite // a run's end, which may go in with others; or nil
	runID string       // the run whose rows it writes; "" when not known
}

// maxGroup bounds a batch, so that one commit's WAL frames stay few and a
// caller's wait stays short.
const maxGroup = 128

// groupedTx runs do in a write transaction shared with the writes that
// arrive while another is under way, and returns do's error, or the
// commit's. do must only write through tx, with execIn or execRowsIn,
// and may run in another goroutine; ctx cancels it only while it waits
// to start. rows is how many step rows do writes (and so, at most,
// deletes: a run's live rows), which bounds what its savepoint holds.
func (s *Store) groupedTx(ctx context.Context, rows int, do func(ctx context.Context, tx *writeTx) error) error {
	return s.groupedWrite(ctx, &groupWrite{do: do, wake: make(chan bool, 1), rows: rows})
}

// groupedWrite is groupedTx of w, made with its wake channel.
func (s *Store) groupedWrite(ctx context.Context, w *groupWrite) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.groupWait(ctx, w, s.enqueue(w))
}

// enqueue queues w and reports whether its caller is to write the next
// batch (no other caller is writing one).
func (s *Store) enqueue(w *groupWrite) (lead bool) {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	g.queue = append(g.queue, w)
	if w.start != nil {
		if g.starts == nil {
			g.starts = map[string]*groupWrite{}
		}
		g.starts[w.start.ID] = w
	}
	lead = !g.leading
	g.leading = true
	if lead {
		w.woken = true
	}
	return lead
}

// groupWait waits for the batch of w, queued by enqueue, to be written,
// writing it when lead or woken to.
func (s *Store) groupWait(ctx context.Context, w *groupWrite, lead bool) error {
	g := &s.group
	if !lead && !<-w.wake {
		return w.err
	}
	// This caller writes the queue's first batch, which holds its own
	// write, then hands the rest on to the first caller still waiting.
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	for _, b := range batch {
		if b.start != nil {
			delete(g.starts, b.start.ID)
		}
	}
	g.mu.Unlock()
	s.writeGroup(context.WithoutCancel(ctx), batch)
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].woken = true
		g.queue[0].wake <- true
	} else {
		g.leading = false
		g.queue = nil
	}
	g.mu.Unlock()
	for _, o := range batch {
		if o != w {
			o.wake <- false
		}
	}
	return w.err
}

// takeStart takes a run's start out of the queue when it waits there
// still, and returns its run: the run's end is written in its place.
// A start already in a batch, or about to lead one, stays.
func (s *Store) takeStart(runID string) *Run {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	if run, ok := g.unwritten[runID]; ok {
		delete(g.unwritten, runID)
		return run
	}
	w := g.starts[runID]
	if w == nil || w.woken {
		return nil
	}
	delete(g.starts, runID)
	for i, q := range g.queue {
		if q == w {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			break
		}
	}
	w.wake <- false // err nil: the end records the run
	return w.start
}

// maxUnwritten bounds the starts kept for ends that failed: a caller may
// give an end up, and its start would stay for ever.
const maxUnwritten = 10000

// keepStart keeps a start taken by takeStart for the end's next try, the
// end having failed.
func (s *Store) keepStart(run *Run) {
	g := &s.group
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unwritten == nil {
		g.unwritten = map[string]*Run{}
	}
	if len(g.unwritten) >= maxUnwritten {
		return // ends given up by their caller leave theirs here; bounded
	}
	g.unwritten[run.ID] = run
}

// smallWrites reports whether the statement journals of batch may stay
// in memory (see beginDirect): a write alone has no savepoint, and its
// statements hold maxRows rows at most; in a batch, each write's
// savepoint holds the pages it changes, which its rows bound.
func smallWrites(batch []*groupWrite) bool {
	if len(batch) == 1 {
		return true
	}
	for _, w := range batch {
		if w.rows > maxRows {
			return false
		}
	}
	return true
}

// writeGroup writes a batch in one transaction, setting each write's err.
// A panic in a write fails the batch rather than leaving its other
// callers waiting for ever.
//
// The writes go in without a savepoint each first: a savepoint costs two
// statements and a copy of every page its write changes (its journal),
// about a tenth of what a scheduled run's history writes cost, to undo a
// write that almost never fails. When one does fail, the transaction is
// rolled back whole and the batch written again, each write in a
// savepoint (writeSaved), so that the failed one is undone alone: what
// is committed is the same either way.
func (s *Store) writeGroup(ctx context.Context, batch []*groupWrite) {
	defer func() {
		if v := recover(); v != nil {
			for _, w := range batch {
				w.err = fmt.Errorf("internal error while writing the history: %v", v)
			}
		}
	}()
	if len(batch) > 1 && s.writeUnsaved(ctx, batch) {
		return
	}
	for _, w := range batch {
		w.err = nil
	}
	s.writeSaved(ctx, batch)
}

// failBatch sets err as the outcome of each write of batch that has
// none.
func failBatch(batch []*groupWrite, err error) {
	for _, w := range batch {
		if w.err == nil {
			w.err = err
		}
	}
}

// writeUnsaved writes batch in one transaction without savepoints and
// reports whether it was committed: false when a write failed (the
// transaction is rolled back) and the batch is to be written again by
// writeSaved. The ends of runs that follow each other in batch go in
// together (writeFinishes). A transaction that
// cannot begin or commit is each write's error, as in writeSaved.
func (s *Store) writeUnsaved(ctx context.Context, batch []*groupWrite) bool {
	tx, err := s.beginDirect(ctx, smallWrites(batch))
	if err != nil {
		failBatch(batch, err)
		return true
	}
	defer tx.Rollback()
	if others, ends := apartEnds(batch); len(ends) > 1 {
		for _, w := range others {
			if err := w.do(ctx, tx); err != nil {
				return false
			}
		}
		if err := s.writeFinishes(ctx, tx, ends); err != nil {
			return false
		}
		failBatch(batch, tx.Commit())
		return true
	}
	for i := 0; i < len(batch); {
		if n := finishesFrom(batch[i:]); n > 1 {
			if err := s.writeFinishes(ctx, tx, batch[i:i+n]); err != nil {
				return false
			}
			i += n
			continue
		}
		if err := batch[i].do(ctx, tx); err != nil {
			return false
		}
		i++
	}
	failBatch(batch, tx.Commit())
	return true
}

// writeSaved writes batch in one transaction, each write of a batch of
// more than one inside a savepoint, so that one that fails is undone
// alone.
func (s *Store) writeSaved(ctx context.Context, batch []*groupWrite) {
	fail := func(err error) { failBatch(batch, err) }
	tx, err := s.beginDirect(ctx, smallWrites(batch))
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	if len(batch) == 1 {
		batch[0].err = batch[0].do(ctx, tx)
		if batch[0].err == nil {
			fail(tx.Commit())
		}
		return
	}
	for _, w := range batch {
		if _, err := execIn(ctx, tx, "SAVEPOINT w", nil); err != nil {
			fail(err)
			return
		}
		if w.err = w.do(ctx, tx); w.err != nil {
			if _, err := execIn(ctx, tx, "ROLLBACK TO w", nil); err != nil {
				fail(err)
				return
			}
		}
		if _, err := execIn(ctx, tx, "RELEASE w", nil); err != nil {
			fail(err)
			return
		}
	}
	fail(tx.Commit())
}
