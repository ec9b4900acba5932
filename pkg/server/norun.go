package server

import (
	"context"
	"errors"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// noRun is the 404 of a run id no run has. Every endpoint of a run takes
// its whole id, and acts on no guess; but an id copied short (from a
// terminal, a chat message, the console's narrow column) or with a
// character mistyped is what a person at an incident sends, so the answer
// names the runs whose ids it starts, or the run it is likely a typo of,
// and says to give the whole id as the run list gives it. The history is
// read for that within the bound of a read; when it cannot be, the answer
// says what it can.
func (s *Server) noRun(ctx context.Context, id string) *apiError {
	const give = "give the whole run id, as GET /api/v1/runs lists it"
	h := s.mgr.Service().History()
	if h == nil || id == "" {
		return notFound("no run %q; %s", id, give)
	}
	run, err := within(ctx, storeReadBound, func(ctx context.Context) (history.Run, error) { return store.FindRun(ctx, h, id) })
	var short *store.ShortID
	var amb *store.AmbiguousID
	switch {
	case err == nil && run.ID != id:
		// The one run whose id starts with it (or its id with the T
		// between date and time written as the history has it).
		return notFound("no run %q: it is the start of run %s; %s", id, run.ID, give)
	case errors.As(err, &short):
		return notFound("no run %q: it is the start of %s; %s", id, runsStarted(short.IDs, short.More), give)
	case errors.As(err, &amb):
		return notFound("no run %q: it is the start of %s; %s", id, runsStarted(amb.IDs, amb.More), give)
	case err != nil && store.Hint(err) != "":
		return notFound("no run %q%s; %s", id, store.Hint(err), give)
	}
	return notFound("no run %q; %s", id, give)
}

// runsStarted names the runs whose ids a start is the start of, with "…"
// when more share it than are named.
func runsStarted(ids []string, more bool) string {
	if len(ids) == 1 && !more {
		return "run " + ids[0]
	}
	list := strings.Join(ids, ", ")
	if more {
		list += ", …"
	}
	return "several runs' ids, " + list
}
