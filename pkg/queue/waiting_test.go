package queue

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
)

// TestAheadFollowsPriority: River gives a job of a higher priority to a
// worker before the jobs queued earlier, so that the runs ahead of each
// waiting run are counted in that order, in the listing and for one run.
// They were counted by when each was queued alone: a run of priority 1
// queued last was told it waited behind runs it would pass, and those
// runs that it did not count it.
func TestAheadFollowsPriority(t *testing.T) {
	a := newReplica(t, pgtest.DSN(t), 1, false) // takes no job: the runs wait
	ctx := context.Background()
	var ids []string
	for range 3 {
		id, _, err := a.q.Submit(ctx, args("nap", nil))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The last one is urgent (River's priority 1 is its highest); the
	// others are not.
	if _, err := a.pg.Pool().Exec(ctx, `UPDATE river_job SET priority = CASE WHEN args->>'run_id' = $1 THEN 1 ELSE 2 END`, ids[2]); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ids[2]: 0, ids[0]: 1, ids[1]: 2}
	jobs, err := a.q.Waiting(ctx, WaitingFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for _, j := range jobs {
		listed[j.Args.RunID] = j.Ahead
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("runs ahead of each in the listing (-want +got):\n%s", diff)
	}
	for _, id := range ids {
		j, ok, err := a.q.InLine(ctx, id)
		if err != nil || !ok || j.Ahead != want[id] {
			t.Errorf("InLine(%s): ahead %d, waiting %v, %v; want ahead %d", id, j.Ahead, ok, err, want[id])
		}
	}
}

// TestOrphanKeepsItsPlace: a run whose job a replica took and died before
// starting goes back to the queue where it was, first when it was first,
// not behind every run queued while it was held. It used to be put back
// as if queued at that moment, behind the whole backlog.
func TestOrphanKeepsItsPlace(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false) // takes no job
	ctx := context.Background()
	a := args("nap", nil)
	a.RunID = engine.NewRunID()
	taken(t, r, a)
	for range 2 {
		if _, _, err := r.q.Submit(ctx, args("nap", nil)); err != nil {
			t.Fatal(err)
		}
	}
	handBack(t, r, a.RunID)
	r.q.requeueOrphans(ctx)
	j, ok, err := r.q.InLine(ctx, a.RunID)
	if err != nil || !ok || j.State != "available" || j.Ahead != 0 {
		t.Errorf("the run a dead replica took: %s, ahead %d, waiting %v, %v; want available again, first in line", j.State, j.Ahead, ok, err)
	}
}
