package server

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
)

// TestAuthCheckTakesNoLockUntilAFailure: while no address has failed,
// the check before every request does not take the limiter's lock, which
// every request of a busy server took in turn; once one has, the check
// counts it, and once its bucket refilled and was swept, the check is
// free again.
func TestAuthCheckTakesNoLockUntilAFailure(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	a := newAddrLimiter(auth.Rate{PerSecond: 1, Burst: 1}, func() time.Time { return now })
	if waitsForLock(t, a) {
		t.Fatal("the check before a request waits for the limiter's lock with no failure counted")
	}

	a.fail("192.0.2.1")
	if wait := a.blocked("192.0.2.1"); wait == 0 {
		t.Error("an address without tokens left may try again at once")
	}
	if wait := a.blocked("192.0.2.2"); wait != 0 {
		t.Errorf("another address must wait %v", wait)
	}
	now = now.Add(2 * sweepEvery)
	a.fail("192.0.2.3") // sweeps 192.0.2.1
	a.mu.Lock()
	delete(a.byIP, "192.0.2.3")
	a.swept = now.Add(-2 * sweepEvery)
	a.sweep(now)
	a.mu.Unlock()
	if waitsForLock(t, a) {
		t.Error("the check waits for the limiter's lock once the table is empty again")
	}
}

// waitsForLock reports whether a check of an address that never failed
// waits for a's lock, held meanwhile; the check must allow it.
func waitsForLock(t *testing.T, a *addrLimiter) bool {
	t.Helper()
	a.mu.Lock()
	got := make(chan time.Duration, 1)
	go func() { got <- a.blocked("198.51.100.7") }()
	for {
		select {
		case wait := <-got:
			a.mu.Unlock()
			if wait != 0 {
				t.Errorf("blocked = %v for an address that never failed, want 0", wait)
			}
			return false
		default:
			if parkedOnLimiter() {
				a.mu.Unlock()
				<-got
				return true
			}
			runtime.Gosched()
		}
	}
}

// parkedOnLimiter reports whether a goroutine waits for a mutex in
// addrLimiter.blocked.
func parkedOnLimiter() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		if strings.Contains(head, "[sync.Mutex.Lock") && strings.Contains(g, "(*addrLimiter).blocked(") {
			return true
		}
	}
	return false
}
