package ops

import (
	"context"
	"testing"
)

// TestGrantedAtOnceAllocatesOnlyTheHold: a hold and growths the pool
// gives at once, as for a step printing a line, allocate the hold and
// nothing more: no waiter, no channel, no description. Each took a waiter
// and its channel, two more for every growth.
func TestGrantedAtOnceAllocatesOnlyTheHold(t *testing.T) {
	m := NewOutputMemory(1 << 20)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		h, err := m.HoldUpToFor(ctx, 0, 64<<10, func() string { t.Fatal("described"); return "" })
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := h.Grow(ctx, 512); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, err := h.Grow(ctx, 6); !ok || err != nil {
			t.Fatal(ok, err)
		}
		h.Release()
	})
	if allocs > 1 {
		t.Errorf("%v allocations for a hold and two growths given at once, want 1 (the hold)", allocs)
	}
}
