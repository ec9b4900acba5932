package ops

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// granted reports whether ch was closed (a hold or growth granted).
func granted(ch <-chan error) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestOutputMemoryWaitsInTurn: holds past the limit wait, in order, and
// one too large for the whole limit is refused at once, naming the limit
// and how to raise it.
func TestOutputMemoryWaitsInTurn(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, err := m.Hold(ctx, 60, "a")
	if err != nil {
		t.Fatal(err)
	}
	holds := make(chan *OutputHold, 2)
	bDone, cDone := make(chan error, 1), make(chan error, 1)
	go func() { h, err := m.Hold(ctx, 50, "b"); holds <- h; bDone <- err }()
	waitFor(t, m, 1)
	go func() { h, err := m.Hold(ctx, 10, "c"); holds <- h; cDone <- err }()
	waitFor(t, m, 2)
	// c would fit, but b came first: neither goes before a is released.
	if granted(bDone) || granted(cDone) {
		t.Fatal("a hold was granted past the limit, or ahead of one before it")
	}
	a.Release()
	a.Release() // a second time does nothing
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	if err := <-cDone; err != nil {
		t.Fatal(err)
	}
	if now, peak := m.Used(); now != 60 || peak != 60 {
		t.Errorf("used %d, peak %d; want 60 and 60 (b and c; a before them)", now, peak)
	}
	(<-holds).Release()
	(<-holds).Release()
	_, err = m.Hold(ctx, 101, "file.read of big (max_bytes 64)")
	if err == nil || ClassOf(err) != ClassExecution || !strings.Contains(err.Error(), "file.read of big (max_bytes 64) would hold 101 bytes at once, more than the 100 bytes") ||
		!strings.Contains(err.Error(), "--max-output-memory") {
		t.Errorf("a hold past the limit: %v", err)
	}
	if now, _ := m.Used(); now != 0 {
		t.Errorf("%d bytes still held", now)
	}
}

// TestOutputMemoryWaitEndsWithTheStep: a step cancelled while it waits
// gets the cancellation's cause and leaves its place, and the ones behind
// it that fit go on.
func TestOutputMemoryWaitEndsWithTheStep(t *testing.T) {
	m := NewOutputMemory(100)
	a, _ := m.Hold(context.Background(), 90, "a")
	ctx, cancel := context.WithCancelCause(context.Background())
	bDone := make(chan error, 1)
	go func() { _, err := m.Hold(ctx, 50, "b"); bDone <- err }()
	waitFor(t, m, 1)
	cDone := make(chan error, 1)
	go func() { _, err := m.Hold(context.Background(), 10, "c"); cDone <- err }()
	waitFor(t, m, 2)
	stop := errors.New("the run was cancelled")
	cancel(stop)
	if err := <-bDone; !errors.Is(err, stop) {
		t.Errorf("b: %v; want the cause", err)
	}
	if err := <-cDone; err != nil {
		t.Errorf("c: %v; want it granted once b left", err)
	}
	a.Release()
}

// TestOutputMemoryGrowthNeverDeadlocks: holds that each want to grow
// while none can release would wait for ever; the first is let through.
func TestOutputMemoryGrowthNeverDeadlocks(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.Hold(ctx, 50, "a")
	b, _ := m.Hold(ctx, 50, "b")
	if ok, err := a.Grow(ctx, 60); ok || err != nil {
		t.Errorf("a growth past the whole limit: %v, %v; want false", ok, err)
	}
	aDone := make(chan error, 1)
	go func() { _, err := a.Grow(ctx, 30); aDone <- err }()
	waitForGrowth(t, m, 1)
	if granted(aDone) {
		t.Fatal("a grew past the limit while b could still release")
	}
	bDone := make(chan error, 1)
	go func() { _, err := b.Grow(ctx, 30); bDone <- err }()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if now, _ := m.Used(); now != 130 {
		t.Errorf("used %d; want 130 (a let through)", now)
	}
	a.Release()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	b.Release()
	if now, _ := m.Used(); now != 0 {
		t.Errorf("%d bytes still held", now)
	}
}

func waitFor(t *testing.T, m *OutputMemory, n int) {
	t.Helper()
	waitUntil(t, m, func() bool { return len(m.waiting) >= n })
}

func waitForGrowth(t *testing.T, m *OutputMemory, n int) {
	t.Helper()
	waitUntil(t, m, func() bool { return len(m.growing) >= n })
}

// waitUntil waits for cond, read under m's lock.
func waitUntil(t *testing.T, m *OutputMemory, cond func() bool) {
	t.Helper()
	for i := 0; ; i++ {
		if i == 1e7 {
			t.Fatal("the waiter never queued")
		}
		m.mu.Lock()
		ok := cond()
		m.mu.Unlock()
		if ok {
			return
		}
		runtime.Gosched()
	}
}

// TestOutputMemoryKeepGivesBackTheRest: a hold taken for the most a step
// could need gives back the rest once it knows, and a waiter goes on.
func TestOutputMemoryKeepGivesBackTheRest(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.Hold(ctx, 80, "a")
	bDone := make(chan error, 1)
	go func() { _, err := m.Hold(ctx, 50, "b"); bDone <- err }()
	waitFor(t, m, 1)
	a.Keep(30)
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	a.Keep(60) // more than it holds: nothing
	if now, _ := m.Used(); now != 80 {
		t.Errorf("used %d; want 80 (30 kept, and b's 50)", now)
	}
}
