package history

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A run's end is recorded after its report is written. When that record
// fails (the state dir's disk full, the process killed in between), the
// run stays running in the history until MarkInterrupted finds its owner
// gone; its report, when there is one, still says how it ended, and that
// is what the history then records, as RecordFinish would have.

// lostRun is a running run of a Store no longer open: the path its row
// recorded of the playbook and of its report.
type lostRun struct {
	id, playbook, report string
}

// lostRuns returns the running runs owner left.
func (s *Store) lostRuns(ctx context.Context, owner string) ([]lostRun, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, path, report_path FROM runs WHERE status = ? AND owner = ?`, string(StatusRunning), owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lost []lostRun
	for rows.Next() {
		var r lostRun
		if err := rows.Scan(&r.id, &r.playbook, &r.report); err != nil {
			return nil, err
		}
		lost = append(lost, r)
	}
	return lost, rows.Err()
}

// recordLostEnds records, of the runs owner left running, those whose
// report holds their end (lostEnd), as RecordFinish would have, and
// returns the error message of each of the others, by run id: why it is
// interrupted.
func (s *Store) recordLostEnds(ctx context.Context, owner string) (map[string]string, error) {
	lost, err := s.lostRuns(ctx, owner)
	if err != nil {
		return nil, err
	}
	why := make(map[string]string, len(lost))
	for _, r := range lost {
		rep, reason := s.lostEnd(r)
		if rep == nil {
			why[r.id] = InterruptedMessage + reason
			continue
		}
		if err := s.RecordFinish(ctx, rep, r.report, r.playbook); err != nil {
			return nil, err
		}
	}
	return why, nil
}

// lostEnd returns the report of a run whose end was not recorded, when its
// report file holds that end as this state dir wrote it: signed with its
// key, of that run, finished. Otherwise it returns why not, to follow
// InterruptedMessage: a report forged or changed since, one cut short, or
// a live snapshot is no record of how the run ended.
func (s *Store) lostEnd(r lostRun) (*report.Report, string) {
	if r.report == "" {
		return nil, ", and it left no report"
	}
	data, err := ReadReportFile(s.Reports(), r.id, r.report)
	if errors.Is(err, ErrNotFound) {
		return nil, ", and it left no report at " + r.report
	}
	name := ReportFile(s.Reports(), r.id, r.report)
	notTaken := func(why string) string {
		return fmt.Sprintf("; its report %s was not taken as its end: %s", name, why)
	}
	if err != nil {
		return nil, notTaken(err.Error())
	}
	key, err := report.Key(s.dir, false)
	if err != nil {
		return nil, notTaken(err.Error())
	}
	rep, err := report.Verify(data, key)
	if err != nil {
		return nil, notTaken(strings.TrimPrefix(err.Error(), name+": "))
	}
	switch {
	case rep.RunID != r.id:
		return nil, notTaken(fmt.Sprintf("it is the report of run %s", rep.RunID))
	case rep.Status != report.StatusSucceeded && rep.Status != report.StatusFailed && rep.Status != report.StatusCancelled,
		rep.FinishedAt.IsZero():
		return nil, notTaken(fmt.Sprintf("it says %s, not how the run ended", rep.Status))
	}
	return rep, ""
}
