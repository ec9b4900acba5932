package cli

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// lowerOnce is a filter's values in lower case, as --log-level takes
// WARN, each once however often it was given.
func lowerOnce(values listFlag) []string {
	var out []string
	for _, v := range values {
		if v = strings.ToLower(v); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// runsFilter is what 'history' lists: f's other filters, for any of the
// statuses and any of the triggers (none given: all).
type runsFilter struct {
	f        history.Filter
	statuses []string
	triggers []string
}

// list returns the newest runs, up to f.Limit, that match any status and
// any trigger asked for, newest first as List orders them: one List per
// trigger, each taking all the statuses at once, merged, each already cut
// to the limit the merge is cut to.
func (r runsFilter) list(ctx context.Context, st store.Store) ([]history.Run, error) {
	f := r.f
	for _, s := range r.statuses {
		f.Statuses = append(f.Statuses, report.Status(s))
	}
	triggers := orAll(r.triggers)
	if len(triggers) == 1 {
		f.Trigger = history.Trigger(triggers[0])
		return st.List(ctx, f)
	}
	var all []history.Run
	for _, t := range triggers {
		f.Trigger = history.Trigger(t)
		runs, err := st.List(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, runs...)
	}
	slices.SortFunc(all, func(a, b history.Run) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	limit := r.f.Limit
	if limit <= 0 {
		limit = history.DefaultLimit
	}
	return all[:min(len(all), limit)], nil
}

// filtered reports whether any filter narrows the listing.
func (r runsFilter) filtered() bool {
	return r.f.Playbook != "" || len(r.statuses) > 0 || len(r.triggers) > 0 || !r.f.Since.IsZero() || !r.f.Before.IsZero()
}

// orAll is values, or the one value "" (List's any) when none is given.
func orAll(values []string) []string {
	if len(values) == 0 {
		return []string{""}
	}
	return values
}
