package postgres

import "time"

// maxOutages bounds the outages a Store remembers: enough for a database
// that went away several times within a scheduler's takeover window.
const maxOutages = 16

// outage is a span in which a Store could not reach the database: from
// its last heartbeat that went through before the first failure (the
// database may have gone just after it) to its first one after; to is
// zero while the outage lasts.
type outage struct{ from, to time.Time }

// lost records that the database could not be reached; the first failure
// after a heartbeat that went through begins an outage.
func (s *Store) lost() {
	s.lostMu.Lock()
	defer s.lostMu.Unlock()
	now := time.Now()
	if n := len(s.outages); n == 0 || !s.outages[n-1].to.IsZero() {
		from := s.okAt
		if from.IsZero() {
			from = now
		}
		s.outages = append(s.outages, outage{from: from})
		if len(s.outages) > maxOutages {
			s.outages = s.outages[1:]
		}
	}
	s.lostAt = now
}

// reached records a heartbeat that went through; it ends the outage under
// way, if any.
func (s *Store) reached() {
	s.lostMu.Lock()
	defer s.lostMu.Unlock()
	s.okAt = time.Now()
	if n := len(s.outages); n > 0 && s.outages[n-1].to.IsZero() {
		s.outages[n-1].to = s.okAt
	}
}

// Unreachable reports whether this Store could not reach the database at
// t (give or take a heartbeat: Lease/6), as far as it knows since Open.
// The scheduler of a new leader asks it of the slots before its start
// that it will not fire: when the database was away, no replica could
// have fired them, which is not "the scheduler was not running".
func (s *Store) Unreachable(t time.Time) bool {
	s.lostMu.Lock()
	defer s.lostMu.Unlock()
	for _, o := range s.outages {
		if !t.Before(o.from) && (o.to.IsZero() || !t.After(o.to)) {
			return true
		}
	}
	return false
}
