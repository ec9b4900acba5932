package server

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// runFilter reads the filters of GET /api/v1/runs, refusing a bad one
// with its field.
func runFilter(q url.Values) (history.Filter, *apiError) {
	f := history.Filter{Playbook: q.Get("playbook"), Status: report.Status(q.Get("status")), Trigger: history.Trigger(q.Get("trigger")), Limit: history.DefaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, badField("limit", "limit=%q: give 1 to 1000", v)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		if t, ok := beforeTime(v); ok {
			f.Before = t
		} else if c, ok := parseCursor(v); ok {
			f.Before, f.BeforeID = c.at, c.id
		} else {
			return f, badField("before", "before=%q: give the next of the previous page's answer, as it is, to list the runs after that page (or an RFC 3339 time, to list the runs started before it)", v)
		}
	}
	// A run of this process waits as queued before it reaches the history.
	statuses := append(history.Statuses(), string(runs.StateQueued))
	if v := q.Get("status"); v != "" && !slices.Contains(statuses, v) {
		return f, badField("status", "status=%q is not a run status%s; give one of %s", v, history.StatusHint(strings.ToLower(v), statuses), strings.Join(statuses, ", "))
	}
	if v := q.Get("trigger"); v != "" && !slices.Contains([]string{"cli", "schedule", "api"}, v) {
		return f, badField("trigger", "trigger=%q is not a trigger%s; give cli, schedule or api", v, history.TriggerHint(strings.ToLower(v)))
	}
	return f, nil
}

// matches reports whether a run of this process belongs on the page f
// selects, as history's List would select it.
func matches(f history.Filter, info runInfo) bool {
	return (f.Playbook == "" || info.Playbook == f.Playbook) && (f.Status == "" || info.Status == string(f.Status)) &&
		(f.Trigger == "" || info.Trigger == string(f.Trigger)) && (f.Before.IsZero() || afterPage(f, info))
}

// beforeTime is the RFC 3339 time a before gives. A + in a query string
// that was not written %2B reaches here as a space ("…T00:00:00 01:00"):
// no time has a space there, so it is read as the + it stood for.
func beforeTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil && strings.Contains(v, " ") {
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(v, " ", "+"))
	}
	return t, err == nil
}

// cursor is a run's place in the listing's order: its start, to the
// millisecond as history keeps it, then its id.
type cursor struct {
	at time.Time
	id string
}

func cursorOf(info runInfo) cursor {
	return cursor{time.UnixMilli(info.StartedAt.UnixMilli()), info.ID}
}

// afterPage reports whether a run comes after the page that f.Before (and
// f.BeforeID) ends, as history's List selects.
func afterPage(f history.Filter, info runInfo) bool {
	if f.BeforeID == "" {
		return info.StartedAt.Before(f.Before)
	}
	return cursorOf(info).compare(cursor{time.UnixMilli(f.Before.UnixMilli()), f.BeforeID}) < 0
}

// compare orders cursors as the listing does, oldest first.
func (c cursor) compare(d cursor) int {
	if n := c.at.Compare(d.at); n != 0 {
		return n
	}
	return strings.Compare(c.id, d.id)
}

// String is the cursor as next gives it: opaque, URL-safe.
func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.at.UnixMilli(), 10) + "." + c.id))
}

// parseCursor reads a cursor that String wrote.
func parseCursor(v string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return cursor{}, false
	}
	msText, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(msText, 10, 64)
	if !ok || err != nil || id == "" {
		return cursor{}, false
	}
	return cursor{time.UnixMilli(n), id}, true
}
