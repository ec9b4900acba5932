package queue

import (
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// outage tells whether err, the error of one of the reaper's statements
// (nil for one that succeeded), is the database being away, and logs the
// outage once, when it begins, and its end once, when a statement
// succeeds again: the reaper looks every third of the lease, and a
// warning at each look while the database restarts or fails over would
// bury the lines that matter. A reap that meets the outage stops there.
func (q *Queue) outage(err error) bool {
	if err == nil {
		if since := q.awaySince.Swap(0); since != 0 {
			q.log.Info().Str("away_for", time.Since(time.Unix(0, since)).Round(time.Second).String()).
				Msg("the database answers again: dead replicas' runs are looked for again")
		}
		return false
	}
	if !postgres.Unreachable(err) {
		return false
	}
	if q.awaySince.CompareAndSwap(0, time.Now().UnixNano()) {
		q.log.Warn().Err(err).Msg("the database is unreachable: queued runs wait and the runs of dead replicas are not looked for until it answers (logged once, and again when it does)")
	}
	return true
}
