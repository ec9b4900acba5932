package history

import "math/bits"

// Binding a statement's values is a large share of writing a batch of
// runs: database/sql converts each value, and the SQLite driver copies
// each string into memory of its own, binds it, and clears and frees it
// after the statement. An execute's rows hold half a dozen empty strings
// (no report path, no error), and those are bound as NULL,
// which costs none of that, into columns that read IFNULL(?, '') and so
// store the same empty text as before.

// textColumns are, for a statement of many rows (execRows), its columns
// whose values are always strings, a bit each (the first column's
// lowest): an empty one is bound as NULL and written as the empty text.
// A column that may take a NULL of its own (a slot, an item, a time) is
// never one.
var textColumns = map[string]uint64{
	// FinishedColumns, then dry_run: all but started_at, finished_at,
	// duration_ms, slot and dry_run.
	upsertFinishedRows:  columnBits(0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15),
	replaceFinishedRows: columnBits(0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15),
	// StepColumns: run_id, step_id, section, kind, op, status and
	// error_class.
	insertStepsQuery: columnBits(0, 1, 2, 3, 6, 7, 8),
}

func columnBits(cols ...int) uint64 {
	var m uint64
	for _, c := range cols {
		m |= 1 << c
	}
	return m
}

// emptyAsNull replaces the empty strings of args, rows of cols values, in
// the columns of text by nil.
func emptyAsNull(args []any, cols int, text uint64) {
	for row := 0; row+cols <= len(args); row += cols {
		for m := text; m != 0; m &= m - 1 {
			i := row + bits.TrailingZeros64(m)
			if s, ok := args[i].(string); ok && s == "" {
				args[i] = nil
			}
		}
	}
}
