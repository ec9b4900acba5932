package ops

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// TestOutputMemoryReleaseWhileGrowing: a hold released while a growth of
// its own waits (a process still writing as its step ends) gives back
// everything: the growth is not granted afterwards to a hold nobody will
// release. The pool granted it and kept its bytes for ever.
func TestOutputMemoryReleaseWhileGrowing(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.Hold(ctx, 50, "a")
	b, _ := m.Hold(ctx, 50, "b")
	type grown struct {
		ok  bool
		err error
	}
	aDone := make(chan grown, 1)
	go func() { ok, err := a.Grow(ctx, 30); aDone <- grown{ok, err} }()
	waitForGrowth(t, m, 1)
	a.Release()
	if g := <-aDone; g.ok || g.err != nil {
		t.Errorf("a growth of a hold released meanwhile: %v, %v; want false and no error", g.ok, g.err)
	}
	b.Release()
	if now, _ := m.Used(); now != 0 {
		t.Errorf("%d bytes still held once every hold was released", now)
	}
	if n := len(m.holds); n != 0 {
		t.Errorf("%d holds still counted", n)
	}
}

// TestOutputMemoryGrowthGoesBeforeNewHolds: a new hold does not pass a
// growth that waits, as Grow says; new holds that each fitted beside the
// others took the room a waiting growth needed, one after another, and
// the growing step (its process's pipe full) waited as long as they came.
func TestOutputMemoryGrowthGoesBeforeNewHolds(t *testing.T) {
	m := NewOutputMemory(100)
	ctx := context.Background()
	a, _ := m.HoldUpTo(ctx, 0, 60, "a")
	b, _ := m.Hold(ctx, 50, "b")
	aDone := make(chan error, 1)
	go func() { _, err := a.Grow(ctx, 60); aDone <- err }()
	waitForGrowth(t, m, 1) // 60 more do not fit beside b's 50
	cDone := make(chan error, 1)
	var c *OutputHold
	go func() { var err error; c, err = m.Hold(ctx, 45, "c"); cDone <- err }()
	waitUntil(t, m, func() bool { return len(m.waiting) == 1 || len(m.holds) == 3 })
	if granted(cDone) {
		t.Fatal("a new hold was given room ahead of a growth that waited for it")
	}
	b.Release()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if granted(cDone) {
		t.Fatal("c was given room a's growth left too little of")
	}
	a.Release()
	if err := <-cDone; err != nil {
		t.Fatal(err)
	}
	c.Release()
	if now, peak := m.Used(); now != 0 || peak > 100 {
		t.Errorf("%d bytes still held, %d at most at once", now, peak)
	}
}

// TestOutputMemoryStress: holds taken, grown within and past their
// claims, kept, cancelled and released from other goroutines at once all
// end, never hold more than the limit, and leave nothing held.
func TestOutputMemoryStress(t *testing.T) {
	m := NewOutputMemory(1000)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if i%7 == 0 {
				go func() { runtime.Gosched(); cancel() }()
			}
			h, err := m.HoldUpTo(ctx, int64(i%5)*10, 100+int64(i%9)*40, "h")
			if err != nil {
				return
			}
			var grows sync.WaitGroup
			for j := range 2 { // two streams at once
				grows.Go(func() {
					for k := range 12 {
						n := int64(10 + (i+j+k)%4*10)
						if _, err := h.Grow(ctx, n); err != nil && !errors.Is(err, ErrOutputMemoryBusy) && ctx.Err() == nil {
							t.Error(err)
						}
						if k == 6 && j == 0 {
							h.Keep(h.Held() / 2)
						}
						runtime.Gosched()
					}
				})
			}
			if i%3 == 0 {
				h.Release() // while its streams may still grow
			}
			grows.Wait()
			h.Release()
		})
	}
	wg.Wait()
	if now, peak := m.Used(); now != 0 || peak > 1000 {
		t.Errorf("%d bytes still held, %d at most at once; want 0, and at most the limit", now, peak)
	}
	if len(m.holds) != 0 || len(m.growing) != 0 || len(m.waiting) != 0 {
		t.Errorf("left: %d holds, %d growths, %d new holds", len(m.holds), len(m.growing), len(m.waiting))
	}
}
