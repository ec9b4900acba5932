package cli

import (
	"fmt"
	"strings"
	"time"
)

// sinceLayouts are the forms of a moment a reader may give --since or
// --until: those with a zone (RFC 3339, and the same without seconds or
// with a space for the T) are taken as they are; a time without a zone is
// refused, read as UTC, as the history shows times, with the forms that
// reach it (sinceTimeHint).
var sinceLayouts = []string{
	time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
}

// zonedTime is the moment v names when it is a time with a zone, in one
// of sinceLayouts.
func zonedTime(v string) (time.Time, bool) {
	// RFC 3339 lets the T and the Z be written in lower case; Go's
	// layouts take them in upper case only.
	v = strings.ToUpper(strings.TrimSpace(v))
	for _, layout := range sinceLayouts {
		if !strings.HasSuffix(layout, "Z07:00") {
			continue
		}
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// sinceTimeHint says, when v is a moment without a zone rather than a
// duration (a date, a date and time, "today" or "yesterday"), which
// duration reaches back to it from now and how to write it with its zone,
// for the refusal of --NAME v (since or until); false when v is no moment.
func sinceTimeHint(name, v string, now time.Time) (string, bool) {
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
	msg := fmt.Sprintf("%q is a time without a zone, and --%s takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: %s UTC ", v, name, at.Format("2006-01-02 15:04"))
	zoned := at.Format(time.RFC3339)
	if !at.Before(now) {
		return msg + fmt.Sprintf("is still to come; give how long ago, like 24h, or --%s %s", name, zoned), true
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
	return msg + fmt.Sprintf("was %s ago; give --%s %s, or --%s %s", d, name, d, name, zoned), true
}

// window is the moments --since and --until stand for at now: zero when
// not given. It refuses a window whose end is not after its start, naming
// both as given and in UTC.
func window(since, until *durationFlag, now time.Time) (from, to time.Time, err error) {
	from, to = since.moment(now), until.moment(now)
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, fmt.Errorf("--until %s (%s UTC) is not after --since %s (%s UTC): --since is where the window starts and --until where it ends, like --since 22h --until 21h",
			until.text, to.UTC().Format("2006-01-02 15:04:05"), since.text, from.UTC().Format("2006-01-02 15:04:05"))
	}
	return from, to, nil
}
