package store

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// UnknownID is FindRun's error for an id that no run has, nor starts:
// errors.Is(err, history.ErrNotFound) holds. Near is the id of the run it
// is likely a typo of (a character changed, left out, added or two
// swapped, in the whole id or in a start of it that only that run has),
// or "".
type UnknownID struct {
	ID   string
	Near string
}

func (u *UnknownID) Error() string {
	return "no run " + u.ID + Hint(u)
}

func (u *UnknownID) Unwrap() error { return history.ErrNotFound }

// Hint is ` (did you mean "ID"?)` for a run id FindRun found none of
// (its error err) but a recorded run's id is likely a typo of, or "".
func Hint(err error) string {
	var u *UnknownID
	if !errors.As(err, &u) || u.Near == "" {
		return ""
	}
	return suggest.Hint(u.Near)
}

// nearCandidates bounds how many runs NearID compares an id with in each
// of its two reads: the newest runs, and those of the id's day.
const nearCandidates = 1000

// nearID is the id of a run in h that id is likely a typo of, or "" (also
// when the history cannot be read: the hint is only a help). It looks
// among the newest runs, where the run a person has just seen is, and
// among those started on the day id names, for an older one. An id
// shorter than a run's date and time is never taken for one.
func nearID(ctx context.Context, h History, id string) string {
	if len(id) < len(dateAndTime) {
		return ""
	}
	filters := []history.Filter{{Limit: nearCandidates}}
	if day := id[:8]; strings.Trim(day, "0123456789") == "" {
		filters = append(filters, history.Filter{IDPrefix: day, Limit: nearCandidates})
	}
	var ids []string
	for _, f := range filters {
		runs, err := h.List(ctx, f)
		if err != nil {
			return ""
		}
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
	}
	return Near(id, ids)
}

// Near is the one of ids that id is likely a typo of: a character wrong,
// left out, added or two swapped, in the whole id or in a start of it
// that no other of ids has; or "". An id shorter than a run's date and
// time is never taken for one.
func Near(id string, ids []string) string {
	if len(id) < len(dateAndTime) {
		return ""
	}
	// A start of an id is compared with the starts of the same length,
	// and stands for a run only when one run has that start.
	byStart := map[string][]string{}
	var starts []string
	for _, x := range ids {
		s := x[:min(len(x), len(id))]
		have := byStart[s]
		if len(have) == 0 {
			starts = append(starts, s)
		}
		if !slices.Contains(have, x) {
			byStart[s] = append(have, x)
		}
	}
	s, ok := suggest.Closest(id, starts)
	if !ok || len(byStart[s]) != 1 {
		return ""
	}
	return byStart[s][0]
}
