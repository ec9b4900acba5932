package scheduler

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/arsenal-run/arsenal-run/pkg/internal/cronzone"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// Timetable is when one schedule fires: the slots of its cron spec in its
// time zone. It is immutable and safe for concurrent use.
//
// Cron fields name wall-clock times in the zone, and each wall-clock time
// is one slot that fires at most once, at its first occurrence, or at the
// end of the gap when clocks go forward past it (see package cronzone).
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
	return cronzone.Next(t.sched, t.loc, after)
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
