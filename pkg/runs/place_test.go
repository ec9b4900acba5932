package runs

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
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

// waitingManager is a manager with n runs that wait, as Start leaves
// them: most for a run slot, some queued at the same moment, some for
// their concurrency group, and some that took their slot, ended or were
// withdrawn; plus a run that never waited. It returns the runs, oldest
// first as Active lists them.
func waitingManager(tb testing.TB, n int) (*Manager, []*Handle) {
	m := NewManager(nil, Limits{MaxRunning: 4})
	tb.Cleanup(func() { m.stop(nil) })
	base := time.Now()
	var hs []*Handle
	for i := range n {
		// Every third run was queued at the same moment as the one
		// before it.
		h := &Handle{id: fmt.Sprintf("run-%d", i), queued: base.Add(time.Duration(i-i/3) * time.Microsecond)}
		w := &waiter{}
		switch i % 11 {
		case 3:
			w.inGroup, w.group = true, "db"
		case 5:
			w.took = true
		case 7:
			w.ended = true
		case 9:
			w.withdrawn = true
		}
		m.waiting[h] = w
		m.runs[h.id] = h
		hs = append(hs, h)
	}
	running := &Handle{id: "running", queued: base.Add(-time.Second)}
	m.runs[running.id] = running
	return m, append([]*Handle{running}, hs...)
}

// TestPlacesAreEachRunsPlace: the places of a list of runs, taken in one
// walk of the waiting runs, are each run's Place, with many runs
// waiting, some queued at the same moment, and some waiting for their
// group or no longer waiting.
func TestPlacesAreEachRunsPlace(t *testing.T) {
	m, hs := waitingManager(t, 500)
	active := m.Active()
	if len(active) != len(hs) {
		t.Fatalf("%d active runs, want %d", len(active), len(hs))
	}
	places := m.Places(active)
	slot, group, none := 0, 0, 0
	for i, h := range active {
		want := m.Place(h)
		if !reflect.DeepEqual(places[i], want) {
			t.Fatalf("run %s: Places gives %+v, Place %+v", h.id, places[i], want)
		}
		switch {
		case want == nil:
			none++
		case want.For == WaitsForGroup:
			group++
		default:
			slot++
		}
	}
	if slot < 300 || group == 0 || none == 0 {
		t.Errorf("%d runs wait for a slot, %d for their group, %d not: the case is not the one meant", slot, group, none)
	}
	// The last run waiting for a slot has every other one ahead of it.
	last := m.Places(hs[len(hs)-1:])[0]
	if last == nil || last.Ahead != slot-1 {
		t.Errorf("the last run's place: %+v, want %d ahead", last, slot-1)
	}
}

// BenchmarkPlaces measures the places of a list of the runs of a
// manager with 1,000 runs waiting (--max-queued 1000), as the API's list
// of runs takes them: Place per run, as it did, and Places.
func BenchmarkPlaces(b *testing.B) {
	m, hs := waitingManager(b, 1000)
	b.Run("Place per run", func(b *testing.B) {
		for b.Loop() {
			for _, h := range hs {
				m.Place(h)
			}
		}
	})
	b.Run("Places", func(b *testing.B) {
		for b.Loop() {
			m.Places(hs)
		}
	})
}
