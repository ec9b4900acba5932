package queue

import (
	"errors"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// CallerCheck says why the caller of a queued run is no longer the one
// who asked for it (its key removed, expired or replaced, or given other
// roles), or "" when it still is. The API server, which holds the keys
// in force, sets one (SetCallerCheck).
type CallerCheck func(a RunArgs) string

// SetCallerCheck makes check the judge of the callers of the runs this
// replica starts from now on. A run may wait in the queue, and then on
// the replica that took it, across reloads of the keys file: it starts
// only if check finds its caller still in force there.
func (q *Queue) SetCallerCheck(check CallerCheck) { q.callers.Store(&check) }

// recheck is the runs.Request.Recheck of a queued run: as it takes its
// run slot here, its caller must still be in force (SetCallerCheck) and
// it is judged by this replica's policy of that moment (Config.Policy),
// not by the one it was queued or taken under.
func (q *Queue) recheck(a RunArgs) func() (*auth.Policy, error) {
	return func() (*auth.Policy, error) {
		if check := q.callers.Load(); check != nil {
			if why := (*check)(a); why != "" {
				return nil, errors.New(why)
			}
		}
		return q.cfg.Policy(), nil
	}
}
