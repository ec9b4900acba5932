// Package since reads how far back a listing reaches, as 'history
// --since' and the since of GET /api/v1/runs take it: how long ago, a
// positive duration in Go syntax that also takes days and weeks, which
// time.ParseDuration does not (36h, 2d, 1w, 1d12h), or a moment with its
// zone (2026-12-05T02:00:00Z, 2026-12-05T03:00+01:00).
package since

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Form is how a reader writes the value, for the messages that tell what
// to give instead: a flag (--since 24h) or a query parameter (since=24h).
type Form struct {
	Name  string // since, until
	Param bool
}

// Flag is the form of the flag --name.
func Flag(name string) Form { return Form{Name: name} }

// Param is the form of the query parameter name.
func Param(name string) Form { return Form{Name: name, Param: true} }

// String is the name as the reader writes it: --since, or since.
func (f Form) String() string {
	if f.Param {
		return f.Name
	}
	return "--" + f.Name
}

// give is the value v as the reader writes it: --since v, or since=v.
func (f Form) give(v string) string {
	if f.Param {
		return f.Name + "=" + v
	}
	return "--" + f.Name + " " + v
}

// Value is a value read: a duration ago (D) or a moment (At), and the text
// as given (Text), for messages that quote it back.
type Value struct {
	D    time.Duration
	At   time.Time
	Text string
}

// Moment is the time the value stands for at now; zero when not given.
func (v Value) Moment(now time.Time) time.Time {
	switch {
	case !v.At.IsZero():
		return v.At
	case v.D > 0:
		return now.Add(-v.D)
	}
	return time.Time{}
}

// Parse reads v, written in form f; now is when a time without a zone is
// judged from, to say which duration reaches it.
func Parse(v string, f Form, now time.Time) (Value, error) {
	if at, ok := ZonedTime(v); ok {
		return Value{At: at, Text: v}, nil
	}
	d, err := ParseDays(v)
	if hint, ok := TimeHint(f, v, now); err != nil && ok {
		// A date or time without a zone: the duration to give, or
		// the time with its zone.
		return Value{}, fmt.Errorf("%s", hint)
	}
	if err != nil && !durationSyntax.MatchString(v) && !dayUnit.MatchString(v) {
		// Neither a duration nor a time these layouts read (12/05/2026,
		// now): both forms are taken, so both are named.
		return Value{}, fmt.Errorf("%q is neither how long ago nor an RFC 3339 time; give one like 30m, 24h, 2d or 1w, or 2026-12-05T02:00:00Z", v)
	}
	if err != nil {
		return Value{}, err
	}
	if d <= 0 {
		return Value{}, fmt.Errorf("%q is not a positive duration; give one like 30m, 24h, 2d or 1w, or an RFC 3339 time", v)
	}
	return Value{D: d, Text: v}, nil
}

// layouts are the forms of a moment a reader may give: those with a zone
// (RFC 3339, and the same without seconds or with a space for the T) are
// taken as they are; a time without a zone is refused, read as UTC, as the
// history shows times, with the forms that reach it (TimeHint).
var layouts = []string{
	time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02",
}

// ZonedTime is the moment v names when it is a time with a zone, in one
// of layouts.
func ZonedTime(v string) (time.Time, bool) {
	// RFC 3339 lets the T and the Z be written in lower case; Go's
	// layouts take them in upper case only.
	v = strings.ToUpper(strings.TrimSpace(v))
	for _, layout := range layouts {
		if !strings.HasSuffix(layout, "Z07:00") {
			continue
		}
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// TimeHint says, when v is a moment without a zone rather than a duration
// (a date, a date and time, "today" or "yesterday"), which duration
// reaches back to it from now and how to write it with its zone, for the
// refusal of v in form f; false when v is no moment.
func TimeHint(f Form, v string, now time.Time) (string, bool) {
	now = now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var at time.Time
	kind := "a time without a zone"
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "today":
		at, kind = midnight, "a day's name"
	case "yesterday":
		at, kind = midnight.AddDate(0, 0, -1), "a day's name"
	default:
		found := false
		for _, layout := range layouts {
			if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
				at, found = t.UTC(), true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	msg := fmt.Sprintf("%q is %s, and %s takes how long ago (30m, 24h, 2d or 1w) or an RFC 3339 time: %s UTC ", v, kind, f, at.Format("2006-01-02 15:04"))
	zoned := at.Format(time.RFC3339)
	if !at.Before(now) {
		return msg + fmt.Sprintf("is still to come; give how long ago, like 24h, or %s", f.give(zoned)), true
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
	return msg + fmt.Sprintf("was %s ago; give %s, or %s", d, f.give(d), f.give(zoned)), true
}

// dayUnit matches a number of days or weeks inside a duration.
var dayUnit = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)([dw])`)

// ParseDays parses a duration in Go syntax, with d (24h) and w (7d) as
// units too.
func ParseDays(v string) (time.Duration, error) {
	s := dayUnit.ReplaceAllStringFunc(v, func(m string) string {
		p := dayUnit.FindStringSubmatch(m)
		n, _ := strconv.ParseFloat(p[1], 64)
		hours := 24.0
		if p[2] == "w" {
			hours = 7 * 24
		}
		return strconv.FormatFloat(n*hours, 'f', -1, 64) + "h"
	})
	d, err := time.ParseDuration(s)
	if err != nil {
		if durationSyntax.MatchString(s) {
			// Well formed, but beyond what a duration holds.
			return 0, fmt.Errorf("%q is too long; the longest is %dd (about 292 years)", v, maxDays)
		}
		return 0, fmt.Errorf("%q is not a duration; give one like 30m, 24h, 2d or 1w", v)
	}
	return d, nil
}

// durationSyntax matches what time.ParseDuration reads, whatever its
// size.
var durationSyntax = regexp.MustCompile(`^[-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$`)

// maxDays is the most whole days a duration holds.
const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))
