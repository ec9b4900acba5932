package history

import "context"

// The ends of the runs of a batch (see writeGroup) go in together: a
// scheduler's runs that end together are recorded as a server's executes
// are (RecordFinished), their run rows in one statement, their live step
// rows deleted in another and their step rows from the reports in as few
// as they fill, instead of three statements a run. Statements cost more
// than the rows they write: binding a run's values one statement at a
// time, and SQLite stepping into each index for each statement, was most
// of what a scheduled run's history cost.

// finishWrite is what a run's end (RecordFinish) writes: its run row
// (finishedRow), its step rows (stepRows, stepValues a row) and the id
// whose live step rows it replaces.
type finishWrite struct {
	runID string
	row   []any
	steps []any
}

// groupedFinish is groupedTx of a run's end fin, which a batch may write
// with others (writeFinishes); do writes it alone, as a write that
// failed in a batch is written again.
func (s *Store) groupedFinish(ctx context.Context, fin *finishWrite, do func(ctx context.Context, tx *writeTx) error) error {
	return s.groupedWrite(ctx, &groupWrite{do: do, wake: make(chan bool, 1), rows: len(fin.steps) / stepValues, fin: fin, runID: fin.runID})
}

// deleteStepsOf deletes the step rows of the runs whose ids %s stands for,
// one value a row.
const deleteStepsOf = `DELETE FROM steps WHERE run_id IN (VALUES %s)`

// finishesFrom returns how many writes of batch, from its first, are
// runs' ends that may go in together: each of a run of its own, so that
// no end deletes the step rows another wrote.
func finishesFrom(batch []*groupWrite) int {
	n := 0
	for n < len(batch) && batch[n].fin != nil {
		for _, o := range batch[:n] {
			if o.fin.runID == batch[n].fin.runID {
				return n
			}
		}
		n++
	}
	return n
}

// writeFinishes writes the ends of ends, each of another run, in tx:
// their run rows, then the deletion of their live step rows, then their
// step rows, each in order. It writes what writing each end in turn
// (their do) writes; an error leaves tx to be rolled back.
func (s *Store) writeFinishes(ctx context.Context, tx *writeTx, ends []*groupWrite) error {
	// The values go in slices kept for the next batch: tx holds the
	// Store's write lock, and so these.
	b := &s.group.ends
	defer b.clear()
	for _, w := range ends {
		b.rows = append(b.rows, w.fin.row...)
		b.ids = append(b.ids, w.fin.runID)
		b.steps = append(b.steps, w.fin.steps...)
	}
	rows, ids, steps := b.rows, b.ids, b.steps
	if err := s.writeFinishedRows(ctx, tx, rows); err != nil {
		return err
	}
	if _, err := s.execRows(ctx, tx, deleteStepsOf, 1, ids); err != nil {
		return err
	}
	return s.insertSteps(ctx, tx, steps)
}

// apartEnds splits batch into its runs' ends and its other writes, each
// in order, when the ends may be written after the others: every write
// names its run (groupWrite.runID) and no end's run is written by
// another write of the batch, so that no row is written by two of them
// and the order between the two lists changes nothing. ends is nil
// otherwise.
func apartEnds(batch []*groupWrite) (others, ends []*groupWrite) {
	seen := make(map[string]bool, len(batch))
	for _, w := range batch {
		if w.runID == "" || seen[w.runID] {
			return nil, nil
		}
		seen[w.runID] = true
	}
	for _, w := range batch {
		if w.fin != nil {
			ends = append(ends, w)
		} else {
			others = append(others, w)
		}
	}
	return others, ends
}

// endValues are the values of the ends of a batch (writeFinishes), kept
// from one batch to the next.
type endValues struct{ rows, ids, steps []any }

// clear empties b, keeping no value alive until the next batch, nor
// the room of a batch of ends of many step rows (a large fan-out's).
func (b *endValues) clear() {
	clear(b.rows)
	clear(b.ids)
	clear(b.steps)
	b.rows, b.ids, b.steps = b.rows[:0], b.ids[:0], b.steps[:0]
	if cap(b.steps) > keptEndValues {
		b.steps = nil
	}
}

// keptEndValues bounds the step values endValues keeps: a batch of
// ends of maxRows step rows in all.
const keptEndValues = maxRows * stepValues
