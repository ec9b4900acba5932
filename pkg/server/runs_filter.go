package server

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/since"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// runFilter reads the filters of GET /api/v1/runs at now, refusing a bad
// one with its field.
func runFilter(q url.Values, now time.Time) (history.Filter, *apiError) {
	f := history.Filter{Playbook: q.Get("playbook"), Trigger: history.Trigger(q.Get("trigger")), Limit: history.DefaultLimit}
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
	if v := q.Get("since"); v != "" {
		val, err := since.Parse(plusOffset(v), since.Param("since"), now)
		if err != nil {
			return f, badField("since", "since: %v", err)
		}
		f.Since = val.Moment(now)
		// Before a cursor, a since given as how long ago may have moved
		// past the previous page's end: that page was the last.
		if !f.Before.IsZero() && f.BeforeID == "" && !f.Since.Before(f.Before) {
			return f, badField("since", "since=%s (%s UTC) is not before before=%s (%s UTC): since is where the listing reaches back to and before where it ends, like since=24h&before=2026-12-05T00:00:00Z",
				v, f.Since.UTC().Format("2006-01-02 15:04:05"), q.Get("before"), f.Before.UTC().Format("2006-01-02 15:04:05"))
		}
	}
	if v := q.Get("status"); v != "" {
		sts, e := statusList(v)
		if e != nil {
			return f, e
		}
		f.Statuses = sts
	}
	if v := q.Get("trigger"); v != "" && !slices.Contains([]string{"cli", "schedule", "api"}, v) {
		return f, badField("trigger", "trigger=%q is not a trigger%s; give cli, schedule or api", v, history.TriggerHint(strings.ToLower(v)))
	}
	return f, nil
}

// statusList reads status: one status, or several separated by commas
// (failed,cancelled), each once, refusing an empty item or a word that is
// no status with the field and the statuses there are.
func statusList(v string) ([]report.Status, *apiError) {
	statuses := runStatuses()
	var out []report.Status
	for item := range strings.SplitSeq(v, ",") {
		switch {
		case item == "":
			return nil, badField("status", "status=%q has an empty item; give one status or several separated by single commas, like status=failed,cancelled", v)
		case !slices.Contains(statuses, item):
			what := fmt.Sprintf("status=%q", item)
			if item != v {
				what = fmt.Sprintf("status=%q: %q", v, item)
			}
			return nil, badField("status", "%s is not a run status%s; give one of %s, or several separated by commas, like status=failed,cancelled",
				what, history.StatusHint(strings.ToLower(item), statuses), strings.Join(statuses, ", "))
		case !slices.Contains(out, report.Status(item)):
			out = append(out, report.Status(item))
		}
	}
	return out, nil
}

// runStatuses are the statuses GET /api/v1/runs filters by: those of the
// history, and queued, as a run of this process waits before it reaches
// the history.
func runStatuses() []string { return append(history.Statuses(), string(runs.StateQueued)) }

// matches reports whether a run of this process belongs on the page f
// selects, as history's List would select it.
func matches(f history.Filter, info runInfo) bool {
	return (f.Playbook == "" || info.Playbook == f.Playbook) && f.HasStatus(report.Status(info.Status)) &&
		(f.Trigger == "" || info.Trigger == string(f.Trigger)) && (f.Before.IsZero() || afterPage(f, info)) && fromSince(f, info)
}

// fromSince reports whether a run started at or after f.Since, to the
// millisecond as history keeps it and selects.
func fromSince(f history.Filter, info runInfo) bool {
	return f.Since.IsZero() || !cursorOf(info).at.Before(time.UnixMilli(f.Since.UnixMilli()))
}

// plusOffset is v with the + of a zone's offset that a query string read
// as a space (since=2026-12-05T03:00:00+01:00 not written %2B) put back.
func plusOffset(v string) string {
	i := strings.LastIndex(v, " ")
	if i < 0 {
		return v
	}
	if _, ok := since.ZonedTime(v); ok {
		return v
	}
	if _, ok := since.ZonedTime(v[:i] + "+" + v[i+1:]); ok {
		return v[:i] + "+" + v[i+1:]
	}
	return v
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
