package ops

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
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

// TestOutputMemoryGrowthNeverPassesTheLimit: holds that may each grow
// are given only while the pool can still give each its claim, so their
// growths never wait for each other for ever and the bytes held never
// pass the limit. The pool let the first of two such growths through
// past it (130 of 100 bytes).
func TestOutputMemoryGrowthNeverPassesTheLimit(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.HoldUpTo(ctx, 50, 80, "a")
	if ok, err := a.Grow(ctx, 60); ok || err != nil {
		t.Errorf("a growth past the whole limit: %v, %v; want false", ok, err)
	}
	bDone := make(chan error, 1)
	var b *OutputHold
	go func() {
		var err error
		if b, err = m.HoldUpTo(ctx, 50, 80, "b"); err == nil {
			_, err = b.Grow(ctx, 30)
		}
		bDone <- err
	}()
	waitFor(t, m, 1) // b waits: a may still grow by 30
	if ok, err := a.Grow(ctx, 30); !ok || err != nil {
		t.Fatalf("a's growth within its claim: %v, %v", ok, err)
	}
	if granted(bDone) {
		t.Fatal("b was given room a's claim needed")
	}
	a.Release()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	b.Release()
	if now, peak := m.Used(); now != 0 || peak > 100 {
		t.Errorf("%d bytes still held, %d at most at once; want 0, and at most the limit of 100", now, peak)
	}
}

// TestOutputMemoryGrowthPastTheClaimGivesWay: holds that all wait to grow
// past their claims, none able to release, would wait for ever: the first
// gives way with ErrOutputMemoryBusy, and the other is given its room once
// that one ends.
func TestOutputMemoryGrowthPastTheClaimGivesWay(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.Hold(ctx, 50, "a")
	b, _ := m.Hold(ctx, 50, "b")
	aDone := make(chan error, 1)
	go func() { _, err := a.Grow(ctx, 30); aDone <- err }()
	waitForGrowth(t, m, 1)
	if granted(aDone) {
		t.Fatal("a grew past the limit while b could still release")
	}
	bDone := make(chan error, 1)
	go func() { _, err := b.Grow(ctx, 30); bDone <- err }()
	if err := <-aDone; !errors.Is(err, ErrOutputMemoryBusy) {
		t.Fatalf("a: %v; want ErrOutputMemoryBusy", err)
	}
	if granted(bDone) {
		t.Fatal("b grew past the limit while a still held its bytes")
	}
	a.Release()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
	b.Release()
	if now, peak := m.Used(); now != 0 || peak > 100 {
		t.Errorf("%d bytes still held, %d at most at once; want 0, and at most the limit of 100", now, peak)
	}
}

// TestOutputMemoryManyGrowersStayUnderTheLimit: many holds growing in
// small steps at once, as captured outputs do, all end, and never hold
// more than the limit together.
func TestOutputMemoryManyGrowersStayUnderTheLimit(t *testing.T) {
	m := NewOutputMemory(1000)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			h, err := m.HoldUpTo(ctx, 10, 100+int64(i), "h")
			if err != nil {
				t.Error(err)
				return
			}
			defer h.Release()
			for range 9 {
				if ok, err := h.Grow(ctx, 10); !ok || err != nil {
					t.Errorf("a growth within the claim: %v, %v", ok, err)
					return
				}
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	if now, peak := m.Used(); now != 0 || peak > 1000 {
		t.Errorf("%d bytes still held, %d at most at once; want 0, and at most the limit", now, peak)
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
