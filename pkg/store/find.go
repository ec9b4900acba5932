package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// FindRun is the run id names in h: its whole id, or a start of it that
// names one run, as git and docker take a unique start of an id (the id
// is long, and a terminal or a chat message may have cut it). At least
// the date and time (15 characters) are needed, so that a short guess
// never picks a run. A lower-case t between the date and the time is
// taken as the T. A start several runs share is an *AmbiguousID error,
// one too short a *ShortID; no run at all is an *UnknownID, which is
// history.ErrNotFound and names the run id may be a typo of.
func FindRun(ctx context.Context, h History, id string) (history.Run, error) {
	id = RunIDCase(id)
	run, err := h.Get(ctx, id)
	if !errors.Is(err, history.ErrNotFound) {
		return run, err
	}
	runs, err := h.List(ctx, history.Filter{IDPrefix: id, Limit: 6})
	switch {
	case err != nil:
		return history.Run{}, err
	case len(runs) == 0:
		return history.Run{}, &UnknownID{ID: id, Near: nearID(ctx, h, id)}
	case len(id) < len(dateAndTime):
		// Not "no run": runs start with it, but it is too short to
		// name one of them.
		return history.Run{}, &ShortID{Prefix: id, IDs: idsOf(runs), More: len(runs) > 5}
	case len(runs) > 1:
		return history.Run{}, &AmbiguousID{Prefix: id, IDs: idsOf(runs), More: len(runs) > 5}
	}
	return runs[0], nil
}

// dateAndTime is the shape of the start of a run id that FindRun needs.
const dateAndTime = "20060102T150405"

// RunIDCase is id with the T between its date and time upper case, as
// run ids have it: 20261205t221018 as typed names 20261205T221018.
func RunIDCase(id string) string {
	if len(id) > 8 && id[8] == 't' && strings.Trim(id[:8], "0123456789") == "" {
		return id[:8] + "T" + id[9:]
	}
	return id
}

// idsOf is the ids of the first five runs, for an error to list.
func idsOf(runs []history.Run) []string {
	ids := make([]string, 0, 5)
	for _, r := range runs[:min(len(runs), 5)] {
		ids = append(ids, r.ID)
	}
	return ids
}

// AmbiguousID is the error of a run id's start that several runs share.
type AmbiguousID struct {
	Prefix string
	IDs    []string // the first five runs it starts
	More   bool     // more runs than IDs start with it
}

func (a *AmbiguousID) Error() string {
	return fmt.Sprintf("%q starts the ids of several runs: %s; give more of the id", a.Prefix, idList(a.IDs, a.More))
}

// ShortID is the error of a start of run ids shorter than their date and
// time.
type ShortID struct {
	Prefix string
	IDs    []string // the first five runs it starts
	More   bool     // more runs than IDs start with it
}

func (p *ShortID) Error() string {
	return fmt.Sprintf("%q is too short to name a run: give the whole id, or a start of it at least as long as its date and time (%s); runs whose id starts with it: %s",
		p.Prefix, p.IDs[0][:min(len(p.IDs[0]), len(dateAndTime))], idList(p.IDs, p.More))
}

func idList(ids []string, more bool) string {
	list := strings.Join(ids, ", ")
	if more {
		list += ", …"
	}
	return list
}

// IDProblem says what is wrong with a run id that FindRun could not take
// as a command's error reads it; ok is false for any other error, which
// the caller reports as it does a store's.
func IDProblem(err error) (msg string, ok bool) {
	var short *ShortID
	var amb *AmbiguousID
	if errors.As(err, &short) || errors.As(err, &amb) {
		return err.Error(), true
	}
	return "", false
}
