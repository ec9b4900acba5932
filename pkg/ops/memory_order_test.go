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
