package history

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// ClaimSlots records slots, in order and in one transaction, and reports
// for each whether it was recorded. A slot is refused when it was recorded
// before (the primary key of (playbook, slot)) or is not newer than the
// newest slot recorded for its playbook, so a slot is claimed at most once
// across restarts, processes sharing the state dir, and clock jumps; the
// slots of one playbook must come oldest first. A skipped, missed or failed
// slot also gets its run row.
//
// The scheduler starts none of a second's runs before that second's slots
// are recorded, so this is on the way from a slot to its runs, for a
// thousand slots at once. They go in statements of many rows, not one or
// three statements each. The k-th slot of every playbook goes in the k-th
// round, so that a statement never holds two slots of one playbook and
// each slot is checked against those of its playbook claimed before it,
// as if they were recorded one at a time.
func (s *Store) ClaimSlots(ctx context.Context, slots []Slot) ([]bool, error) {
	claimed := make([]bool, len(slots))
	if len(slots) == 0 {
		return claimed, nil
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("history: claim slots: %w", err)
	}
	defer tx.Rollback()
	// won holds, per playbook, the first and the newest slot this call
	// claimed; order lists the playbooks in the order of their first.
	won := map[string][2]int64{}
	var order []string
	for _, round := range slotRounds(slots) {
		round = slices.DeleteFunc(round, func(i int) bool {
			w, ok := won[slots[i].Playbook]
			return ok && ms(slots[i].Slot) <= w[1]
		})
		for part := range slices.Chunk(round, maxRows) {
			got, err := s.insertSlots(ctx, tx.Tx, slots, part)
			if err != nil {
				return nil, err
			}
			for _, i := range got {
				claimed[i] = true
				pb, slot := slots[i].Playbook, ms(slots[i].Slot)
				w, ok := won[pb]
				if !ok {
					w[0] = slot
					order = append(order, pb)
				}
				w[1] = slot
				won[pb] = w
			}
		}
	}
	if err := s.advanceSchedules(ctx, tx.Tx, order, won); err != nil {
		return nil, err
	}
	var runs []any
	for i, sl := range slots {
		if args, ok := SlotRunArgs(sl); ok && claimed[i] {
			runs = append(runs, args...)
		}
	}
	if err := s.insertSlotRuns(ctx, tx.Tx, runs); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("history: claim slots: %w", err)
	}
	return claimed, nil
}

// slotRounds groups the indexes of slots by rounds: the k-th slot of each
// playbook goes in the k-th round, and each round keeps the slots' order.
func slotRounds(slots []Slot) [][]int {
	seen := make(map[string]int, len(slots))
	var rounds [][]int
	for i, sl := range slots {
		k := seen[sl.Playbook]
		seen[sl.Playbook] = k + 1
		if k == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[k] = append(rounds[k], i)
	}
	return rounds
}

const insertSlotsQuery = `INSERT INTO schedule_slots (playbook, slot, outcome, run_id, blocked_by, message, decided_at)
	SELECT * FROM (VALUES %s) AS v
	WHERE v.column1 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM schedules WHERE playbook = v.column1 AND last_slot >= v.column2)
	ON CONFLICT DO NOTHING`

// insertSlots records the slots of part, at most one per playbook, each
// unless its playbook has a slot as new or newer already, and returns the
// indexes of those it recorded. Every slot is new but after a restart or
// when another process shares the history, so it records them all and
// counts; only when some were refused does it undo that and record them
// again learning which: reading a row back per slot (RETURNING) costs
// about as much as recording it.
func (s *Store) insertSlots(ctx context.Context, tx *sql.Tx, slots []Slot, part []int) ([]int, error) {
	args := make([]any, 0, len(part)*7)
	for _, i := range part {
		sl := slots[i]
		args = append(args, sl.Playbook, ms(sl.Slot), string(sl.Outcome), sl.RunID, sl.BlockedBy, sl.Message, ms(sl.At))
	}
	fail := func(err error) ([]int, error) {
		return nil, fmt.Errorf("history: claim %d slots: %w", len(part), err)
	}
	st, args, err := s.rowsStmt(ctx, tx, insertSlotsQuery, 7, args)
	if err != nil {
		return fail(err)
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT claim`); err != nil {
		return fail(err)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return fail(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == int64(len(part)) {
		if err == nil {
			_, err = tx.ExecContext(ctx, `RELEASE claim`)
		}
		if err != nil {
			return fail(err)
		}
		return part, nil
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO claim; RELEASE claim`); err != nil {
		return fail(err)
	}
	st, args, err = s.rowsStmt(ctx, tx, insertSlotsQuery+` RETURNING playbook`, 7, args)
	if err != nil {
		return fail(err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fail(err)
	}
	defer rows.Close()
	index := make(map[string]int, len(part))
	for _, i := range part {
		index[slots[i].Playbook] = i
	}
	got := make([]int, 0, len(part))
	for rows.Next() {
		var pb string
		if err := rows.Scan(&pb); err != nil {
			return fail(err)
		}
		i, ok := index[pb]
		if !ok {
			return fail(fmt.Errorf("recorded a slot of %q, which was not asked for", pb))
		}
		got = append(got, i)
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	return got, nil
}

const advanceSchedulesQuery = `INSERT INTO schedules (playbook, since, last_slot, fingerprint)
	SELECT column1, column2, column3, '' FROM (VALUES %s) WHERE column1 IS NOT NULL
	ON CONFLICT (playbook) DO UPDATE SET last_slot = MAX(COALESCE(last_slot, excluded.last_slot), excluded.last_slot)`

// advanceSchedules moves each playbook's newest slot on to the newest it
// won; a playbook the history has no schedule for yet gets one since its
// first slot won.
func (s *Store) advanceSchedules(ctx context.Context, tx *sql.Tx, order []string, won map[string][2]int64) error {
	for part := range slices.Chunk(order, maxRows) {
		args := make([]any, 0, len(part)*3)
		for _, pb := range part {
			w := won[pb]
			args = append(args, pb, w[0], w[1])
		}
		st, padded, err := s.rowsStmt(ctx, tx, advanceSchedulesQuery, 3, args)
		if err == nil {
			_, err = st.ExecContext(ctx, padded...)
		}
		if err != nil {
			return fmt.Errorf("history: claim slots of %d playbooks: %w", len(part), err)
		}
	}
	return nil
}

const insertSlotRunsQuery = `INSERT INTO runs (` + SlotRunColumns + `) SELECT * FROM (VALUES %s) WHERE column1 IS NOT NULL`

// insertSlotRuns writes the run rows of slots that did not become runs:
// args holds the SlotRunArgs of each, one after the other.
func (s *Store) insertSlotRuns(ctx context.Context, tx *sql.Tx, args []any) error {
	const cols = 14
	for part := range slices.Chunk(args, maxRows*cols) {
		st, padded, err := s.rowsStmt(ctx, tx, insertSlotRunsQuery, cols, part)
		if err == nil {
			_, err = st.ExecContext(ctx, padded...)
		}
		if err != nil {
			return fmt.Errorf("history: record %d slots that did not run: %w", len(part)/cols, err)
		}
	}
	return nil
}

// statementRows are the numbers of rows of the statements that claim
// slots. A statement of a thousand values takes SQLite longer to parse
// than to run, so each size is prepared once per Store, and a part of n
// rows goes in the smallest that holds it, its other rows NULL; the
// statements skip those. maxRows is the largest; its rows of 14 values
// stay well under SQLite's 32,766 values a statement.
var statementRows = [...]int{4, 16, 64, maxRows}

const maxRows = 256

// rowsStmt returns the statement of query, whose %s stands for rows of
// cols values, with room for the rows of args, and args padded to fill
// it.
func (s *Store) rowsStmt(ctx context.Context, tx *sql.Tx, query string, cols int, args []any) (*sql.Stmt, []any, error) {
	n := len(args) / cols
	size := maxRows
	for _, r := range statementRows {
		if r >= n {
			size = r
			break
		}
	}
	st, err := s.inTx(ctx, tx, fmt.Sprintf(query, placeholders(size, cols)))
	if err != nil {
		return nil, nil, err
	}
	return st, append(args, make([]any, (size-n)*cols)...), nil
}

// placeholders returns n rows of cols parameters each: "(?, ?), (?, ?)".
func placeholders(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}
