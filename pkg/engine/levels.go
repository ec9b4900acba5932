package engine

import (
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// FailureLevel is the log level of the "step finished" line of a step
// that failed or was denied: error when that fails the run, so that a
// log kept at error level says which step failed it; warn when
// continue_on_error ignores the failure (ignored) or rescue steps may
// still rescue it (rescuing), as the run goes on past it.
func FailureLevel(status report.Status, ignored, rescuing bool) zerolog.Level {
	if status == report.StatusFailed && (ignored || rescuing) {
		return zerolog.WarnLevel
	}
	return zerolog.ErrorLevel
}

// SubRunEndLevel is RunEndLevel for a run that playbook.run started:
// warn for a failed one whose failure the step that started it tolerates
// (tolerated, see Event.Tolerated), as that step's own line is.
func SubRunEndLevel(status report.Status, tolerated bool) zerolog.Level {
	if tolerated && status == report.StatusFailed {
		return zerolog.WarnLevel
	}
	return RunEndLevel(status)
}

// RunEndLevel is the log level of a "run finished" line: info for a run
// that succeeded, warn for one that was cancelled (someone chose to stop
// it), error for one that failed or that authorization denied, so that a
// log kept at error level never hides a failed run.
func RunEndLevel(status report.Status) zerolog.Level {
	switch status {
	case report.StatusSucceeded:
		return zerolog.InfoLevel
	case report.StatusCancelled:
		return zerolog.WarnLevel
	}
	return zerolog.ErrorLevel
}

// NotificationLevel is the log level of the line of a notify entry that
// did not go out as written: error when its message reached nobody (a
// page that was never sent must show in a log kept at error level), warn
// when it reached some of its recipients or went out with the run
// summary in place of its own text.
func NotificationLevel(n *report.Notification) zerolog.Level {
	if n == nil || n.Sent == report.SentNone {
		return zerolog.ErrorLevel
	}
	return zerolog.WarnLevel
}
