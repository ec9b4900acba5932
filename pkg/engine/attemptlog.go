package engine

import "github.com/arsenal-run/arsenal-run/pkg/report"

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
