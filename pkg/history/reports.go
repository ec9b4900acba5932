package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// ReadReport returns the JSON of the report file a run's row names, at
// most report.MaxReadSize bytes of a regular file, looked for as
// ReadReportFile does; ErrNotFound when the run is unknown or has no
// report file.
func (s *Store) ReadReport(ctx context.Context, runID string) ([]byte, error) {
	run, err := s.Get(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.ReportPath == "" {
		return nil, fmt.Errorf("%w: run %s has no recorded report", ErrNotFound, runID)
	}
	return ReadReportFile(s.Reports(), runID, run.ReportPath)
}

// ReportKey returns the state dir's report signing key, made on first use.
func (s *Store) ReportKey(context.Context) ([]byte, error) { return report.Key(s.dir, true) }

// OpenReportKey is ReportKey, and also returns a warning when it made the
// key while the reports folder holds reports signed with an earlier one
// (report.key removed, or the state dir copied without it): those reports
// no longer verify, which is otherwise first seen when a --resume of one
// is refused.
func (s *Store) OpenReportKey(context.Context) (key []byte, warning string, err error) {
	key, made, err := report.LoadKey(s.dir)
	if err != nil || !made {
		return key, "", err
	}
	n, signed := signedReports(s.Reports())
	if !signed {
		return key, "", nil
	}
	reports := fmt.Sprintf("%d reports", n)
	if n == 1 {
		reports = "1 report"
	}
	return key, fmt.Sprintf("made a new report key, %s, but %s holds %s signed with an earlier one: "+
		"they no longer verify, so a --resume of one of them runs with the caller's own roles only and is refused (exit 3) "+
		"where a step needs a policy grant; if report.key was removed by mistake, stop every process on the state dir and put the old file back "+
		"(see \"Rotating the report key\" in docs/reports.md)",
		filepath.Join(s.dir, report.KeyFile), s.Reports(), reports), nil
}

// signedReports counts the report files (RUN_ID.json) in dir, and tells
// whether one of them, of the first maxSignedLook read, is signed.
func signedReports(dir string) (n int, signed bool) {
	const maxSignedLook = 200
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	looked := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		n++
		if signed || looked >= maxSignedLook {
			continue
		}
		looked++
		data, err := ReadReportFile(dir, strings.TrimSuffix(e.Name(), ".json"), filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var r struct {
			Signature string `json:"signature"`
		}
		signed = json.Unmarshal(data, &r) == nil && r.Signature != ""
	}
	return n, signed
}

// Describe names the state dir, for messages.
func (s *Store) Describe() string { return s.dir }

// ReportFile returns where the report of run runID is, of a state dir
// whose reports folder is dir, given the path its row recorded (stored).
// A stored path under dir is used as it is. A stored path elsewhere named
// after the run (RUN_ID.json) is a report of this state dir before it was
// moved or restored from a copy: it is looked for in dir by that name,
// never where it was, which may be another state dir's. Any other stored
// path is returned as it is (the state dir has never recorded one; a row
// written by other means might).
func ReportFile(dir, runID, stored string) string {
	if rel := reportRel(dir, runID, stored); rel != "" {
		return filepath.Join(dir, rel)
	}
	return stored
}

// ReadReportFile reads the report of run runID as ReportFile finds it, at
// most report.MaxReadSize bytes of a regular file. A report of the state
// dir is read through an os.Root of dir, so that neither ".." nor a
// symlink leads out of it. A missing report file is ErrNotFound (and
// fs.ErrNotExist), its message naming the file.
func ReadReportFile(dir, runID, stored string) ([]byte, error) {
	rel := reportRel(dir, runID, stored)
	if rel == "" {
		data, err := fsx.ReadFile(stored, report.MaxReadSize)
		return data, notFound(runID, err)
	}
	name := filepath.Join(dir, rel)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, notFound(runID, err)
	}
	defer root.Close()
	f, err := fsx.OpenIn(root, rel)
	if err != nil {
		// The root's errors name the path relative to it: name the file.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = &fs.PathError{Op: pe.Op, Path: name, Err: pe.Err}
		}
		if stored != name {
			err = fmt.Errorf("%w (recorded as %s; a report is looked for in the state dir's reports folder)", err, stored)
		}
		return nil, notFound(runID, err)
	}
	defer f.Close()
	data, err := fsx.ReadOpen(f, name, report.MaxReadSize)
	var tooLarge *fsx.TooLargeError
	if err != nil && !errors.As(err, &tooLarge) {
		err = fmt.Errorf("%s: %w", name, err)
	}
	return data, err
}

// notFound makes the error of a report file that does not exist match
// ErrNotFound, as the store's contract has it: the run has no report,
// which is not a failure to read one (nor the database being away).
func notFound(runID string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &missingReport{runID: runID, err: err}
	}
	return err
}

// missingReport is a run's report file that does not exist. It matches
// both ErrNotFound and the file's own error; its text is the file's,
// since ErrNotFound's says the run is not in the history, and it is.
type missingReport struct {
	runID string
	err   error
}

func (e *missingReport) Error() string {
	return fmt.Sprintf("run %s has no report file: %v", e.runID, e.err)
}

func (e *missingReport) Unwrap() []error { return []error{ErrNotFound, e.err} }

// RemoveReportFiles removes, of the report files paths names (by run id),
// those of the runs ids that are regular files inside dir, and returns
// those it removed. A path is resolved against dir through an os.Root, so
// neither "..", an absolute path elsewhere nor a symlink leads out of it:
// retention must never be a way to delete arbitrary files. A stored path
// that is not under dir is looked for in dir by the run's own report name
// (a moved state dir).
func RemoveReportFiles(dir string, ids []string, paths map[string]string) []string {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil
	}
	defer root.Close()
	var removed []string
	for _, id := range ids {
		p := paths[id]
		if p == "" {
			continue
		}
		rel := reportRel(dir, id, p)
		if rel == "" {
			continue
		}
		fi, err := root.Lstat(rel)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if root.Remove(rel) == nil {
			removed = append(removed, filepath.Join(dir, rel))
		}
	}
	return removed
}

// reportRel returns, of a report path a row recorded, where in the
// reports folder dir the report of run runID is: the path relative to dir
// when it is under dir, else the run's own report name when the stored
// path has that name (a moved state dir), else "" (a file elsewhere).
func reportRel(dir, runID, stored string) string {
	if dir == "" {
		return "" // no reports folder: the stored path is all there is
	}
	if filepath.IsAbs(stored) {
		if r, err := filepath.Rel(dir, filepath.Clean(stored)); err == nil && filepath.IsLocal(r) {
			return r
		}
	}
	if filepath.Base(stored) == runID+".json" && filepath.IsLocal(runID+".json") {
		return runID + ".json"
	}
	return ""
}
