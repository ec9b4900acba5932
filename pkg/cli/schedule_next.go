package cli

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/scheduler"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// previewFrom is where 'schedule --next' starts: now, or the --from time,
// an instant or a date whose midnight is each playbook's own.
type previewFrom struct {
	now  time.Time // without --from
	at   time.Time // an RFC 3339 --from
	date string    // a --from date, 2006-01-02
}

// parseFrom reads the --from value s: an RFC 3339 time, or a date meaning
// midnight in each playbook's time zone. The message names the flag and
// both forms, or what is wrong with a value of the right shape: a day or
// month that does not exist, a field out of range, a missing offset.
func parseFrom(s string) (previewFrom, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return previewFrom{date: s}, nil
	}
	at, err := time.Parse(time.RFC3339, s)
	if err == nil {
		return previewFrom{at: at}, nil
	}
	return previewFrom{}, fromProblem(s, err)
}

// fromForms says how to write --from.
const fromForms = "write a time with its offset, like 2027-03-14T01:00:00-05:00 or 2027-03-14T06:00:00Z, or a date, like 2027-03-14 (midnight in each playbook's time zone)"

// fromDate matches a value that starts as a date: year, month, day.
var fromDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:$|[Tt])`)

// fromProblem explains why s, which time.Parse refused as RFC 3339 with
// err, is not a --from value.
func fromProblem(s string, err error) error {
	if m := fromDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mon, _ := strconv.Atoi(m[2])
		day, _ := strconv.Atoi(m[3])
		rest := s[len("2006-01-02"):]
		if mon < 1 || mon > 12 {
			return fmt.Errorf("--from %q: there is no month %d; the month is 01 to 12, like %04d-12-%s%s", s, mon, y, m[3], rest)
		}
		last := time.Date(y, time.Month(mon)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if day < 1 || day > last {
			like := min(max(day, 1), last)
			return fmt.Errorf("--from %q: %s %d has days 01 to %d, so day %d does not exist; give a day that does, like %04d-%02d-%02d%s", s, time.Month(mon), y, last, day, y, mon, like, rest)
		}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && strings.HasSuffix(pe.Message, "out of range") {
		return fmt.Errorf("--from %q is not a time: %s; %s", s, strings.TrimPrefix(pe.Message, ": "), fromForms)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return fmt.Errorf("--from %q has no offset, so it could be that time in any zone; add one, like %sZ for UTC or %s-05:00, or give a date, like %s (midnight in each playbook's time zone)", s, s, s, s[:len("2006-01-02")])
	}
	return fmt.Errorf("--from %q is neither an RFC 3339 time nor a date; %s", s, fromForms)
}

// start is the first instant whose slot is listed for a timetable in loc,
// and whether it was given (and so is shown).
func (f previewFrom) start(loc *time.Location) (time.Time, bool) {
	switch {
	case f.date != "":
		at, _ := time.ParseInLocation(time.DateOnly, f.date, loc)
		return at, true
	case !f.at.IsZero():
		return f.at, true
	}
	return f.now, false
}

// writeNextFires prints the next n slots of each playbook from from (a
// slot at a --from time itself included): a header line, then one line per
// slot, in the playbook's zone and in UTC. The slots are the scheduler's
// own (scheduler.Timetable), daylight saving included.
func writeNextFires(w io.Writer, pbs []*steps.Playbook, from previewFrom, n int) error {
	var b strings.Builder
	for i, pb := range pbs {
		tt, err := scheduler.ForSchedule(pb.Schedule)
		if err != nil {
			return fmt.Errorf("%s: %w", pb.File, err)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s): cron %q, time zone %s", pb.Name, pb.File, pb.Schedule.Cron, tt.Location())
		at, given := from.start(tt.Location())
		if given {
			fmt.Fprintf(&b, ", from %s", at.In(tt.Location()).Format(time.RFC3339))
			// Slots are whole seconds: one at the --from time is listed.
			at = at.Add(-time.Nanosecond)
		}
		b.WriteString("\n")
		for range n {
			at = tt.Next(at)
			if at.IsZero() {
				b.WriteString("  no later fire time in the next five years\n")
				break
			}
			fmt.Fprintf(&b, "  %-25s  %s\n", at.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
