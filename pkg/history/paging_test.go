package history

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestListPagesRunsThatShareAMillisecond: paging List by the (started_at,
// id) of the last run of each page, as Before and BeforeID take it, gives
// every run exactly once, in List's order, though many runs started in
// the same millisecond.
func TestListPagesRunsThatShareAMillisecond(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var want []string
	for i := range 23 {
		id := fmt.Sprintf("r%02d", i)
		// Five runs per millisecond, some of them given out of id order.
		if err := s.RecordFinish(ctx, sampleReport(id, t0.Add(time.Duration(i/5)*time.Millisecond)), "", ""); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	slices.Reverse(want) // newest first, then the highest id first

	var got []string
	f := Filter{Limit: 7}
	for range len(want) {
		page, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.ID)
		}
		if len(page) < f.Limit {
			break
		}
		last := page[len(page)-1]
		f.Before, f.BeforeID = last.StartedAt, last.ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged\n%v\nwant\n%v", got, want)
	}

	// Before alone keeps its meaning: the runs started before it.
	runs, err := s.List(ctx, Filter{Before: t0.Add(time.Millisecond), BeforeID: "", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 5 {
		t.Errorf("Before alone: %d runs, want the 5 of the first millisecond", len(runs))
	}
}
