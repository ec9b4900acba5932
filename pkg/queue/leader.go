package queue

import (
	"context"
	"errors"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// Lead runs lead on whichever replica holds the database's scheduler
// lock, until ctx ends: every Lease/3 a replica that does not lead tries
// the lock; the one that gets it runs lead, and checks the lock's
// connection as often. When the connection breaks (the database
// restarted, the network failed) lead's context ends and the replica
// tries again, as the others do: within a lease or so another one takes
// over. A replica killed outright loses the lock at once, with its
// connection. Two replicas may lead for a moment after a partition; the
// scheduler's slots are claimed once in the store whatever the number of
// leaders, so a slot still fires once.
func (q *Queue) Lead(ctx context.Context, lead func(ctx context.Context) error) {
	q.leadAt(ctx, q.cfg.Store.ConnString(), q.cfg.Store.Lease()/3, lead)
}

// leadAt is Lead on the database at url, tried every every.
func (q *Queue) leadAt(ctx context.Context, url string, every time.Duration, lead func(ctx context.Context) error) {
	// A database that does not answer makes each try wait: that is said
	// in the log, as the queue's other lines are, not bare on stderr
	// (the store's own word, where nothing else catches it). Only the try
	// says so: the leader's own work has its own words.
	try := postgres.WithNotice(ctx, func(msg string) {
		q.log.Warn().Msg("trying for the leadership: " + msg)
	})
	for {
		lock, err := postgres.LockScheduler(try, url)
		var held *postgres.LockedError
		switch {
		case err == nil:
			q.leadWith(ctx, lock, every, lead)
		case errors.As(err, &held):
		case ctx.Err() == nil:
			q.log.Warn().Err(err).Msg("could not try for the leadership")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (q *Queue) leadWith(ctx context.Context, lock *postgres.SchedulerLock, every time.Duration, lead func(ctx context.Context) error) {
	defer lock.Unlock()
	q.leading.Store(true)
	q.metrics.Leader.Set(1)
	q.metrics.LeaderChanges.Inc()
	q.log.Info().Msg("this replica leads: it fires the schedules")
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- lead(lctx) }()
	t := time.NewTicker(every)
	defer t.Stop()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				q.log.Error().Err(err).Msg("the scheduler stopped")
			}
			running = false
			continue
		case <-t.C:
		}
		pctx, pcancel := context.WithTimeout(ctx, every)
		err := lock.Alive(pctx)
		pcancel()
		if err != nil && ctx.Err() == nil {
			q.log.Warn().Err(err).Msg("lost the leadership: the connection that held it broke")
			cancel()
			<-done
			running = false
		}
	}
	q.scheduling.Store(false)
	q.leading.Store(false)
	q.metrics.Leader.Set(0)
	q.metrics.LeaderChanges.Inc()
}

// Leading reports whether this replica holds the scheduler lock now.
func (q *Queue) Leading() bool { return q.leading.Load() }

// Schedules says, from within lead, that its scheduler has loaded the
// playbooks and fires them: only from then until the leadership ends does
// /healthz say leader: true (a replica that took the lock and still
// loads, or whose scheduler did not start, fires nothing).
func (q *Queue) Schedules() {
	if q.leading.Load() {
		q.scheduling.Store(true)
	}
}
