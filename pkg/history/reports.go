package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// ReadReport returns the JSON of the report file a run's row names, at
// most report.MaxReadSize bytes of a regular file; ErrNotFound when the run
// is unknown or has no report file.
func (s *Store) ReadReport(ctx context.Context, runID string) ([]byte, error) {
	run, err := s.Get(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.ReportPath == "" {
		return nil, fmt.Errorf("%w: run %s has no recorded report", ErrNotFound, runID)
	}
	return fsx.ReadFile(run.ReportPath, report.MaxReadSize)
}

// ReportKey returns the state dir's report signing key, made on first use.
func (s *Store) ReportKey(context.Context) ([]byte, error) { return report.Key(s.dir, true) }

// Describe names the state dir, for messages.
func (s *Store) Describe() string { return s.dir }

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
		rel := ""
		if filepath.IsAbs(p) {
			if r, err := filepath.Rel(dir, filepath.Clean(p)); err == nil && filepath.IsLocal(r) {
				rel = r
			}
		}
		if rel == "" && filepath.Base(p) == id+".json" {
			rel = id + ".json"
		}
		if rel == "" || !filepath.IsLocal(rel) {
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
