package runs

import (
	"context"
	"testing"
)

// TestPlaceOfQueuedRuns: under --max-running 1, the run that runs has no
// place; the runs behind it wait for a run slot, the second with one run
// ahead of it, and say that --max-running is why.
func TestPlaceOfQueuedRuns(t *testing.T) {
	m := newManager(t, Config{}, Limits{MaxRunning: 1})
	path := writePlaybook(t, sleeper)
	var hs []*Handle
	for range 3 {
		h, err := m.Start(context.Background(), Request{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	<-m.Started(hs[0])
	if p := m.Place(hs[0]); p != nil {
		t.Errorf("the running run has a place: %+v", p)
	}
	for i, want := range []int{0, 1} {
		p := m.Place(hs[i+1])
		if p == nil || p.For != WaitsForSlot || p.Ahead != want || p.MaxRunning != 1 {
			t.Fatalf("run %d's place: %+v; want a run slot, %d ahead, max_running 1", i+1, p, want)
		}
	}
	if got, want := m.Place(hs[2]).Message, "waiting for a run slot: 1 run ahead of it, and the 1 of --max-running are taken"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	for _, h := range hs {
		h.Cancel(nil)
	}
	for _, h := range hs {
		wait(t, h)
	}
	if p := m.Place(hs[2]); p != nil {
		t.Errorf("an ended run has a place: %+v", p)
	}
}
