package history

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A step or item tried many times has in its report the first and the
// last of its attempts, and counts those left out between them
// (attempts_omitted, attempts_omitted_failed). Its rows are those of the
// attempts kept, one call each, and in the place of those left out up to
// two rows of kind "omitted" whose attempt column is how many they stand
// for: one of status failed for those that failed, one of status
// succeeded for the others. They are not calls (call = 0): Stats adds
// their number to the op's count, and those that failed to its errors,
// but their durations are not known, and the percentiles are those of
// the calls recorded one by one. They are counted at the start of the
// last attempt kept before them.

// KindOmitted is the kind of a row that stands for attempts a report
// left out of an attempt log.
const KindOmitted = "omitted"

// omitted adds the rows in the place of the attempts left out of a step's
// (or, with item not nil, an item's) attempt log, whose id, section and
// op are the step row's, started at the start of the attempt kept before
// them.
func (w *rowWriter) omitted(id, sec, op, item any, started int64, omitted, failed int) {
	for _, n := range []struct {
		count  int
		status report.Status
	}{{failed, report.StatusFailed}, {omitted - failed, report.StatusSucceeded}} {
		if n.count > 0 {
			w.rows = append(w.rows, w.runID, id, sec, KindOmitted, item, n.count, op, textArg(string(n.status)), "", started, 0, 0, nil, nil, nil, 0)
		}
	}
}

// omittedAt is the index of the first entry of an attempt log after the
// attempts it leaves out: where its numbering jumps, else its end.
func omittedAt(log []report.Attempt) int {
	for i := 1; i < len(log); i++ {
		if log[i].Attempt > log[i-1].Attempt+1 {
			return i
		}
	}
	return len(log)
}

// omittedStatsQuery totals, per op, the attempts left out of attempt logs
// that started at or after since, and those of them that failed. The
// partial index steps_omitted holds exactly those rows.
const omittedStatsQuery = `SELECT op, SUM(attempt), SUM(CASE WHEN status IN ('failed', 'denied') THEN attempt ELSE 0 END)
	FROM steps INDEXED BY steps_omitted
	WHERE kind = 'omitted' AND started_at >= ? AND started_at < ?
	GROUP BY op`

// migrationOmitted indexes the rows of attempts left out of attempt logs
// for Stats.
const migrationOmitted = `CREATE INDEX steps_omitted ON steps (started_at, op, attempt, status) WHERE kind = 'omitted';`

// OmittedCalls are the calls of an op that attempt logs left out: how
// many, and how many of them failed or were denied.
type OmittedCalls struct {
	Count, Errors int64
}

// AddOmitted adds to ops (sorted by op) the calls attempt logs left out,
// by op: to each op's count and errors, and its error rate. Their
// durations are not known: the percentiles stay those of the calls
// recorded one by one. An op of only such calls is added, without
// percentiles.
func AddOmitted(ops []OpStats, omitted map[string]OmittedCalls) []OpStats {
	for i := range ops {
		if o, ok := omitted[ops[i].Op]; ok {
			ops[i].Count += o.Count
			ops[i].Errors += o.Errors
			delete(omitted, ops[i].Op)
		}
	}
	for op, o := range omitted {
		ops = append(ops, OpStats{Op: op, Count: o.Count, Errors: o.Errors})
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Op < ops[j].Op })
	for i := range ops {
		if ops[i].Count > 0 {
			ops[i].ErrorRate = float64(ops[i].Errors) / float64(ops[i].Count)
		}
	}
	return ops
}

// omittedCalls reads the calls left out of attempt logs from since to
// before until.
func omittedCalls(ctx context.Context, tx *sql.Tx, since, until int64) (map[string]OmittedCalls, error) {
	rows, err := tx.QueryContext(ctx, omittedStatsQuery, since, until)
	if err != nil {
		return nil, fmt.Errorf("history: stats: %w", err)
	}
	defer rows.Close()
	out := map[string]OmittedCalls{}
	for rows.Next() {
		var op string
		var o OmittedCalls
		if err := rows.Scan(&op, &o.Count, &o.Errors); err != nil {
			return nil, fmt.Errorf("history: stats: %w", err)
		}
		out[op] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: stats: %w", err)
	}
	return out, nil
}
