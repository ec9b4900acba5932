package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Timetable is when one schedule fires: the slots of its cron spec in its
// time zone. It is immutable and safe for concurrent use.
//
// Cron fields name wall-clock times in the zone, and each wall-clock time
// is one slot that fires at most once, at its first occurrence:
//   - a wall-clock time in a gap (the hour skipped when clocks go forward)
//     fires at the first instant after the gap; several such times, and a
//     slot at the very end of the gap, fire there together as one;
//   - a wall-clock time that occurs twice (the hour repeated when clocks go
//     back) fires on its first occurrence only.
//
// @every fires at multiples of its interval since 1970-01-01 00:00 UTC, so
// that its slots are the same before and after a restart and never move
// with daylight saving: @every 1h fires on the hour, @every 5m at :00, :05,
// and so on.
type Timetable struct {
	spec  string
	loc   *time.Location
	sched cron.Schedule // a robfig schedule read in UTC, as floating wall-clock times
	every int64         // seconds, for @every; 0 otherwise
}

// NewTimetable parses spec, as steps.ParseCron reads schedule.cron, for the
// time zone loc (nil means UTC). It refuses the specs ParseCron refuses:
// TZ=/CRON_TZ= prefixes, @every below one second or with a fraction of a
// second, and specs that never fire.
func NewTimetable(spec string, loc *time.Location) (*Timetable, error) {
	if loc == nil {
		loc = time.UTC
	}
	sched, problem := steps.ParseCron(spec, time.UTC, time.Now())
	if problem != "" {
		return nil, fmt.Errorf("schedule %q: %s", spec, problem)
	}
	t := &Timetable{spec: spec, loc: loc, sched: sched}
	if e, ok := sched.(cron.ConstantDelaySchedule); ok {
		t.every = int64(e.Delay / time.Second)
	}
	return t, nil
}

// ForSchedule is NewTimetable for a playbook's validated schedule.
func ForSchedule(sc *steps.Schedule) (*Timetable, error) {
	if sc == nil {
		return nil, errors.New("no schedule")
	}
	return NewTimetable(sc.Cron, sc.Location)
}

// Spec returns the cron spec the timetable was made from.
func (t *Timetable) Spec() string { return t.spec }

// Location returns the timetable's time zone.
func (t *Timetable) Location() *time.Location { return t.loc }

// Next returns the first slot strictly after `after`, in the timetable's
// zone, or the zero time when there is none in the next five years.
func (t *Timetable) Next(after time.Time) time.Time {
	if t.every > 0 {
		s := after.Unix()
		k := s / t.every
		if s < 0 && s%t.every != 0 {
			k-- // floor, for times before 1970
		}
		return time.Unix((k+1)*t.every, 0).In(t.loc)
	}
	local := after.In(t.loc)
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
		w := t.sched.Next(from)
		if w.IsZero() {
			return time.Time{}
		}
		if at := t.instant(w); at.After(after) {
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

// instant maps a floating wall-clock time w to the instant it names in the
// timetable's zone: its first occurrence when the clock passes it twice,
// and the end of the gap when the clock skips it.
func (t *Timetable) instant(w time.Time) time.Time {
	at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), t.loc)
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
		if first := at.Add(-time.Duration(before-now) * time.Second); first.Before(start) && floating(first.In(t.loc)).Equal(w) {
			return first.In(t.loc)
		}
	}
	return at
}

// Between returns the slots s with after < s <= upTo, oldest first, at most
// max of them: the newest max when there are more, with more set. It never
// walks more than a few times max slots, however far apart after and upTo
// are.
func (t *Timetable) Between(after, upTo time.Time, max int) (slots []time.Time, more bool) {
	if max < 1 || !upTo.After(after) {
		return nil, false
	}
	// Widen a window back from upTo until it holds max slots or reaches
	// after.
	for back := time.Minute; ; back *= 4 {
		from := upTo.Add(-back)
		final := !from.After(after) || back > 100*365*24*time.Hour
		if final {
			from = after
		}
		slots = slots[:0]
		more = false
		for s := t.Next(from); !s.IsZero() && !s.After(upTo); s = t.Next(s) {
			slots = append(slots, s)
			if len(slots) > max {
				slots = slots[1:]
				more = true
			}
		}
		if final {
			return slots, more
		}
		if len(slots) >= max {
			// Slots between after and the window were left out, if any.
			return slots, more || !t.Next(after).After(from)
		}
	}
}
