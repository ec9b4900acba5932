package postgres

import (
	"testing"
	"time"
)

// TestFenceComesDownWithoutRenewal: the fence stays up while heartbeats
// go through, comes down once none went through for its time, counted
// from when the last one was sent, and is up again, on a new channel,
// after the next one.
func TestFenceComesDownWithoutRenewal(t *testing.T) {
	const after = time.Second
	f := newFence(after, time.Now())
	defer f.stop()
	up := f.done
	for range 15 { // renewed every tenth of it: stays up
		time.Sleep(after / 10)
		f.renewed(time.Now())
	}
	if isDown(up) {
		t.Fatal("the fence came down while heartbeats went through")
	}
	// A heartbeat that went through late, sent long ago, renews nothing.
	f.renewed(time.Now().Add(-time.Hour))
	select {
	case <-up:
	case <-time.After(10 * after):
		t.Fatal("the fence did not come down without heartbeats")
	}
	f.mu.Lock()
	since := time.Since(f.sent)
	f.mu.Unlock()
	if since < after {
		t.Errorf("the fence came down %s after the last heartbeat was sent, before its %s", since, after)
	}
	f.renewed(time.Now())
	f.mu.Lock()
	again := f.done
	f.mu.Unlock()
	if again == up || isDown(again) {
		t.Error("after a heartbeat went through again, the fence is not up on a new channel")
	}
}

func isDown(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
