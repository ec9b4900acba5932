package scheduler

import (
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// endLevel is the level of a run's "run ended" line: info for a run that
// succeeded, warn for one that was cancelled, error for any other end
// (failed, denied, interrupted), as the run's own "run finished" line, so
// that a log kept at error level does not leave a failed run unended.
func endLevel(st report.Status) zerolog.Level {
	switch st {
	case report.StatusSucceeded:
		return zerolog.InfoLevel
	case report.StatusCancelled:
		return zerolog.WarnLevel
	}
	return zerolog.ErrorLevel
}
