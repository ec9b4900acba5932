// Package cronzone turns a cron schedule's wall-clock times into the
// instants they name in a time zone with daylight saving. It is the one
// rule of both the scheduler, which fires the slots, and validation, which
// measures the time between them (schedule.jitter).
//
// Cron fields name wall-clock times in the zone, and each wall-clock time
// is one slot that fires at most once, at its first occurrence:
//   - a wall-clock time in a gap (the hour skipped when clocks go forward)
//     fires at the first instant after the gap; several such times, and a
//     slot at the very end of the gap, fire there together as one;
//   - a wall-clock time that occurs twice (the hour repeated when clocks go
//     back) fires on its first occurrence only.
package cronzone

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Next returns the first slot of sched strictly after `after`, in loc, or
// the zero time when there is none in the next five years. sched is read
// in UTC, as floating wall-clock times: a robfig schedule parsed without a
// TZ= prefix. It is not for @every (cron.ConstantDelaySchedule), whose
// slots are elapsed time.
func Next(sched cron.Schedule, loc *time.Location, after time.Time) time.Time {
	local := after.In(loc)
	from := floating(local)
	// In the second pass through a repeated hour, the wall-clock times up
	// to the end of the repeat have had their first occurrence already.
	if end, ok := repeatEnd(local); ok && from.Before(end) {
		from = end.Add(-time.Nanosecond)
	}
	// A slot's instant is after `after` except in corner cases of zones
	// with several transitions close together; a bounded search covers
	// them.
	for range 1000 {
		w := sched.Next(from)
		if w.IsZero() {
			return time.Time{}
		}
		if at := instant(w, loc); at.After(after) {
			return at
		}
		from = w
	}
	return time.Time{}
}

// floating is t's wall-clock reading in its own zone, as a UTC time: a
// zone without daylight saving, where robfig's Next walks cleanly.
func floating(t time.Time) time.Time {
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, m, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// repeatEnd returns, when t is in a zone period that began by setting the
// clock back, the floating wall-clock time at which the repeated readings
// end.
func repeatEnd(t time.Time) (time.Time, bool) {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return time.Time{}, false
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, now := t.Zone()
	if before <= now {
		return time.Time{}, false
	}
	return floating(start).Add(time.Duration(before-now) * time.Second), true
}

// instant maps a floating wall-clock time w to the instant it names in
// loc: its first occurrence when the clock passes it twice, and the end of
// the gap when the clock skips it.
func instant(w time.Time, loc *time.Location) time.Time {
	at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
	if got := floating(at); !got.Equal(w) {
		// time.Date normalised a time in a gap to one side of it.
		start, end := at.ZoneBounds()
		if got.After(w) {
			return start
		}
		return end
	}
	start, _ := at.ZoneBounds()
	if start.IsZero() {
		return at
	}
	_, before := start.Add(-time.Nanosecond).Zone()
	_, now := at.Zone()
	if before > now {
		// The clock went back at start: w may have occurred first in
		// the zone period before.
		if first := at.Add(-time.Duration(before-now) * time.Second); first.Before(start) && floating(first.In(loc)).Equal(w) {
			return first.In(loc)
		}
	}
	return at
}
