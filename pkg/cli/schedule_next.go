package cli

import (
	"fmt"
	"io"
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
// both forms.
func parseFrom(s string) (previewFrom, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return previewFrom{date: s}, nil
	}
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		return previewFrom{at: at}, nil
	}
	return previewFrom{}, fmt.Errorf("--from %q is neither an RFC 3339 time nor a date; write a time with its offset, like 2027-03-14T01:00:00-05:00 or 2027-03-14T06:00:00Z, or a date, like 2027-03-14 (midnight in each playbook's time zone)", s)
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
