package runs

import (
	"context"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/store"
)

// settledStore is the state dir's store as Service.History gives it, its
// executes answering before their history is committed (recorder.async):
// each read of runs first waits for the executes that have answered to
// be written, so that a caller who got a run id finds the run. Writes,
// slots, the cache and the rest go to the store as they are, and so do
// the methods of the SQLite store beyond store.Store (QueuedSlots, which
// the scheduler looks for): it embeds the store itself, not the
// interface, which would hide them.
type settledStore struct {
	*history.Store
	rec *recorder
}

var _ store.Store = settledStore{}

func (s settledStore) List(ctx context.Context, f history.Filter) ([]history.Run, error) {
	s.rec.settle(ctx)
	return s.Store.List(ctx, f)
}

func (s settledStore) Get(ctx context.Context, id string) (history.Run, error) {
	s.rec.settle(ctx)
	return s.Store.Get(ctx, id)
}

func (s settledStore) Steps(ctx context.Context, runID string) ([]history.StepRow, error) {
	s.rec.settle(ctx)
	return s.Store.Steps(ctx, runID)
}

func (s settledStore) Stats(ctx context.Context, since, until time.Time) ([]history.OpStats, []history.PlaybookStats, error) {
	s.rec.settle(ctx)
	return s.Store.Stats(ctx, since, until)
}

func (s settledStore) ResourceStats(ctx context.Context, since time.Time) ([]history.OpResources, error) {
	s.rec.settle(ctx)
	return s.Store.ResourceStats(ctx, since)
}

func (s settledStore) ReadReport(ctx context.Context, runID string) ([]byte, error) {
	s.rec.settle(ctx)
	return s.Store.ReadReport(ctx, runID)
}

func (s settledStore) Prune(ctx context.Context, keepRuns, keepDays int) ([]string, error) {
	s.rec.settle(ctx)
	return s.Store.Prune(ctx, keepRuns, keepDays)
}
