package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// Trigger says what started a run.
type Trigger string

// The triggers of a run.
const (
	TriggerCLI      Trigger = "cli"      // arsenal-run run
	TriggerSchedule Trigger = "schedule" // the scheduler, for a slot
	TriggerAPI      Trigger = "api"      // the REST API
)

// Triggers lists every trigger, for flags and validation.
var Triggers = []Trigger{TriggerCLI, TriggerSchedule, TriggerAPI}

// StatusMissed is the history status of a slot the scheduler did not fire
// because it came too late: the scheduler was down or the machine
// suspended, and the schedule's catch-up rule let the slot go. A slot
// skipped by the overlap policy has report.StatusSkipped.
const StatusMissed report.Status = "missed"

// SlotOutcome is what the scheduler decided for one slot.
type SlotOutcome string

// The outcomes of a slot. Only fired slots become runs; the others get a
// run row of their own, with the status the outcome names, so that
// `history` shows them among the runs.
const (
	SlotFired   SlotOutcome = "fired"   // a run was started for it
	SlotQueued  SlotOutcome = "queued"  // it waits for the running run (overlap queue or replace)
	SlotSkipped SlotOutcome = "skipped" // the overlap policy let it go
	SlotMissed  SlotOutcome = "missed"  // it came too late, or the scheduler stopped while it waited
	SlotFailed  SlotOutcome = "failed"  // the run could not be started
)

// Slot is the record of one slot of one playbook.
type Slot struct {
	Playbook  string
	Path      string // the playbook's file, for the run row of a slot that did not run
	SHA256    string
	Slot      time.Time // the slot, before jitter
	Outcome   SlotOutcome
	RunID     string    // fired: the run, once known
	BlockedBy string    // skipped or queued: the run that was still running
	Message   string    // why, in a sentence
	At        time.Time // when it was decided
	// BlockerStarting marks a slot skipped behind a run that was still
	// starting, so had no id yet. It is claimed, with its run row, naming
	// no run; once the run has an id, SettleSlot of it, with BlockedBy
	// the id, names the run in its record and run row where they name
	// none yet, and changes nothing else.
	BlockerStarting bool
}

// ScheduleRef names one playbook's schedule for TrackSchedules.
type ScheduleRef struct {
	Playbook    string
	Fingerprint string // changes whenever the schedule's slots change
}

// Cursor is what the history remembers of one playbook's schedule.
type Cursor struct {
	Since time.Time // when the playbook first had this schedule
	Last  time.Time // the newest slot decided; zero when none
}

// TrackSchedules records the schedules the scheduler has loaded and
// returns each one's cursor. refs are all the scheduler loads: the others
// are marked not loaded (forgetUnloaded). A playbook seen for the first
// time, whose fingerprint changed, or added back after it was not loaded,
// gets Since = now: its slots before now are not
// missed, they belong to another schedule, so editing a schedule never
// fires retroactively. Last is kept across edits, so a slot already decided
// never fires again.
func (s *Store) TrackSchedules(ctx context.Context, now time.Time, refs []ScheduleRef) (_ map[string]Cursor, err error) {
	defer func() { err = s.fullError(err) }()
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("history: track schedules: %w", err)
	}
	defer tx.Rollback()
	out := make(map[string]Cursor, len(refs))
	for _, ref := range refs {
		var fp string
		var since int64
		var last sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT fingerprint, since, last_slot FROM schedules WHERE playbook = ?`, ref.Playbook).Scan(&fp, &since, &last)
		switch {
		case err == sql.ErrNoRows:
			_, err = tx.ExecContext(ctx, `INSERT INTO schedules (playbook, fingerprint, since) VALUES (?, ?, ?)`, ref.Playbook, ref.Fingerprint, ms(now))
			since = ms(now)
		case err == nil && fp != ref.Fingerprint:
			_, err = tx.ExecContext(ctx, `UPDATE schedules SET fingerprint = ?, since = ? WHERE playbook = ?`, ref.Fingerprint, ms(now), ref.Playbook)
			since = ms(now)
		}
		if err != nil {
			return nil, fmt.Errorf("history: track schedule of %s: %w", ref.Playbook, err)
		}
		c := Cursor{Since: fromMS(since)}
		if last.Valid {
			c.Last = fromMS(last.Int64)
		}
		out[ref.Playbook] = c
	}
	if err := forgetUnloaded(ctx, tx.Tx, refs); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("history: track schedules: %w", err)
	}
	return out, nil
}

// forgetUnloaded marks the schedules of playbooks the scheduler no longer
// loads, left out by a reload or a restart, as not loaded (an empty
// fingerprint): one added back later is then taken as a changed schedule,
// from the moment it is back, so the slots while it was out are neither
// recorded missed nor caught up, as if nothing had run them.
func forgetUnloaded(ctx context.Context, tx *sql.Tx, refs []ScheduleRef) error {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Playbook
	}
	list, err := json.Marshal(names)
	if err != nil {
		return fmt.Errorf("history: track schedules: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schedules SET fingerprint = '' WHERE fingerprint != '' AND playbook NOT IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
		return fmt.Errorf("history: track schedules: %w", err)
	}
	return nil
}

// SettleSlot records the later outcome of a claimed slot: a queued slot
// that fired, or was let go, or a fired one whose run could not start. A
// skipped, missed or failed slot also gets its run row. For a
// BlockerStarting slot it only names the run that blocked it (see
// Slot.BlockerStarting); that may be tried again, as it fills in only what
// is still empty.
func (s *Store) SettleSlot(ctx context.Context, sl Slot) (err error) {
	defer func() { err = s.fullError(err) }()
	if sl.BlockerStarting {
		return s.nameBlocker(ctx, sl)
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("history: settle slot: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE schedule_slots SET outcome = ?, run_id = ?, blocked_by = ?, message = ?, decided_at = ?
		WHERE playbook = ? AND slot = ?`,
		string(sl.Outcome), sl.RunID, sl.BlockedBy, ErrorText(sl.Message), ms(sl.At), sl.Playbook, ms(sl.Slot))
	if err != nil {
		return fmt.Errorf("history: settle slot of %s: %w", sl.Playbook, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("history: settle slot %s of %s: the slot was never claimed", sl.Slot.Format(time.RFC3339), sl.Playbook)
	}
	if err := insertSlotRun(ctx, tx.Tx, sl); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: settle slot: %w", err)
	}
	return nil
}

// The statements that name the run a BlockerStarting slot was skipped
// behind, in its record and in the run row its claim wrote (found by its
// playbook, decision time and slot), where they name none yet.
const (
	nameBlockerSlotQuery = `UPDATE schedule_slots SET blocked_by = CASE WHEN blocked_by = '' THEN ? ELSE blocked_by END
		WHERE playbook = ? AND slot = ? AND outcome = 'skipped'`
	nameBlockerRunQuery = `UPDATE runs SET blocked_by = ?
		WHERE playbook = ? AND started_at = ? AND slot = ? AND triggered_by = 'schedule' AND status = 'skipped' AND blocked_by = ''`
)

// nameBlocker is SettleSlot of a BlockerStarting slot.
func (s *Store) nameBlocker(ctx context.Context, sl Slot) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("history: name the run blocking a slot: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, nameBlockerSlotQuery, sl.BlockedBy, sl.Playbook, ms(sl.Slot))
	if err != nil {
		return fmt.Errorf("history: name the run blocking a slot of %s: %w", sl.Playbook, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("history: name the run blocking slot %s of %s: the slot was never claimed skipped", sl.Slot.Format(time.RFC3339), sl.Playbook)
	}
	if _, err := tx.ExecContext(ctx, nameBlockerRunQuery, sl.BlockedBy, sl.Playbook, ms(sl.At), ms(sl.Slot)); err != nil {
		return fmt.Errorf("history: name the run blocking a slot of %s: %w", sl.Playbook, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: name the run blocking a slot: %w", err)
	}
	return nil
}

// insertSlotRun writes the run row of a slot that did not become a run.
func insertSlotRun(ctx context.Context, tx *sql.Tx, sl Slot) error {
	args, ok := SlotRunArgs(sl)
	if !ok {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO runs (`+SlotRunColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("history: record %s slot of %s: %w", sl.Outcome, sl.Playbook, err)
	}
	return nil
}

// Slots returns the recorded slots of a playbook at or after since, oldest
// first, at most limit (0: all). It reads the slots of every playbook from
// since on: it is meant for a look at recent slots, not for reports.
func (s *Store) Slots(ctx context.Context, playbook string, since time.Time, limit int) ([]Slot, error) {
	q := `SELECT slot, outcome, run_id, blocked_by, message, decided_at FROM schedule_slots
		WHERE playbook = ? AND slot >= ? ORDER BY slot`
	args := []any{playbook, ms(since)}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: slots of %s: %w", playbook, err)
	}
	defer rows.Close()
	out := []Slot{}
	for rows.Next() {
		sl := Slot{Playbook: playbook}
		var slot, at int64
		var outcome string
		if err := rows.Scan(&slot, &outcome, &sl.RunID, &sl.BlockedBy, &sl.Message, &at); err != nil {
			return nil, fmt.Errorf("history: slots of %s: %w", playbook, err)
		}
		sl.Slot, sl.Outcome, sl.At = fromMS(slot), SlotOutcome(outcome), fromMS(at)
		out = append(out, sl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: slots of %s: %w", playbook, err)
	}
	return out, nil
}

// QueuedSlots returns the slots recorded queued, of every playbook, by
// slot then playbook. The scheduler reads them once, as it starts, before
// it queues anything itself: with one scheduler per store, each one was
// left by a process that ended before the queued run could start, and is
// settled missed (SettleSlot), else it would stay queued until pruned and
// never show in the history.
func (s *Store) QueuedSlots(ctx context.Context) ([]Slot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT playbook, slot, blocked_by, message, decided_at FROM schedule_slots
		WHERE outcome = 'queued' ORDER BY slot, playbook`)
	if err != nil {
		return nil, fmt.Errorf("history: queued slots: %w", err)
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		sl := Slot{Outcome: SlotQueued}
		var slot, at int64
		if err := rows.Scan(&sl.Playbook, &slot, &sl.BlockedBy, &sl.Message, &at); err != nil {
			return nil, fmt.Errorf("history: queued slots: %w", err)
		}
		sl.Slot, sl.At = fromMS(slot), fromMS(at)
		out = append(out, sl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: queued slots: %w", err)
	}
	return out, nil
}

// PruneSlots deletes the records of slots before `before` and returns how
// many. Slots stay claimed: the schedules table keeps each playbook's
// newest slot, and no slot at or before it is ever claimed again.
//
// The run rows of skipped and missed slots go with them, those decided
// before `before`: they are part of the slot records, not runs, and Prune's
// keepRuns leaves them alone, so without this they would pile up for good
// (86,400 a day from one @every 1s playbook that skips). They are aged by
// when they were decided, not by their slot, so that the missed slots a
// scheduler records after a long downtime are kept as long as any others
// instead of going at the next prune. A kept run's blocked_by may then
// name a run no longer in history, as it may after Prune: it is only text,
// shown as it is, never looked up. Failed slot rows are runs that could not
// start, and stay until Prune takes them.
//
// The rows go in batches of pruneBatch, each its own transaction, so that a
// backlog (a day of a thousand playbooks firing each second is 86 million
// slots) neither holds the writer for minutes, starving the claims of the
// slots due meanwhile, nor is lost whole when ctx ends: what was deleted
// stays deleted, and the next prune goes on from there.
func (s *Store) PruneSlots(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := s.pruneSlotRows(ctx, `DELETE FROM schedule_slots WHERE (slot, playbook) IN
			(SELECT slot, playbook FROM schedule_slots WHERE slot < ? ORDER BY slot LIMIT ?)`, ms(before), pruneBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("history: prune slots: %w", err)
		}
		if n < pruneBatch {
			break
		}
	}
	// The run rows are read in started_at order from a moving floor, so
	// that the real runs among them (kept by Prune) are passed over once,
	// not once a batch.
	var floor int64 = math.MinInt64
	for {
		var last sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT max(started_at) FROM (SELECT started_at FROM runs
			WHERE triggered_by = 'schedule' AND started_at >= ? AND started_at < ? AND status IN (?, ?)
			ORDER BY started_at LIMIT ?)`, floor, ms(before), string(report.StatusSkipped), string(StatusMissed), pruneBatch).Scan(&last); err != nil {
			return total, fmt.Errorf("history: prune the run rows of old slots: %w", err)
		}
		if !last.Valid {
			return total, nil
		}
		if _, err := s.pruneSlotRows(ctx, `DELETE FROM runs WHERE triggered_by = 'schedule' AND started_at >= ? AND started_at <= ? AND status IN (?, ?)`,
			floor, last.Int64, string(report.StatusSkipped), string(StatusMissed)); err != nil {
			return total, fmt.Errorf("history: prune the run rows of old slots: %w", err)
		}
		floor = last.Int64 + 1
	}
}

// pruneBatch is how many rows one transaction of PruneSlots deletes at
// most, give or take the rows sharing a start time: about 30 ms of the
// writer on a small machine.
var pruneBatch int64 = 2000

// pruneSlotRows runs one delete of PruneSlots in its own transaction.
func (s *Store) pruneSlotRows(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if afterPruneBatch != nil {
		afterPruneBatch()
	}
	return n, nil
}

// afterPruneBatch, when set by a test, is called after each batch.
var afterPruneBatch func()

// slotRowID is a run id for the row of a slot that did not run, decided
// at at, in the form of the engine's run ids: sorting by time, then
// random. Its hex begins with the slot (its milliseconds since 1970, 12
// digits), so that the rows decided at one instant, such as the missed
// slots of a gap, which share their started_at, list newest slot first
// as runs do (started_at, then id, descending), not in a random order.
func slotRowID(at, slot time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return at.UTC().Format("20060102T150405") + "-" + fmt.Sprintf("%012x", max(slot.UnixMilli(), 0)) + hex.EncodeToString(b[:])
}

func triggerOrCLI(t Trigger) Trigger {
	if t == "" {
		return TriggerCLI
	}
	return t
}

func msOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ms(*t)
}
