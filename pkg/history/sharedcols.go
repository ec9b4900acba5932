package history

import (
	"math/bits"
	"slices"
	"sync"
)

// The SQLite driver binds each value of a statement on its own: a call
// into SQLite under the connection's mutex, and for text a copy into
// memory of its own, a second call after the statement to unbind it and
// a free. For a server's batch of executes that was a third of the
// history writer's CPU. Most of a batch's values repeat from one row to
// the next: the runs of an operation have their playbook, path, trigger,
// caller, status and empty columns alike, and their step rows their
// step, section, kind and op. A statement of many rows names such a
// column's value by one numbered parameter in every row (placeholders),
// bound once (bindRows): a batch of 128 executes binds 900 values
// instead of 4,400.

// sharable are, per statement of many rows, the columns whose values
// rows of a batch often share (a bit each, the first column's lowest):
// those that name what ran and how it ended, not the run's id or times,
// which a batch's rows never or only by chance share. A column that
// shares by chance in one batch and not the next would make a statement
// for each.
var sharable = map[string]uint64{
	// FinishedColumns, then dry_run: all but id, started_at,
	// finished_at and duration_ms.
	upsertFinishedRows:  columnBits(1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17),
	replaceFinishedRows: columnBits(1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17),
	// StepColumns: all but started_at and duration_ms; a run's rows
	// share its id.
	insertStepsQuery: columnBits(0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15),
	// The slots of one instant (ClaimSlots), one a playbook: all but
	// the playbook and, for a slot's record, the run it started.
	advanceQuery: columnBits(1),
	recordQuery:  columnBits(1, 2, 4, 5, 6),
	// SlotRunColumns: all but id, playbook and path.
	insertSlotRunsQuery: columnBits(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
}

// minSharedRows is the fewest rows a statement binds shared values for.
// The driver reads the name SQLite gives a numbered parameter into a new
// Go string each time it binds it: for the few rows of a run that ends
// alone that cost about what sharing saves.
const minSharedRows = 16

// maxSharedForms is how many sets of shared columns a statement of many
// rows is made for. Each set is a statement of its own, prepared on each
// connection for each size it is used at, and one of 256 rows takes about
// a megabyte of SQLite's memory; a batch whose set has no statement
// uses the largest set of it that has one, or none.
const maxSharedForms = 2

// sharedForms are the sets of shared columns statements were made for,
// per query, the first ones met.
type sharedForms struct {
	mu sync.Mutex
	m  map[string][]uint64
}

// forms are the Stores' sets of shared columns.
var forms sharedForms

// columns returns the columns of sharable[query] in which every row of
// args, cols values a row, holds the same value and that its statement
// binds once (placeholders); none below minSharedRows rows.
func (f *sharedForms) columns(query string, args []any, cols int) uint64 {
	can := sharable[query]
	if can == 0 || len(args) < minSharedRows*cols {
		return 0
	}
	var same uint64
	for m := can; m != 0; m &= m - 1 {
		c := bits.TrailingZeros64(m)
		v := args[c]
		shared := true
		for i := c + cols; i < len(args); i += cols {
			if !sameValue(v, args[i]) {
				shared = false
				break
			}
		}
		if shared {
			same |= 1 << c
		}
	}
	if same == 0 {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	known := f.m[query]
	if slices.Contains(known, same) {
		return same
	}
	if len(known) < maxSharedForms {
		if f.m == nil {
			f.m = map[string][]uint64{}
		}
		f.m[query] = append(known, same)
		return same
	}
	best := uint64(0)
	for _, k := range known {
		if k&same == k && bits.OnesCount64(k) > bits.OnesCount64(best) {
			best = k
		}
	}
	return best
}

// sameValue reports whether a and b are the same value of a row: of the
// same type and equal. Only the types rows hold are compared.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case int:
		y, ok := b.(int)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}
