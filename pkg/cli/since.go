package cli

import (
	"fmt"
	"strings"
	"time"
)

// sinceLayouts are the forms of a moment a reader may give --since, which
// takes how long ago instead: a time without a zone is UTC, as the
// history shows times.
var sinceLayouts = []string{
	time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
}

// sinceTimeHint says, when v is a moment rather than a duration (a date,
// a date and time, "today" or "yesterday"), which duration reaches back
// to it from now, for the refusal of --since v; false when v is no
// moment.
func sinceTimeHint(v string, now time.Time) (string, bool) {
	now = now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var at time.Time
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "today":
		at = midnight
	case "yesterday":
		at = midnight.AddDate(0, 0, -1)
	default:
		found := false
		for _, layout := range sinceLayouts {
			if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
				at, found = t.UTC(), true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	msg := fmt.Sprintf("%q is a time, and --since takes how long ago (30m, 24h, 2d or 1w): %s UTC ", v, at.Format("2006-01-02 15:04"))
	if !at.Before(now) {
		return msg + "is still to come; give how long ago, like 24h", true
	}
	ago := now.Sub(at).Round(time.Second)
	minutes := int64((ago + time.Minute - 1) / time.Minute) // up: the whole moment in the window
	d := fmt.Sprintf("%dh%dm", minutes/60, minutes%60)
	switch {
	case minutes < 60:
		d = fmt.Sprintf("%dm", minutes)
	case minutes%60 == 0:
		d = fmt.Sprintf("%dh", minutes/60)
	}
	return msg + fmt.Sprintf("was %s ago; give --since %s", d, d), true
}
