package report

import (
	"fmt"
	"unicode/utf8"
)

// retriedNote is the note of a step or item that succeeded only after
// tries that failed, in at most n characters: which try passed, which
// failed, and the error of the first that failed, "passed on try 3; tries
// 1–2 failed: execution: connection refused"; "" when none failed (one
// try, or tries that retry.until or repeat asked for). Only the TRIES
// column hinted at such a try, and a step that needed three reads as
// healthy as one that needed one.
func retriedNote(attempts int, log []Attempt, omittedFailed, n int) string {
	if attempts < 2 {
		return ""
	}
	failed, first := omittedFailed, (*Attempt)(nil)
	for i := range log {
		if log[i].Error == nil {
			continue
		}
		failed++
		if first == nil {
			first = &log[i]
		}
	}
	if failed == 0 {
		return ""
	}
	earlier := attempts - 1
	var note string
	switch {
	case earlier == 1:
		note = "passed on try 2; try 1 failed"
	case failed >= earlier:
		note = fmt.Sprintf("passed on try %d; tries 1–%d failed", attempts, earlier)
	default:
		note = fmt.Sprintf("passed on try %d; %d of %d earlier tries failed", attempts, failed, earlier)
		if first != nil {
			note += fmt.Sprintf("; try %d", first.Attempt)
		}
	}
	room := n - utf8.RuneCountInString(note) - 2
	if first == nil || room < minRetriedErr {
		return midClip(note, n)
	}
	return note + ": " + oneLine(errText(first.Error), room)
}

// minRetriedErr is the fewest characters of a try's error retriedNote
// shows: fewer say nothing of why it failed.
const minRetriedErr = 20

// retriedItemsNote is the part of a fan-out's note that names its items
// that succeeded only after tries that failed, in at most n characters:
// "item web-2 (#1) passed on try 3; tries 1–2 failed: …", after "3 items
// passed after failed tries; " when more than one did; "" when none did.
// Its items have rows of their own only in some formats, and only when
// they have labels.
func retriedItemsNote(s *Step, n int) string {
	k, first := 0, (*Item)(nil)
	for i := range s.Items {
		it := &s.Items[i]
		if it.Status == StatusSucceeded && retriedNote(it.Attempts, it.AttemptLog, it.AttemptsOmittedFailed, n) != "" {
			k++
			if first == nil {
				first = it
			}
		}
	}
	if k == 0 {
		return ""
	}
	head := itemRef(first) + " "
	if k > 1 {
		head = fmt.Sprintf("%d items passed after failed tries; ", k) + head
	}
	room := n - utf8.RuneCountInString(head)
	return head + retriedNote(first.Attempts, first.AttemptLog, first.AttemptsOmittedFailed, max(room, 0))
}

// retriedStepNote is retriedNote of a step that succeeded, or of its
// items; "" for a step that did not succeed, or that a resumed run reused:
// its tries were the earlier run's.
func retriedStepNote(s *Step, n int) string {
	if s.Status != StatusSucceeded || s.Reused {
		return ""
	}
	if fanOut(s) {
		return retriedItemsNote(s, n)
	}
	return retriedNote(s.Attempts, s.AttemptLog, s.AttemptsOmittedFailed, n)
}
