package queue

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// snoozeFor is how long a job put back in the queue waits before any
// replica takes it again.
const snoozeFor = time.Second

// snooze puts the job back in the queue, for any replica, as River's
// JobSnooze does, but in its place in line. River writes a snoozed job
// due at now + snoozeFor, and gives jobs to workers by when they are due
// (see takenBefore): on its own, a run put back would go behind every run
// queued meanwhile, and its Ahead would grow. River offers no way to
// snooze a job and keep when it is due, and writes the snooze only after
// the worker returns; so once the snooze is over, keepPlace writes back
// the due time the job had. If this replica dies meanwhile, the run waits
// behind those queued before its snooze.
func (q *Queue) snooze(job *river.Job[RunArgs]) error {
	if !job.ScheduledAt.IsZero() {
		q.wg.Add(1)
		go func() {
			defer q.wg.Done()
			q.keepPlace(job.ID, job.Attempt, job.ScheduledAt)
		}()
	}
	return river.JobSnooze(snoozeFor)
}

// keepPlace gives the job id, snoozed at attempt, its due time at again,
// once River has written the snooze and the snooze is over (when the
// replica stops, at once, and tried once). A job taken meanwhile, or
// cancelled, is left alone.
func (q *Queue) keepPlace(id int64, attempt int, at time.Time) {
	wait := time.NewTimer(snoozeFor)
	defer wait.Stop()
	select {
	case <-wait.C:
	case <-q.stop:
	}
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var pending bool
		err := q.cfg.Store.Pool().QueryRow(ctx, `WITH kept AS (
				UPDATE river_job SET scheduled_at = $2
				WHERE id = $1 AND state IN ('available', 'scheduled') AND scheduled_at > $2
				RETURNING id)
			SELECT EXISTS (SELECT 1 FROM river_job WHERE id = $1 AND state = 'running' AND attempt = $3)`,
			id, at, attempt).Scan(&pending)
		cancel()
		if err == nil && !pending {
			return
		}
		// River has not written the snooze yet, or the database is away.
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-t.C:
		case <-q.stop:
			t.Stop()
			return // River wrote what it had to as it stopped: tried once
		}
	}
}
