package server

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSessionAfterClockSetBack: a session checked after the clock was
// set back past its issue time is refused with what happened and "sign
// in again", not as a token this server did not sign; signing in again
// works.
func TestSessionAfterClockSetBack(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	s, err := OpenSessions(t.TempDir(), time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	k := &apiKey{name: "ci", roles: []string{"operator"}}
	token, _, err := s.issue(k)
	if err != nil {
		t.Fatal(err)
	}
	now.Add(-120)
	if _, err := s.check(context.Background(), token); err == nil || errors.Is(err, errBadToken) ||
		!strings.Contains(err.Error(), "clock was set back") || !strings.HasSuffix(err.Error(), "sign in again") {
		t.Errorf("after the clock was set back 2m: %v", err)
	}
	again, _, err := s.issue(k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.check(context.Background(), again); err != nil {
		t.Errorf("signed in again after the clock was set back: %v", err)
	}
}
