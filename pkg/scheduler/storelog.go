package scheduler

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/internal/short"
)

// storeLogEvery is how often a history that keeps failing is logged again
// with the same error: a disk full for a weekend is a few hundred lines,
// not one every retry (storeRetry) for each playbook that comes due.
const storeLogEvery = 10 * time.Minute

// storeFailed records that the store failed at now with err (s.mu held),
// for /healthz, and logs it at error level when it is new, says something
// else than the last line, or was last logged storeLogEvery ago (with
// since, the start of the failure); otherwise at debug level. msg is the
// line's message.
func (s *Scheduler) storeFailed(now time.Time, err error, msg string, fields func(*zerolog.Event) *zerolog.Event) {
	text := err.Error()
	repeat := s.storeErr != nil
	if !repeat {
		s.storeSince = now
	}
	s.storeErr = &Problem{At: now, Message: text}
	ev := s.log.Debug()
	if !repeat || text != s.storeLoggedText || now.Sub(s.storeLogged) >= storeLogEvery || now.Before(s.storeLogged) {
		ev = s.log.Error()
		s.storeLogged, s.storeLoggedText = now, text
	}
	if repeat {
		ev = ev.Str("since", s.storeSince.UTC().Format(time.RFC3339))
	}
	if fields != nil {
		ev = fields(ev)
	}
	ev.Err(err).Msg(msg)
}

// storeRecovered clears the store's failure once it records slots again
// (s.mu held), and says so when it had failed.
func (s *Scheduler) storeRecovered(now time.Time) {
	if s.storeErr == nil {
		return
	}
	s.log.Info().Str("since", s.storeSince.UTC().Format(time.RFC3339)).Str("failed_for", short.Duration(now.Sub(s.storeSince).Round(time.Second))).Msg("the history records slots again; firing resumes")
	s.storeErr = nil
	s.storeLogged, s.storeLoggedText = time.Time{}, ""
}
