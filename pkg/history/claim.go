package history

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ClaimSlots records slots, in order and in one transaction, and reports
// for each whether it was recorded. A slot is refused when it was recorded
// before (the primary key of (playbook, slot)) or is not newer than the
// newest slot recorded for its playbook, so a slot is claimed at most once
// across restarts, processes sharing the state dir, and clock jumps; the
// slots of one playbook must come oldest first. A skipped, missed or failed
// slot also gets its run row, in the same transaction, so that no slot is
// ever claimed without one.
//
// The scheduler starts none of an instant's runs before all of that
// instant's slots are recorded, a thousand of them for a thousand
// playbooks firing each second, so the slots go in statements of many
// rows rather than in a few statements each. The k-th slot of every
// playbook goes in the k-th round of statements: no statement holds two
// slots of one playbook, and each slot is checked against those of its
// playbook claimed before it, as when they were recorded one at a time.
func (s *Store) ClaimSlots(ctx context.Context, slots []Slot) (_ []bool, err error) {
	defer func() { err = s.fullError(err) }()
	claimed := make([]bool, len(slots))
	if len(slots) == 0 {
		return claimed, nil
	}
	// A slot claimed now would fire a run whose report has nowhere to go.
	if err := s.CheckDir(); err != nil {
		return nil, err
	}
	// Its statements' journals stay in memory: they hold maxRows
	// slots at most, or their run rows (see beginDirect).
	tx, err := s.beginWriteIn(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("history: claim slots: %w", err)
	}
	defer tx.Rollback()
	for _, round := range slotRounds(slots) {
		for part := range slices.Chunk(round, maxRows) {
			got, err := s.claimPart(ctx, tx, slots, part)
			if err != nil {
				return nil, err
			}
			for _, i := range got {
				claimed[i] = true
			}
		}
	}
	var runs []any
	for i, sl := range slots {
		if args, ok := SlotRunArgs(sl); ok && claimed[i] {
			runs = append(runs, args...)
		}
	}
	if _, err := s.execRows(ctx, tx, insertSlotRunsQuery, slotRunValues, runs); err != nil {
		return nil, fmt.Errorf("history: record %d slots that did not run: %w", len(runs)/slotRunValues, err)
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

// The statements that claim slots; %s stands for their rows of values
// (WHERE true lets SQLite tell an upsert's ON CONFLICT from a join). A
// playbook's row in schedules holds its newest slot claimed; a playbook
// that has none yet gets one, since its first slot claimed.
const (
	// advanceQuery moves each playbook's newest slot on to the given
	// one when that is newer, and counts it then.
	advanceQuery = `INSERT INTO schedules (playbook, since, last_slot, fingerprint)
		SELECT column1, column2, column2, '' FROM (VALUES %s) WHERE true
		ON CONFLICT (playbook) DO UPDATE SET last_slot = excluded.last_slot
		WHERE last_slot IS NULL OR last_slot < excluded.last_slot`
	// recordQuery records the slots not recorded before.
	recordQuery = `INSERT INTO schedule_slots (playbook, slot, outcome, run_id, blocked_by, message, decided_at)
		SELECT * FROM (VALUES %s) WHERE true
		ON CONFLICT DO NOTHING`
	// claimQuery records the slots not recorded before that are newer
	// than their playbook's newest, and returns their playbooks.
	claimQuery = `INSERT INTO schedule_slots (playbook, slot, outcome, run_id, blocked_by, message, decided_at)
		SELECT * FROM (VALUES %s) AS v
		WHERE NOT EXISTS (SELECT 1 FROM schedules WHERE playbook = v.column1 AND last_slot >= v.column2)
		ON CONFLICT DO NOTHING RETURNING playbook`
	// insertSlotRunsQuery writes the run rows of slots that did not run.
	insertSlotRunsQuery = `INSERT INTO runs (` + SlotRunColumns + `) VALUES %s`
	slotRunValues       = 14 // the values of a row of SlotRunArgs
)

// claimPart claims the slots of part, at most one per playbook, and
// returns the indexes of those it claimed. Every slot is new but after a
// restart or when another process shares the history, so it first moves
// each playbook's newest slot on and records the slots, counting: when
// every slot passed both, all are claimed. Otherwise it undoes that and
// claims them again learning which, as reading a row back per slot
// (RETURNING) costs about as much as recording it.
func (s *Store) claimPart(ctx context.Context, tx *writeTx, slots []Slot, part []int) ([]int, error) {
	fail := func(err error) ([]int, error) {
		return nil, fmt.Errorf("history: claim %d slots: %w", len(part), err)
	}
	newest := make([]any, 0, len(part)*2)
	records := make([]any, 0, len(part)*7)
	var at any
	var atMS int64
	for _, i := range part {
		sl := slots[i]
		// Each value boxed once, and the decision time, which a batch's
		// slots share, once a batch: a value in an interface is an
		// allocation, and a thousand slots an instant made six thousand.
		pb, slot := any(sl.Playbook), any(ms(sl.Slot))
		if t := ms(sl.At); at == nil || t != atMS {
			at, atMS = t, t
		}
		newest = append(newest, pb, slot)
		records = append(records, pb, slot, outcomeValue(sl.Outcome), sl.RunID, sl.BlockedBy, ErrorText(sl.Message), at)
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT claim`); err != nil {
		return fail(err)
	}
	n, err := s.execRows(ctx, tx, advanceQuery, 2, newest)
	if err == nil && n == int64(len(part)) {
		n, err = s.execRows(ctx, tx, recordQuery, 7, records)
	}
	if err != nil {
		return fail(err)
	}
	if n == int64(len(part)) {
		if _, err := tx.ExecContext(ctx, `RELEASE claim`); err != nil {
			return fail(err)
		}
		return part, nil
	}

	if _, err := tx.ExecContext(ctx, `ROLLBACK TO claim; RELEASE claim`); err != nil {
		return fail(err)
	}
	index := make(map[string]int, len(part))
	for _, i := range part {
		index[slots[i].Playbook] = i
	}
	var got []int
	newest = newest[:0]
	err = s.eachRows(ctx, tx.Tx, claimQuery, 7, records, func(st *sql.Stmt, args []any) error {
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var pb string
			if err := rows.Scan(&pb); err != nil {
				return err
			}
			i, ok := index[pb]
			if !ok {
				return fmt.Errorf("recorded a slot of %q, which was not asked for", pb)
			}
			got = append(got, i)
			newest = append(newest, pb, ms(slots[i].Slot))
		}
		return rows.Err()
	})
	if err != nil {
		return fail(err)
	}
	if _, err := s.execRows(ctx, tx, advanceQuery, 2, newest); err != nil {
		return fail(err)
	}
	return got, nil
}

// outcomeValues are the outcomes as statement values, boxed once.
var outcomeValues = map[SlotOutcome]any{
	SlotFired: string(SlotFired), SlotQueued: string(SlotQueued), SlotSkipped: string(SlotSkipped),
	SlotMissed: string(SlotMissed), SlotFailed: string(SlotFailed),
}

// outcomeValue is o as a statement value.
func outcomeValue(o SlotOutcome) any {
	if v, ok := outcomeValues[o]; ok {
		return v
	}
	return string(o)
}

// maxRows is the most rows a statement of many rows holds: its rows of
// 15 values stay well under SQLite's 32,766 values a statement.
const maxRows = 256

// eachRows calls do, in order, with each statement of query for the rows
// of args (cols values each) and its share of them. The statements hold a
// power of two rows up to maxRows (rowsIn), each size prepared once per
// Store (a statement of a thousand values takes SQLite longer to parse
// than to run), so n rows take at most log2(n)+1 statements beyond every
// maxRows, and none is padded.
func (s *Store) eachRows(ctx context.Context, tx *sql.Tx, query string, cols int, args []any, do func(st *sql.Stmt, args []any) error) error {
	for len(args) > 0 {
		n := rowsIn(len(args), cols)
		st, err := s.inTx(ctx, tx, rowsQuery(query, n, cols, 0))
		if err != nil {
			return err
		}
		if err := do(st, args[:n*cols]); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

// rowsIn is how many rows of cols values the next statement of a write
// of many rows holds, for values values left: the largest power of two
// up to maxRows that they fill.
func rowsIn(values, cols int) int {
	n := maxRows
	for n*cols > values {
		n /= 2
	}
	return n
}

// execRows runs query for the rows of args, cols values each, in
// statements as eachRows makes them, each bound through the connection's
// own statement (execIn), and returns how many rows it changed. The
// values a statement's rows share in a column are bound once (see
// sharedForms).
func (s *Store) execRows(ctx context.Context, tx *writeTx, query string, cols int, args []any) (int64, error) {
	emptyAsNull(args, cols, textColumns[query])
	var changed int64
	for len(args) > 0 {
		n := rowsIn(len(args), cols)
		shared := forms.columns(query, args[:n*cols], cols)
		c, err := execRowsIn(ctx, tx, rowsQuery(query, n, cols, shared), args[:n*cols], cols, shared)
		if err != nil {
			return changed, err
		}
		changed += c
		args = args[n*cols:]
	}
	return changed, nil
}

// rowsQueries holds query with its %s filled for n rows of cols values,
// built once: a statement of 256 rows is a long string to build and hash.
var rowsQueries sync.Map // rowsKey → string

type rowsKey struct {
	query        string
	n, cols      int
	text, shared uint64 // textColumns[query]; see placeholders
}

func rowsQuery(query string, n, cols int, shared uint64) string {
	k := rowsKey{query, n, cols, textColumns[query], shared}
	if q, ok := rowsQueries.Load(k); ok {
		return q.(string)
	}
	q := fmt.Sprintf(query, placeholders(n, cols, k.text, shared))
	rowsQueries.Store(k, q)
	return q
}

// placeholders returns n rows of cols parameters each: "(?, ?), (?,
// ?)". The columns of text (a bit each, the first column's lowest) read
// IFNULL(?, <the empty text>), as emptyAsNull binds their empty strings.
// The columns of shared name the first row's parameter in every row
// after it ("(?, ?), (?1, ?)"), as bindRows binds their values once; a
// plain "?" is numbered one past the largest number before it, so the
// others' follow row by row. The numbered ones are named in SQLite,
// which the driver reads into a Go string each time it binds them: they
// are the fewest that share.
func placeholders(n, cols int, text, shared uint64) string {
	var b strings.Builder
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			p := "?"
			if r > 0 && shared&(1<<c) != 0 {
				p = "?" + strconv.Itoa(c+1)
			}
			if text&(1<<c) != 0 {
				p = "IFNULL(" + p + ", '')"
			}
			b.WriteString(p)
		}
		b.WriteByte(')')
	}
	return b.String()
}
