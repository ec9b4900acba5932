package history

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// dryRunFill is the schema version whose migration marks the dry runs
// recorded before the runs table kept dry_run (version 8): their rows
// read 0, so after an upgrade history listed those dry runs as real ones
// and stats counted them among a playbook's runs.
const dryRunFill = 14

// dryRunsFromReports returns the runs of a database at schema version
// from whose row does not say dry run and whose report does. Only
// reports inside the state dir's reports folder are read (as
// ReadReportFile finds them), and only up to their steps, which come
// after dry_run in every report. A run whose report is gone or
// unreadable is left out. It only reads: migrate calls it before it
// takes the write lock, which the writes of processes that have the
// database open would otherwise wait on while thousands of reports are
// read.
func dryRunsFromReports(ctx context.Context, conn *sql.Conn, from int, reports string) ([]string, error) {
	if from == 0 {
		return nil, nil // a new database: no runs yet
	}
	q := `SELECT id, report_path FROM runs WHERE report_path <> ''`
	if from >= 8 {
		q += ` AND dry_run = 0`
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var ids, paths []string
	for rows.Next() {
		var id, path string
		if err := rows.Scan(&id, &path); err != nil {
			rows.Close()
			return nil, err
		}
		ids, paths = append(ids, id), append(paths, path)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(reports)
	if err != nil {
		return nil, nil // no reports folder: no report to tell
	}
	defer root.Close()
	var dry []string
	for i, id := range ids {
		if rel := reportRel(reports, id, paths[i]); rel != "" && reportIsDryRun(root, rel) {
			dry = append(dry, id)
		}
	}
	return dry, nil
}

// markDryRuns marks the runs ids as dry runs, in migrate's transaction.
func markDryRuns(ctx context.Context, conn *sql.Conn, ids []string) error {
	for _, id := range ids {
		if _, err := conn.ExecContext(ctx, `UPDATE runs SET dry_run = 1 WHERE id = ?`, id); err != nil {
			return fmt.Errorf("mark run %s a dry run: %w", id, err)
		}
	}
	return nil
}

// reportIsDryRun reads the report rel of root up to its dry_run or its
// steps, and says whether it is a dry run's; false when it cannot tell.
func reportIsDryRun(root *os.Root, rel string) bool {
	f, err := fsx.OpenIn(root, rel)
	if err != nil {
		return false
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(io.LimitReader(f, report.MaxReadSize)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case "dry_run":
			var dry bool
			return dec.Decode(&dry) == nil && dry
		case "steps":
			return false
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
