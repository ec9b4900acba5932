package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// statsFresh is how long an answer of GET /api/v1/stats/operations is
// given again instead of read anew.
const statsFresh = 5 * time.Second

// statsCache computes operation statistics one request at a time and
// gives each answer again for statsFresh: a range reads every step row in
// it, up to a year of history, so any key repeating a cheap request could
// otherwise keep both cores busy.
type statsCache struct {
	turn chan struct{} // holds one token: whose turn it is to compute
	rng  time.Duration
	at   time.Time
	ops  []history.OpStats
}

func newStatsCache() *statsCache {
	c := &statsCache{turn: make(chan struct{}, 1)}
	c.turn <- struct{}{}
	return c
}

// get returns the statistics of the last rng before now, computed by read
// within the store's read bound, or the answer computed for the same range
// less than statsFresh before.
func (c *statsCache) get(ctx context.Context, rng time.Duration, now time.Time,
	read func(ctx context.Context, since time.Time) ([]history.OpStats, error)) ([]history.OpStats, error) {
	select {
	case <-c.turn:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { c.turn <- struct{}{} }()
	if c.ops != nil && c.rng == rng && now.Sub(c.at) < statsFresh && !now.Before(c.at) {
		return c.ops, nil
	}
	ops, err := within(ctx, storeReadBound, func(ctx context.Context) ([]history.OpStats, error) {
		return read(ctx, now.Add(-rng))
	})
	if err != nil {
		return nil, err
	}
	c.rng, c.at, c.ops = rng, now, ops
	return ops, nil
}

// maxStatsRange is the longest range the statistics cover.
const maxStatsRange = 366 * 24 * time.Hour

// parseRange reads a Go duration, or a number of days like 7d, positive
// and up to maxStatsRange. The days are checked before they are turned
// into a duration, which a large number would overflow.
func parseRange(v string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		if n <= 0 || n > int(maxStatsRange/(24*time.Hour)) {
			return 0, strconv.ErrRange
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, err
		}
	}
	if d <= 0 || d > maxStatsRange {
		return 0, strconv.ErrRange
	}
	return d, nil
}
