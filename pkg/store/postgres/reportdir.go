package postgres

import (
	"fmt"
	"os"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// CheckDir reports, with what to do, when the report folder's path no
// longer names the directory Open made or found there: it was renamed or
// removed since. Every report would be lost (the write fails and the run
// is still recorded as it ended), or go into a directory nobody checked:
// a long-running process starts no run until it is back. One stat; nil
// when the reports are kept in the database. The error wraps
// history.ErrStateDirMoved, which serve answers with 503.
func (s *Store) CheckDir() error {
	if s.reportInfo == nil {
		return nil
	}
	fi, err := os.Stat(s.cfg.ReportDir)
	if err == nil && os.SameFile(fi, s.reportInfo) {
		return nil
	}
	what := "no longer exists"
	if err == nil {
		what = "now names another directory"
	}
	return reportDirMoved(fmt.Sprintf("the report dir %s was moved or removed after it was opened: its path %s; no report can be written there, so no run starts: move it back, or restart with --report-dir naming where it is now",
		s.cfg.ReportDir, what))
}

// reportDirMoved is CheckDir's error: it is history.ErrStateDirMoved for
// errors.Is, with words of its own, since no state dir moved.
type reportDirMoved string

func (e reportDirMoved) Error() string        { return string(e) }
func (e reportDirMoved) Is(target error) bool { return target == history.ErrStateDirMoved }

// closeDir closes the report folder's handle, if any.
func closeDir(f *os.File) {
	if f != nil {
		f.Close()
	}
}
