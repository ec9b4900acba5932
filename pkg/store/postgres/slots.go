package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TrackSchedules records the loaded schedules and returns each one's
// cursor; see history.Store.TrackSchedules.
func (s *Store) TrackSchedules(ctx context.Context, now time.Time, refs []history.ScheduleRef) (map[string]history.Cursor, error) {
	out := make(map[string]history.Cursor, len(refs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, ref := range refs {
			// The row is created or its fingerprint changed in one
			// statement, so two processes loading at once agree.
			var since int64
			var last *int64
			err := tx.QueryRow(ctx, `INSERT INTO schedules (playbook, fingerprint, since) VALUES ($1, $2, $3)
				ON CONFLICT (playbook) DO UPDATE SET
					since = CASE WHEN schedules.fingerprint = excluded.fingerprint THEN schedules.since ELSE excluded.since END,
					fingerprint = excluded.fingerprint
				RETURNING since, last_slot`, ref.Playbook, ref.Fingerprint, ms(now)).Scan(&since, &last)
			if err != nil {
				return fmt.Errorf("track schedule of %s: %w", ref.Playbook, err)
			}
			c := history.Cursor{Since: fromMS(since)}
			if last != nil {
				c.Last = fromMS(*last)
			}
			out[ref.Playbook] = c
		}
		// Those no longer loaded (see history.Store.TrackSchedules).
		names := make([]string, len(refs))
		for i, r := range refs {
			names[i] = r.Playbook
		}
		if _, err := tx.Exec(ctx, `UPDATE schedules SET fingerprint = '' WHERE fingerprint <> '' AND NOT (playbook = ANY($1))`, names); err != nil {
			return fmt.Errorf("track schedules: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("track schedules", err)
	}
	return out, nil
}

// ClaimSlots records slots in one transaction and reports for each
// whether it was claimed: a slot is refused when any process recorded it
// before (the primary key of (playbook, slot)) or it is not newer than
// the newest slot of its playbook; see history.Store.ClaimSlots.
//
// The slots go to the database as one pipeline, a statement each, which
// records the slot, moves its playbook's newest slot and writes its run
// row only when the slot was claimed: one round trip for the batch, not
// three a slot. On a loaded machine each round trip waits for both
// processes to be scheduled, and a second of a hundred playbooks took the
// scheduler seconds to record, during which it decided nothing.
func (s *Store) ClaimSlots(ctx context.Context, slots []history.Slot) ([]bool, error) {
	claimed := make([]bool, len(slots))
	if len(slots) == 0 {
		return claimed, nil
	}
	b := &pgx.Batch{}
	for _, sl := range slots {
		args := []any{sl.Playbook, ms(sl.Slot), string(sl.Outcome), sl.RunID, sl.BlockedBy, history.ErrorText(sl.Message), ms(sl.At)}
		q := claimSlotQuery
		if run, ok := history.SlotRunArgs(sl); ok {
			q, args = claimSlotRunQuery, append(args, run...)
		}
		b.Queue(q, args...)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		clear(claimed)
		br := tx.SendBatch(ctx, b)
		for i, sl := range slots {
			var n int
			if err := br.QueryRow().Scan(&n); err != nil {
				br.Close()
				return fmt.Errorf("claim slot %s of %s: %w", sl.Slot.Format(time.RFC3339), sl.Playbook, err)
			}
			claimed[i] = n == 1
		}
		return br.Close()
	})
	if err != nil {
		return nil, s.wrap("claim slots", err)
	}
	return claimed, nil
}

// claimSlotQuery claims one slot ($1 to $7: playbook, slot, outcome,
// run_id, blocked_by, message, decided_at) and, when it did, moves its
// playbook's newest slot; it returns how many it claimed, 0 or 1.
// claimSlotRunQuery writes the slot's run row too ($8 on: SlotRunArgs).
const (
	claimSlotCTE = `WITH claimed AS (
		INSERT INTO schedule_slots (playbook, slot, outcome, run_id, blocked_by, message, decided_at)
		SELECT $1, $2, $3, $4, $5, $6, $7
		WHERE NOT EXISTS (SELECT 1 FROM schedules WHERE playbook = $1 AND last_slot >= $2)
		ON CONFLICT DO NOTHING RETURNING 1),
	tracked AS (
		INSERT INTO schedules (playbook, fingerprint, since, last_slot) SELECT $1, '', $2, $2 FROM claimed
		ON CONFLICT (playbook) DO UPDATE SET last_slot = GREATEST(COALESCE(schedules.last_slot, excluded.last_slot), excluded.last_slot))`
	claimSlotQuery    = claimSlotCTE + ` SELECT count(*) FROM claimed`
	claimSlotRunQuery = claimSlotCTE + `, ran AS (
		INSERT INTO runs (` + history.SlotRunColumns + `)
		SELECT $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21 FROM claimed)
	SELECT count(*) FROM claimed`
)

// SettleSlot records the later outcome of a claimed slot; for a
// BlockerStarting slot it only names the run that blocked it. See
// history.Store.SettleSlot.
func (s *Store) SettleSlot(ctx context.Context, sl history.Slot) error {
	if sl.BlockerStarting {
		return s.nameBlocker(ctx, sl)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE schedule_slots SET outcome = $1, run_id = $2, blocked_by = $3, message = $4, decided_at = $5
			WHERE playbook = $6 AND slot = $7`,
			string(sl.Outcome), sl.RunID, sl.BlockedBy, history.ErrorText(sl.Message), ms(sl.At), sl.Playbook, ms(sl.Slot))
		if err != nil {
			return fmt.Errorf("settle slot of %s: %w", sl.Playbook, err)
		}
		if tag.RowsAffected() != 1 {
			return errNeverClaimed
		}
		return insertSlotRun(ctx, tx, sl)
	})
	if errors.Is(err, errNeverClaimed) {
		return fmt.Errorf("postgres: settle slot %s of %s: the slot was never claimed", sl.Slot.Format(time.RFC3339), sl.Playbook)
	}
	if err != nil {
		return s.wrap("settle slot", err)
	}
	return nil
}

var errNeverClaimed = errors.New("never claimed")

// nameBlocker is SettleSlot of a BlockerStarting slot: it names the run
// the slot was skipped behind in its record and in the run row its claim
// wrote, where they name none yet. Filling in only what is empty, it is
// tried again while the database is away.
func (s *Store) nameBlocker(ctx context.Context, sl history.Slot) error {
	err := s.retry(ctx, func() error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `UPDATE schedule_slots SET blocked_by = CASE WHEN blocked_by = '' THEN $1 ELSE blocked_by END
				WHERE playbook = $2 AND slot = $3 AND outcome = 'skipped'`, sl.BlockedBy, sl.Playbook, ms(sl.Slot))
			if err != nil {
				return fmt.Errorf("name the run blocking a slot of %s: %w", sl.Playbook, err)
			}
			if tag.RowsAffected() != 1 {
				return errNeverClaimed
			}
			if _, err := tx.Exec(ctx, `UPDATE runs SET blocked_by = $1
				WHERE playbook = $2 AND started_at = $3 AND slot = $4 AND triggered_by = 'schedule' AND status = 'skipped' AND blocked_by = ''`,
				sl.BlockedBy, sl.Playbook, ms(sl.At), ms(sl.Slot)); err != nil {
				return fmt.Errorf("name the run blocking a slot of %s: %w", sl.Playbook, err)
			}
			return nil
		})
	})
	if errors.Is(err, errNeverClaimed) {
		return fmt.Errorf("postgres: name the run blocking slot %s of %s: the slot was never claimed skipped", sl.Slot.Format(time.RFC3339), sl.Playbook)
	}
	if err != nil {
		return s.wrap("name the run blocking a slot", err)
	}
	return nil
}

func insertSlotRun(ctx context.Context, tx pgx.Tx, sl history.Slot) error {
	args, ok := history.SlotRunArgs(sl)
	if !ok {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO runs (`+history.SlotRunColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, args...); err != nil {
		return fmt.Errorf("record %s slot of %s: %w", sl.Outcome, sl.Playbook, err)
	}
	return nil
}

// Slots returns the recorded slots of a playbook at or after since,
// oldest first, at most limit (0: all).
func (s *Store) Slots(ctx context.Context, playbook string, since time.Time, limit int) ([]history.Slot, error) {
	q := `SELECT slot, outcome, run_id, blocked_by, message, decided_at FROM schedule_slots
		WHERE playbook = $1 AND slot >= $2 ORDER BY slot`
	args := []any{playbook, ms(since)}
	if limit > 0 {
		q += " LIMIT $3"
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("slots of "+playbook, err)
	}
	defer rows.Close()
	out := []history.Slot{}
	for rows.Next() {
		sl := history.Slot{Playbook: playbook}
		var slot, at int64
		var outcome string
		if err := rows.Scan(&slot, &outcome, &sl.RunID, &sl.BlockedBy, &sl.Message, &at); err != nil {
			return nil, s.wrap("slots of "+playbook, err)
		}
		sl.Slot, sl.Outcome, sl.At = fromMS(slot), history.SlotOutcome(outcome), fromMS(at)
		out = append(out, sl)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("slots of "+playbook, err)
	}
	return out, nil
}

// PruneSlots deletes the records of slots before `before`; the newest
// slot of each playbook stays remembered in schedules.
//
// The run rows of skipped and missed slots decided before `before` go
// with them, as in the SQLite store (history.Store.PruneSlots): they are
// not runs, and Prune leaves them alone. As there, the rows go in batches,
// each its own transaction, so that a backlog too big for one prune's time
// still goes down: what a prune deleted stays deleted when ctx ends.
func (s *Store) PruneSlots(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM schedule_slots WHERE (slot, playbook) IN
			(SELECT slot, playbook FROM schedule_slots WHERE slot < $1 ORDER BY slot LIMIT $2)`, ms(before), pruneBatch)
		if err != nil {
			return total, s.wrap("prune slots", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			break
		}
	}
	// A moving floor passes over the real runs among the rows once.
	var floor int64 = math.MinInt64
	for {
		var last *int64
		if err := s.pool.QueryRow(ctx, `SELECT max(started_at) FROM (SELECT started_at FROM runs
			WHERE triggered_by = 'schedule' AND started_at >= $1 AND started_at < $2 AND status IN ($3, $4)
			ORDER BY started_at LIMIT $5) r`, floor, ms(before), string(report.StatusSkipped), string(history.StatusMissed), pruneBatch).Scan(&last); err != nil {
			return total, s.wrap("prune the run rows of old slots", err)
		}
		if last == nil {
			return total, nil
		}
		if _, err := s.pool.Exec(ctx, `DELETE FROM runs WHERE triggered_by = 'schedule' AND started_at >= $1 AND started_at <= $2 AND status IN ($3, $4)`,
			floor, *last, string(report.StatusSkipped), string(history.StatusMissed)); err != nil {
			return total, s.wrap("prune the run rows of old slots", err)
		}
		floor = *last + 1
	}
}

// pruneBatch is how many rows one statement of PruneSlots deletes at most,
// give or take the run rows sharing a start time.
const pruneBatch = 2000

// PauseSchedule pauses p.Playbook's schedule; see
// history.Store.PauseSchedule. Pausing a paused schedule changes nothing
// and returns the pause that holds, with false.
func (s *Store) PauseSchedule(ctx context.Context, p history.Pause) (history.Pause, bool, error) {
	if p.At.IsZero() {
		p.At = s.now()
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO schedule_pauses (playbook, paused_by, paused_at, path) VALUES ($1, $2, $3, $4)
		ON CONFLICT (playbook) DO NOTHING`, p.Playbook, p.By, ms(p.At), p.Path)
	if err != nil {
		return history.Pause{}, false, s.wrap("pause "+p.Playbook, err)
	}
	if tag.RowsAffected() == 1 {
		p.At = fromMS(ms(p.At))
		return p, true, nil
	}
	held, ok, err := s.pauseOf(ctx, p.Playbook)
	if err == nil && !ok {
		return s.PauseSchedule(ctx, p) // resumed between the two statements
	}
	return held, false, err
}

// ResumeSchedule resumes playbook's schedule and returns the pause it
// ended; history.ErrNotPaused when there was none.
func (s *Store) ResumeSchedule(ctx context.Context, playbook string) (history.Pause, error) {
	p := history.Pause{Playbook: playbook}
	var at int64
	err := s.pool.QueryRow(ctx, `DELETE FROM schedule_pauses WHERE playbook = $1 RETURNING paused_by, paused_at, path`, playbook).Scan(&p.By, &at, &p.Path)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return history.Pause{}, history.ErrNotPaused
	case err != nil:
		return history.Pause{}, s.wrap("resume "+playbook, err)
	}
	p.At = fromMS(at)
	return p, nil
}

func (s *Store) pauseOf(ctx context.Context, playbook string) (history.Pause, bool, error) {
	p := history.Pause{Playbook: playbook}
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT paused_by, paused_at, path FROM schedule_pauses WHERE playbook = $1`, playbook).Scan(&p.By, &at, &p.Path)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return history.Pause{}, false, nil
	case err != nil:
		return history.Pause{}, false, s.wrap("pause of "+playbook, err)
	}
	p.At = fromMS(at)
	return p, true, nil
}

// Pauses returns the paused schedules by playbook.
func (s *Store) Pauses(ctx context.Context) (map[string]history.Pause, error) {
	rows, err := s.pool.Query(ctx, `SELECT playbook, paused_by, paused_at, path FROM schedule_pauses`)
	if err != nil {
		return nil, s.wrap("paused schedules", err)
	}
	defer rows.Close()
	out := map[string]history.Pause{}
	for rows.Next() {
		var p history.Pause
		var at int64
		if err := rows.Scan(&p.Playbook, &p.By, &at, &p.Path); err != nil {
			return nil, s.wrap("paused schedules", err)
		}
		p.At = fromMS(at)
		out[p.Playbook] = p
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("paused schedules", err)
	}
	return out, nil
}
