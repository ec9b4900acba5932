package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// fenceLease is the lease of the replicas of the fencing tests: they
// fence themselves after half of it.
const fenceLease = 2 * time.Second

// stoppedByFence waits for h, a run of replica a cut off from the
// database at viaLink (and back now), to end, and checks that it was
// cancelled by a's fence, saying so and naming the database, and that it
// ended before other, a run of another replica started at otherStart.
func stoppedByFence(t *testing.T, h *runs.Handle, viaLink string, otherStart time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, err := h.Wait(ctx)
	if err != nil {
		t.Fatalf("the run of the replica cut off from the database did not end: %v", err)
	}
	if rep.Status != report.StatusCancelled || rep.Error == nil || rep.Error.Class != report.ClassCancelled ||
		!strings.Contains(rep.Error.Message, "could not reach the database "+postgres.Mask(viaLink)) {
		t.Errorf("the run of the cut-off replica: %s, %+v; want cancelled, saying it could not reach the database", rep.Status, rep.Error)
	}
	if !rep.FinishedAt.Before(otherStart) {
		t.Errorf("the run of the cut-off replica ended at %s, after the other replica's run started (%s): both ran at once",
			rep.FinishedAt.Format(time.StampMilli), otherStart.Format(time.StampMilli))
	}
}

// recordedAsFenced waits for the history of run, as a replica reads it,
// to say that its own replica stopped it (that replica's record, written
// once it reaches the database again, wins over the interrupted the
// others marked).
func recordedAsFenced(t *testing.T, r *replica, run string) {
	t.Helper()
	waitUntil(t, "the record of the run stopped by the fence", func() bool {
		got, err := r.pg.Get(context.Background(), run)
		return err == nil && got.Status == report.StatusCancelled && got.Error != nil &&
			strings.Contains(got.Error.Message, "half its lease")
	})
}

// TestCutOffReplicaStopsItsGroupRunBeforeTheGroupIsFreed: replica a runs
// a run of concurrency group g and is cut off from the database. It stops
// the run at half its lease; b, which takes a for dead at the end of the
// lease, runs the next run of g only after that: never both at once.
func TestCutOffReplicaStopsItsGroupRunBeforeTheGroupIsFreed(t *testing.T) {
	dsn := pgtest.DSN(t)
	cut, viaLink := newLink(t, dsn)
	a := newReplicaLease(t, viaLink, 2, true, fenceLease)
	ctx := context.Background()
	hold, _, err := a.q.Submit(ctx, args("hold", nil))
	if err != nil {
		t.Fatal(err)
	}
	holding := waitLocal(t, a, hold, runs.StateRunning)

	cut.setCut(true)
	b := newReplicaLease(t, dsn, 2, true, fenceLease)
	next, _, err := b.q.Submit(ctx, args("after", nil))
	if err != nil {
		t.Fatal(err)
	}
	if st := await(t, b.q, next); st != report.StatusSucceeded {
		t.Fatalf("the next run of the group ended %s, want succeeded", st)
	}
	ran, err := b.pg.Get(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	cut.setCut(false)
	stoppedByFence(t, holding, viaLink, ran.StartedAt)
	recordedAsFenced(t, b, hold)
}

// TestCutOffReplicaStopsARunBeforeItIsRetried: replica a runs a run of a
// retry_on_node_loss playbook and is cut off from the database. It stops
// the run at half its lease; b queues the retry, once, at the end of the
// lease, and runs it only after a's copy stopped.
func TestCutOffReplicaStopsARunBeforeItIsRetried(t *testing.T) {
	dsn := pgtest.DSN(t)
	cut, viaLink := newLink(t, dsn)
	a := newReplicaLease(t, viaLink, 2, true, fenceLease)
	ctx := context.Background()
	first, _, err := a.q.Submit(ctx, args("again", nil))
	if err != nil {
		t.Fatal(err)
	}
	original := waitLocal(t, a, first, runs.StateRunning)

	cut.setCut(true)
	b := newReplicaLease(t, dsn, 2, true, fenceLease)
	var retry string
	waitUntil(t, "the retry of the run queued", func() bool {
		err := b.pg.Pool().QueryRow(ctx, `SELECT args->>'run_id' FROM river_job WHERE kind = $1 AND args->>'retry_of' = $2`, Kind, first).Scan(&retry)
		return err == nil
	})
	retrying := waitLocal(t, b, retry, runs.StateRunning)
	defer retrying.Cancel(errors.New("the test ends the retry"))
	ran, err := b.pg.Get(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	cut.setCut(false)
	stoppedByFence(t, original, viaLink, ran.StartedAt)
	recordedAsFenced(t, b, first)
	var n int
	if err := b.pg.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'retry_of' = $2`, Kind, first).Scan(&n); err != nil || n != 1 {
		t.Errorf("retries queued: %d (%v), want 1", n, err)
	}
}

// TestRunOfAnotherPlaybookGoesOnWhileCutOff: a run that holds no
// concurrency group and is not retried when its replica is lost is left
// alone by the fence: it goes on, and is recorded once the database is
// back.
func TestRunOfAnotherPlaybookGoesOnWhileCutOff(t *testing.T) {
	dsn := pgtest.DSN(t)
	cut, viaLink := newLink(t, dsn)
	a := newReplicaLease(t, viaLink, 2, true, fenceLease)
	ctx := context.Background()
	id, _, err := a.q.Submit(ctx, args("nap", nil))
	if err != nil {
		t.Fatal(err)
	}
	h := waitLocal(t, a, id, runs.StateRunning)
	cut.setCut(true)
	time.Sleep(2 * fenceLease)
	cut.setCut(false)
	h.Cancel(errors.New("the test ends the run"))
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	rep, err := h.Wait(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Error == nil || !strings.Contains(rep.Error.Message, "the test ends the run") {
		t.Errorf("the run without a group, cut off for twice the lease, ended with %+v; want it still going until the test ended it", rep.Error)
	}
}
