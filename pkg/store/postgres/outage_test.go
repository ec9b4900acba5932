package postgres

import (
	"testing"
	"time"
)

// TestUnreachableSpans: an outage runs from the last heartbeat that went
// through before the first failure to the first one after; times outside
// every outage were reachable, and an outage under way has no end yet.
func TestUnreachableSpans(t *testing.T) {
	s := &Store{okAt: time.Now().Add(-time.Hour)}
	before := time.Now().Add(-2 * time.Hour)
	s.lost()
	s.lost()
	during := time.Now()
	if !s.Unreachable(during) || !s.Unreachable(during.Add(time.Hour)) {
		t.Errorf("an outage under way: not unreachable")
	}
	time.Sleep(time.Millisecond)
	s.reached()
	after := time.Now().Add(time.Millisecond)
	if s.Unreachable(before) || !s.Unreachable(during) || s.Unreachable(after) {
		t.Errorf("before %v, during %v, after %v; want false, true, false",
			s.Unreachable(before), s.Unreachable(during), s.Unreachable(after))
	}
	if len(s.outages) != 1 {
		t.Errorf("outages: %+v, want one", s.outages)
	}
	for range 2 * maxOutages {
		s.lost()
		s.reached()
	}
	if len(s.outages) != maxOutages {
		t.Errorf("kept %d outages, want at most %d", len(s.outages), maxOutages)
	}
}
