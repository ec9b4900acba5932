package ops

import (
	"context"
	"strings"
	"testing"
)

// TestLimitLoweredUnderClaims: a limit lowered while a step holds a claim
// past it cuts that claim to the limit, so the pool still gives other
// steps what fits, and a new hold waiting with a claim past the new
// limit is refused as one asked now would be. The claim was kept: the
// pool gave no step anything until that one ended, and the waiting hold,
// first in line, waited for ever.
func TestLimitLoweredUnderClaims(t *testing.T) {
	m := NewOutputMemory(100)
	a, err := m.HoldUpTo(context.Background(), 10, 90, "a")
	if err != nil {
		t.Fatal(err)
	}
	waits := make(chan string, 1)
	tell := WithCall(context.Background(), &Call{Message: func(_, text string) { waits <- text }})
	b := make(chan error, 1)
	go func() {
		h, err := m.HoldUpTo(tell, 20, 95, "b")
		h.Release()
		b <- err
	}()
	<-waits // b waits: a and b could not both have their claims

	m.SetLimit(50)
	// Given at once, whatever its context: 10 held, 40 free, and a's
	// claim cut to 50.
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := m.HoldUpTo(ended, 20, 20, "d")
	if err != nil {
		t.Fatalf("a hold that fits the new limit was not given: %v", err)
	}
	if err := <-b; err == nil || !strings.Contains(err.Error(), "b would hold 95 bytes at once, more than the 50 bytes") {
		t.Errorf("b, waiting for a claim past the new limit: %v", err)
	}
	if ok, _ := a.Grow(ended, 30); ok {
		t.Error("a grew to 40 beside d's 20 in a pool of 50")
	}
	d.Release()
	a.Release()
	if now, _ := m.Used(); now != 0 {
		t.Errorf("%d bytes held after", now)
	}
}
