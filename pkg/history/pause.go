package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// migrationPauses adds the paused schedules: one row per playbook whose
// schedule is paused, with who paused it and when. A schedule is paused
// for every scheduler that shares the state dir (serve's and `schedule`'s
// alike), and stays paused across restarts until it is resumed. It also
// records who started each run (runs.started_by): a key's name, an OS
// user, "scheduler".
const migrationPauses = `CREATE TABLE schedule_pauses (
		playbook  TEXT PRIMARY KEY,
		paused_by TEXT NOT NULL,
		paused_at INTEGER NOT NULL
	) WITHOUT ROWID;
	ALTER TABLE runs ADD COLUMN started_by TEXT NOT NULL DEFAULT '';`

// Pause is a paused schedule: the scheduler records each of its slots as
// skipped instead of firing it, until the schedule is resumed.
type Pause struct {
	Playbook string `json:"playbook"`
	// Path is the file paused, as PausePath gives it; "" in a pause
	// recorded before pauses named one, which holds for every file.
	Path string    `json:"path,omitempty"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// PausePath is how a pause names the playbook file it pauses: absolute,
// with symlinks resolved, so that every process on a state dir names a
// file alike, from whatever working directory.
func PausePath(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// Applies reports whether the pause holds for the playbook file: the one
// paused, not another that has the same name (a playbook of one scheduler
// paused through a serve that serves another of that name).
func (p Pause) Applies(file string) bool {
	return p.Path == "" || p.Path == PausePath(file)
}

// ErrNotPaused is returned by ResumeSchedule for a schedule that is not
// paused.
var ErrNotPaused = errors.New("the schedule is not paused")

// PauseSchedule pauses p.Playbook's schedule. Pausing a paused schedule
// changes nothing and returns the pause that holds, with false.
func (s *Store) PauseSchedule(ctx context.Context, p Pause) (Pause, bool, error) {
	if p.At.IsZero() {
		p.At = s.now()
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return Pause{}, false, fmt.Errorf("history: pause %s: %w", p.Playbook, err)
	}
	defer tx.Rollback()
	held, ok, err := pauseOf(ctx, tx.Tx, p.Playbook)
	if err != nil {
		return Pause{}, false, err
	}
	if ok {
		return held, false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_pauses (playbook, paused_by, paused_at, path) VALUES (?, ?, ?, ?)`,
		p.Playbook, p.By, ms(p.At), p.Path); err != nil {
		return Pause{}, false, fmt.Errorf("history: pause %s: %w", p.Playbook, err)
	}
	if err := tx.Commit(); err != nil {
		return Pause{}, false, fmt.Errorf("history: pause %s: %w", p.Playbook, err)
	}
	p.At = fromMS(ms(p.At))
	return p, true, nil
}

// ResumeSchedule resumes playbook's schedule and returns the pause it
// ended; ErrNotPaused when there was none. Slots that came while it was
// paused stay skipped: resuming fires nothing retroactively.
func (s *Store) ResumeSchedule(ctx context.Context, playbook string) (Pause, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return Pause{}, fmt.Errorf("history: resume %s: %w", playbook, err)
	}
	defer tx.Rollback()
	held, ok, err := pauseOf(ctx, tx.Tx, playbook)
	if err != nil {
		return Pause{}, err
	}
	if !ok {
		return Pause{}, ErrNotPaused
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schedule_pauses WHERE playbook = ?`, playbook); err != nil {
		return Pause{}, fmt.Errorf("history: resume %s: %w", playbook, err)
	}
	if err := tx.Commit(); err != nil {
		return Pause{}, fmt.Errorf("history: resume %s: %w", playbook, err)
	}
	return held, nil
}

// Pauses returns the paused schedules by playbook. The scheduler reads
// them when slots are due, so a pause takes effect from the next slot.
func (s *Store) Pauses(ctx context.Context) (map[string]Pause, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT playbook, paused_by, paused_at, path FROM schedule_pauses`)
	if err != nil {
		return nil, fmt.Errorf("history: paused schedules: %w", err)
	}
	defer rows.Close()
	out := map[string]Pause{}
	for rows.Next() {
		var p Pause
		var at int64
		if err := rows.Scan(&p.Playbook, &p.By, &at, &p.Path); err != nil {
			return nil, fmt.Errorf("history: paused schedules: %w", err)
		}
		p.At = fromMS(at)
		out[p.Playbook] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: paused schedules: %w", err)
	}
	return out, nil
}

func pauseOf(ctx context.Context, tx *sql.Tx, playbook string) (Pause, bool, error) {
	p := Pause{Playbook: playbook}
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT paused_by, paused_at, path FROM schedule_pauses WHERE playbook = ?`, playbook).Scan(&p.By, &at, &p.Path)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Pause{}, false, nil
	case err != nil:
		return Pause{}, false, fmt.Errorf("history: pause of %s: %w", playbook, err)
	}
	p.At = fromMS(at)
	return p, true, nil
}
