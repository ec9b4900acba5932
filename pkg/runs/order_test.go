package runs

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestActiveOrderStable lists runs queued in the same instant: they come
// back by run id, every time, so that a polled runs list does not
// reorder itself between two polls.
func TestActiveOrderStable(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := &Manager{runs: map[string]*Handle{}}
	var want []string
	early := &Handle{id: "zz-early", queued: at.Add(-time.Second)}
	m.runs[early.id] = early
	want = append(want, early.id)
	for i := range 30 {
		h := &Handle{id: fmt.Sprintf("run-%02d", i), queued: at}
		m.runs[h.id] = h
		want = append(want, h.id)
	}
	for range 20 {
		var got []string
		for _, h := range m.Active() {
			got = append(got, h.ID())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Active order (-want +got):\n%s", diff)
		}
	}
}

// TestPendingOrderStable is TestActiveOrderStable for the open
// questions: asked in the same instant, they come by run, then step.
func TestPendingOrderStable(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := &asker{asking: map[askKey]*asked{}}
	var want []string
	for i := range 30 {
		q := Question{RunID: fmt.Sprintf("run-%02d", i/3), Step: fmt.Sprintf("s%d", i%3), AskedAt: at}
		a.asking[askKey{q.RunID, q.Step}] = &asked{q: q}
		want = append(want, q.RunID+"/"+q.Step)
	}
	for range 20 {
		var got []string
		for _, q := range a.pending() {
			got = append(got, q.RunID+"/"+q.Step)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("pending order (-want +got):\n%s", diff)
		}
	}
}
