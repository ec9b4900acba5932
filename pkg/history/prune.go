package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// maxKeepDays is the largest age limit Prune applies: no run is older than
// about 2,700 years, so a larger one keeps every run, as 0 does.
const maxKeepDays = 1_000_000

// KeepDaysCutoff returns the start time before which a run is older than
// keepDays days at now, and false when the limit removes nothing: keepDays
// is 0 or less, or more than any run's age. Calendar days, so a huge value
// cannot overflow into a cutoff in the future.
func KeepDaysCutoff(now time.Time, keepDays int) (time.Time, bool) {
	if keepDays <= 0 || keepDays > maxKeepDays {
		return time.Time{}, false
	}
	return now.AddDate(0, 0, -keepDays), true
}

// Prune deletes finished runs, with their step rows, that are beyond the
// newest keepRuns runs of their playbook (running ones count among the
// newest) or started more than keepDays days ago; a limit of 0 does not
// apply. Running runs are never pruned.
//
// The rows of slots that did not run (skipped or missed, see slots.go)
// are not runs: keepRuns neither counts nor deletes them, else a playbook
// that skips most of its slots (an @every 1s schedule with overlap: skip
// and a longer run) would keep far fewer runs than asked, one with only
// skips none at all. They go with the slot records, after a day
// (PruneSlots), or earlier by keepDays. A slot whose run could not start
// has a failed row, which is an error worth keeping and counts as a run,
// as it does in Stats.
//
// It deletes the report files of the deleted runs, but only those that
// lie inside the state dir's reports folder: a path is resolved against
// that folder through an os.Root, so neither "..", an absolute path
// elsewhere nor a symlink can lead out of it, and only a regular file is
// removed. Whatever else the database held is left alone: a database is
// only data, and retention must not be a way to delete arbitrary files.
// It returns the paths of the files it removed.
//
// The runs to delete are read first, without the write lock: for each
// playbook, down runs_playbook to the keepRuns-th newest run (reading past
// the slot rows among them), then the range below it; for the age limit,
// the range of runs_stats before the cutoff. A run once selected stays
// beyond the limits, whatever is written meanwhile. They are then deleted
// in batches of pruneRunBatch, each its own write transaction, and each
// batch's report files are removed once it is committed: a backlog (a
// first prune of a long history, after an upgrade or a lower --keep-runs)
// holds the write lock for one batch at a time, so the runs, executes and
// slot claims of every process on the state dir wait for a batch at most,
// not for the whole prune. When ctx ends, what was deleted stays deleted,
// with its files, and the error comes with the files removed so far; the
// next prune goes on from there.
func (s *Store) Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error) {
	if keepRuns <= 0 && keepDays <= 0 {
		return nil, nil
	}
	doomed, err := s.doomedRuns(ctx, keepRuns, keepDays)
	if err != nil {
		return nil, fmt.Errorf("history: prune: %w", err)
	}
	ids := slices.Sorted(maps.Keys(doomed))
	var held time.Duration
	var removed []string
	for i := 0; i < len(ids); i += pruneRunBatch {
		if i > 0 {
			if err := pauseAfterBatch(ctx, held); err != nil {
				return removed, fmt.Errorf("history: prune: %w", err)
			}
		}
		begin := time.Now()
		gone, err := s.deleteRuns(ctx, ids[i:min(i+pruneRunBatch, len(ids))])
		held = time.Since(begin)
		if err != nil {
			return removed, fmt.Errorf("history: prune: %w", err)
		}
		removed = append(removed, s.removeReports(gone, doomed)...)
		if afterPruneBatch != nil {
			afterPruneBatch()
		}
	}
	return removed, nil
}

// pauseAfterBatch waits as long as the batch before held the write lock,
// or until ctx ends. A writer of another process that found the lock
// taken sleeps in SQLite's busy handler, up to 100 ms between tries: a
// prune that took the lock again at once would nearly always hold it when
// the writer looks, and the writer would wait for the whole prune after
// all. Free half the time, the lock is found free within a few tries.
func pauseAfterBatch(ctx context.Context, held time.Duration) error {
	t := time.NewTimer(held)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pruneRunBatch is how many runs one transaction of Prune deletes at
// most, with their step rows: tens of milliseconds of the writer for runs
// of a few steps on a small machine (see BenchmarkPruneBacklog).
var pruneRunBatch = 1000

// doomedRuns returns the finished runs beyond keepRuns or keepDays, an id
// to its report path; see Prune.
func (s *Store) doomedRuns(ctx context.Context, keepRuns, keepDays int) (map[string]string, error) {
	doomed := map[string]string{}
	collect := func(q string, args ...any) error {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return ReadDoomed(rows, doomed)
	}
	if keepRuns > 0 {
		// The playbooks, by a skip scan of runs_playbook: each step jumps
		// to the next name instead of reading every run.
		rows, err := s.db.QueryContext(ctx, `WITH RECURSIVE pb(name) AS (
				SELECT MIN(playbook) FROM runs
				UNION ALL
				SELECT (SELECT MIN(playbook) FROM runs WHERE playbook > pb.name) FROM pb WHERE pb.name IS NOT NULL)
			SELECT name FROM pb WHERE name IS NOT NULL`)
		if err != nil {
			return nil, err
		}
		var playbooks []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return nil, err
			}
			playbooks = append(playbooks, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, pb := range playbooks {
			var at int64
			var id string
			err := s.db.QueryRowContext(ctx, `SELECT started_at, id FROM runs WHERE playbook = ? AND status NOT IN (?, ?)
				ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?`, pb, string(report.StatusSkipped), string(StatusMissed), keepRuns-1).Scan(&at, &id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // no more runs than it keeps
			}
			if err != nil {
				return nil, err
			}
			if err := collect(`SELECT id, report_path FROM runs WHERE playbook = ? AND (started_at, id) < (?, ?) AND status NOT IN (?, ?, ?)`,
				pb, at, id, string(StatusRunning), string(report.StatusSkipped), string(StatusMissed)); err != nil {
				return nil, err
			}
		}
	}
	if cutoff, ok := KeepDaysCutoff(s.now(), keepDays); ok {
		if err := collect(`SELECT id, report_path FROM runs WHERE started_at < ? AND status != ?`, ms(cutoff), string(StatusRunning)); err != nil {
			return nil, err
		}
	}
	return doomed, nil
}

// Rows are the rows of a query as both drivers give them: database/sql's
// *sql.Rows and pgx.Rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadDoomed reads the rows of a query for the runs Prune deletes, each
// an id and its report path, into doomed, an id to its report path. The
// caller closes rows.
func ReadDoomed(rows Rows, doomed map[string]string) error {
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			return err
		}
		doomed[id] = path
	}
	return rows.Err()
}

// deleteRuns deletes the runs ids that are not running, with their step
// rows, in one write transaction, and returns the ids it deleted: those
// another prune took meanwhile are not among them, so each report file is
// removed by the prune that deleted its row.
func (s *Store) deleteRuns(ctx context.Context, ids []string) ([]string, error) {
	// The ids go in as one JSON array parameter, however many there are.
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Steps first: deleting them by the run_id index beats the cascade's
	// lookup per run.
	if _, err := tx.ExecContext(ctx, `DELETE FROM steps WHERE run_id IN
		(SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND status != ?)`, string(list), string(StatusRunning)); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND status != ? RETURNING id`,
		string(list), string(StatusRunning))
	if err != nil {
		return nil, err
	}
	gone := make([]string, 0, len(ids))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		gone = append(gone, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	slices.Sort(gone)
	return gone, nil
}

// removeReports removes the report files of the runs ids (paths maps an id
// to its recorded report path) that are regular files inside the reports
// folder, and returns those it removed.
func (s *Store) removeReports(ids []string, paths map[string]string) []string {
	return RemoveReportFiles(s.Reports(), ids, paths)
}
