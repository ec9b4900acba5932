package engine

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A step or item tried more than AttemptLogFirst+AttemptLogLast times
// keeps in its attempt log the first AttemptLogFirst attempts and the
// last AttemptLogLast, and counts those between (attempts_omitted). The
// first show how the trouble began: the first error is most often the
// cause, and ten show whether it held or changed. The last show how it
// ended and what it did just before, as the end of a CI job's log does:
// forty are the last forty seconds of a repeat every 1s, or the last 40
// of a retry's 100 attempts at most. Fifty entries keep a step's record
// a few kilobytes whatever the number of attempts: a repeat may make
// 100,000 (steps.MaxRepeatAttempts), each going through its retries.
const (
	AttemptLogFirst = 10
	AttemptLogLast  = 40
)

// attemptLog is what a call records of its attempts: how many it made,
// the first AttemptLogFirst, and the newest of the others, of which it
// keeps up to twice AttemptLogLast before it drops the older half, so
// that adding an attempt costs the same at any count. An entry is never
// changed once added, so a copy of the log (guard's copy of the Call)
// reads the same as it did when it was made.
type attemptLog struct {
	n    int              // attempts made
	head []report.Attempt // the first AttemptLogFirst
	tail []report.Attempt // the newest of those after head

	// dropped attempts came after head and before tail; droppedFailed
	// of them failed (failedAttempt).
	dropped, droppedFailed int
}

// add records an attempt that ended.
func (l *attemptLog) add(a report.Attempt) {
	l.n++
	if len(l.head) < AttemptLogFirst {
		l.head = append(l.head, a)
		return
	}
	if len(l.tail) == 2*AttemptLogLast {
		for _, old := range l.tail[:AttemptLogLast] {
			l.dropped++
			if failedAttempt(old) {
				l.droppedFailed++
			}
		}
		// A new array: a copy of the log keeps the entries it has.
		l.tail = append(make([]report.Attempt, 0, 2*AttemptLogLast), l.tail[AttemptLogLast:]...)
	}
	l.tail = append(l.tail, a)
}

// untilFalse records on the last attempt that it succeeded but left
// the retry.until or repeat.until it was tried for false (reason says
// which), so that its log says why a try that succeeded was not the
// last. It changes an entry in place: the last entry was added after
// every copy of the log the guard made, none of which reaches it.
func (l *attemptLog) untilFalse(reason string) {
	last := &l.tail
	if len(l.tail) == 0 {
		last = &l.head
	}
	if n := len(*last); n > 0 && (*last)[n-1].Error == nil {
		(*last)[n-1].Reason = reason
	}
}

// kept returns the attempts the log keeps, in order, and how many of
// those made it leaves out between the first AttemptLogFirst and the
// last AttemptLogLast, and how many of those left out failed.
func (l *attemptLog) kept() (log []report.Attempt, omitted, omittedFailed int) {
	extra := max(len(l.tail)-AttemptLogLast, 0)
	omitted, omittedFailed = l.dropped+extra, l.droppedFailed
	for _, a := range l.tail[:extra] {
		if failedAttempt(a) {
			omittedFailed++
		}
	}
	log = make([]report.Attempt, 0, len(l.head)+len(l.tail)-extra)
	log = append(append(log, l.head...), l.tail[extra:]...)
	return log, omitted, omittedFailed
}

// failedAttempt reports whether an attempt counts as failed where calls
// are counted (stats): it ended in an error whose status is failed or
// denied. A cancelled attempt is a call but not an error.
func failedAttempt(a report.Attempt) bool {
	if a.Error == nil {
		return false
	}
	st := report.StatusOf(a.Error.Class)
	return st == report.StatusFailed || st == report.StatusDenied
}

// Tries returns how many attempts the call has made so far, every one of
// them: also those its attempt log no longer keeps.
func (c *Call) Tries() int { return c.attempts.n }

// AttemptLog returns the attempts the call keeps, in order: every one,
// up to AttemptLogFirst+AttemptLogLast of them; past that the first
// AttemptLogFirst and the last AttemptLogLast, with omitted the number
// left out between them. Tries is the total.
func (c *Call) AttemptLog() (log []report.Attempt, omitted int) {
	log, omitted, _ = c.attempts.kept()
	return log, omitted
}

// newAttempt is the record of attempt n, begun at start and d long, that
// gave out and err: how it ended, and the exit code of the process it
// ran when its operation gives one (an output's exit_code; a negative one
// is unknown, as ssh.exec's of a lost connection).
func newAttempt(n int, start time.Time, d time.Duration, out map[string]any, err error) report.Attempt {
	a := report.Attempt{Attempt: n, StartedAt: start, DurationMS: d.Milliseconds(), Status: report.StatusSucceeded}
	if err != nil {
		a.Error = &report.Error{Class: string(ops.ClassOf(err)), Message: err.Error()}
		a.Status = report.StatusOf(a.Error.Class)
	}
	if code, ok := out["exit_code"].(int); ok && code >= 0 {
		a.ExitCode = &code
	}
	return a
}

// maskAttempts masks the run's secrets in the errors of an attempt log
// for the report, and cuts each message to report.MaxAttemptMessage, and
// to its head once the run's budget for them is spent (messageBudget).
func (r *run) maskAttempts(log []report.Attempt) {
	for i := range log {
		if e := log[i].Error; e != nil {
			msg := r.budget.msgs.keep(report.CapString(r.red.String(e.Message), report.MaxAttemptMessage))
			log[i].Error = &report.Error{Class: e.Class, Message: msg}
		}
	}
}
