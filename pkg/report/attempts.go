package report

import "fmt"

// Of a step or item tried many times, the engine keeps the first and the
// last attempts in attempt_log and counts those between in
// attempts_omitted (and attempts_omitted_failed); the formats list the
// attempts kept with one line in the place of those left out.

// attemptRow is a line of an attempt list: an attempt or, with Attempt
// nil, the Omitted attempts left out at that place, Failed of which
// failed. More marks the line a format's own limit adds after the first
// attempts of a log that leaves none out: "N more attempts".
type attemptRow struct {
	*Attempt
	Omitted, Failed int
	More            bool
}

// Text is what a line in the place of attempts left out says.
func (a attemptRow) Text() string {
	if a.More {
		return plural(a.Omitted, "more attempt", "more attempts")
	}
	s := plural(a.Omitted, "attempt", "attempts") + " left out"
	if a.Failed > 0 {
		s += fmt.Sprintf(" (%d failed)", a.Failed)
	}
	return s
}

// attemptGap returns the index of the first entry of log after attempts
// it leaves out (where its numbering jumps), or -1 when it leaves none
// out.
func attemptGap(log []Attempt) int {
	for i := 1; i < len(log); i++ {
		if log[i].Attempt > log[i-1].Attempt+1 {
			return i
		}
	}
	return -1
}

// attemptRows lists log, with a line in the place of the attempts it
// leaves out, omittedFailed of which failed. A format that lists at most
// limit attempts (0: no limit) lists of a longer log the first limit and
// how many more when the log leaves none out, as it always did; else the
// attempts before the gap (up to half the limit), one line for all those
// between, and the last attempts.
func attemptRows(log []Attempt, omittedFailed, limit int) []attemptRow {
	gap := attemptGap(log)
	if limit > 0 && len(log) > limit && gap < 0 {
		rows := make([]attemptRow, 0, limit+1)
		for i := range log[:limit] {
			rows = append(rows, attemptRow{Attempt: &log[i]})
		}
		return append(rows, attemptRow{Omitted: len(log) - limit, More: true})
	}
	head, tail := len(log), len(log) // log[:head] and log[tail:] are listed
	if limit > 0 && len(log) > limit {
		head = min(gap, limit/2)
		tail = len(log) - (limit - head)
	}
	var rows []attemptRow
	prev := -1
	for i := range log {
		if i >= head && i < tail {
			continue
		}
		if prev >= 0 && log[i].Attempt > log[prev].Attempt+1 {
			row := attemptRow{Omitted: log[i].Attempt - log[prev].Attempt - 1}
			if prev < gap && gap <= i {
				row.Failed = omittedFailed
			}
			for j := prev + 1; j < i; j++ {
				if a := &log[j]; a.Error != nil && attemptStatus(a) != StatusCancelled {
					row.Failed++
				}
			}
			rows = append(rows, row)
		}
		rows = append(rows, attemptRow{Attempt: &log[i]})
		prev = i
	}
	return rows
}

// attemptResult is what an attempt did, in a line of at most n
// characters: its error, or its status and, for one that succeeded but
// was not the last, why: "succeeded, but retry.until (output.ready) is
// false".
func attemptResult(a *Attempt, n int) string {
	if a.Error != nil {
		return oneLine(errText(a.Error), n)
	}
	s := string(attemptStatus(a))
	if a.Reason != "" {
		s += ", but " + a.Reason
	}
	return oneLine(s, n)
}
