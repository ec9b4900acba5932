package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestEventsOfReadsTheKindsAsked: EventsOf returns a run's relayed events
// of the kinds asked, in order, and a log line with a NUL character among
// them does not fail it.
func TestEventsOfReadsTheKindsAsked(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, false)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	r.q.writeEvents(context.Background(), "r1", []engine.Event{
		{Seq: 1, Kind: engine.EventRunStarted, RunID: "r1", Time: t0, Playbook: "pb"},
		{Seq: 2, Kind: engine.EventStepStarted, RunID: "r1", Time: t0, Step: "one", Op: "control.log"},
		{Seq: 3, Kind: engine.EventLog, RunID: "r1", Time: t0, Step: "one", Message: "a\x00b \"kind\":\"step_finished\""},
		{Seq: 4, Kind: engine.EventStepFinished, RunID: "r1", Time: t0, Step: "one", Status: "succeeded"},
	})
	r.q.writeEvents(context.Background(), "r2", []engine.Event{{Seq: 1, Kind: engine.EventStepStarted, RunID: "r2", Time: t0, Step: "other"}})
	evs, err := r.q.EventsOf(context.Background(), "r1", []engine.EventKind{engine.EventStepStarted, engine.EventStepFinished})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, fmt.Sprintf("%d %s %s", ev.Seq, ev.Kind, ev.Step))
	}
	if diff := cmp.Diff([]string{"2 step_started one", "4 step_finished one"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEventsWrittenDuringAnOutageAreSentAgain: the events of a run that
// the database could not take while it was away are written once it is
// back, so that another replica streams the run without a hole; they were
// dropped.
func TestEventsWrittenDuringAnOutageAreSentAgain(t *testing.T) {
	r := newReplica(t, pgtest.DSN(t), 1, true)
	id, _, err := r.q.Submit(context.Background(), args("slow", nil))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !r.q.Relays(context.Background(), id) {
		if time.Now().After(deadline) {
			t.Fatal("no event of the run was relayed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	up, err := pgtest.Shared(t).Down()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // steps a and b end meanwhile
	if err := up(); err != nil {
		t.Fatal(err)
	}
	if st := await(t, r.q, id); st != report.StatusSucceeded {
		t.Fatalf("run %s ended %s, want succeeded", id, st)
	}
	// The history records the end before the last batch of events is
	// written (Follow waits endedGrace for it): wait for run_finished.
	var evs []engine.Event
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		evs, err = r.q.EventsOf(context.Background(), id, []engine.EventKind{engine.EventStepFinished, engine.EventRunFinished})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) > 0 && evs[len(evs)-1].Kind == engine.EventRunFinished || time.Now().After(deadline) {
			break
		}
	}
	if len(evs) != 5 || evs[4].Kind != engine.EventRunFinished {
		t.Errorf("relayed step_finished and run_finished: %d events, want 5 ending with run_finished", len(evs))
	}
	rows, err := r.pg.Pool().Query(context.Background(), `SELECT seq FROM run_events WHERE run_id = $1 ORDER BY seq`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("relayed events %v: a hole before %d", seqs, s)
		}
	}
}

// TestLastEventsOutliveALongOutage: a run that ends while the database is
// away for longer than its last events are tried at first (finalRetryFor)
// keeps them, and writes them once the database is back: another
// replica's stream of the run (Follow) goes on with them, in order and
// numbered as the run numbered them, up to its run_finished. They were
// given up, and the stream ended without them, its run_finished to be
// told from the history after a hole.
func TestLastEventsOutliveALongOutage(t *testing.T) {
	dsn := pgtest.DSN(t)
	const retryFor = 200 * time.Millisecond
	short := func(c *Config) { c.finalRetryFor = retryFor }
	a := newReplicaLease(t, dsn, 1, true, 0, short)
	b := newReplicaLease(t, dsn, 1, false, 0, short) // streams the run a runs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, _, err := a.q.Submit(ctx, args("slow", nil))
	if err != nil {
		t.Fatal(err)
	}
	events := b.q.Follow(ctx, id, 0)
	var got []Relayed
	select {
	case ev := <-events: // relayed before the outage
		got = append(got, ev)
	case <-ctx.Done():
		t.Fatal("no event of the run was relayed")
	}
	h, ok := a.q.Local(id)
	if !ok {
		t.Fatal("the replica that relays the run does not hold it")
	}
	sub := h.Events().Subscribe(0)
	defer sub.Cancel()
	up, err := pgtest.Shared(t).Down()
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, ok := sub.Next(ctx)
		if !ok {
			up()
			t.Fatal("the run's stream ended without its run_finished")
		}
		if ev.Kind == engine.EventRunFinished && ev.RunID == id {
			break
		}
	}
	// The database stays away for longer than the last events are tried
	// at first.
	time.Sleep(5 * retryFor)
	if err := up(); err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		got = append(got, ev)
	}
	var seqs []uint64
	var steps []string
	for _, ev := range got {
		seqs = append(seqs, ev.Seq)
		if ev.Kind == engine.EventStepFinished {
			var e engine.Event
			if err := json.Unmarshal(ev.JSON, &e); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, e.Step)
		}
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("relayed events %v: a hole before %d", seqs, s)
		}
	}
	if last := got[len(got)-1]; !last.Final || last.Kind != engine.EventRunFinished {
		t.Errorf("the stream ended with %s (final %v), want the run's run_finished", last.Kind, last.Final)
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, steps); diff != "" {
		t.Errorf("steps finished in the stream (-want +got):\n%s", diff)
	}
}

// TestStreamWaitsForTheLastEventsItsReplicaHolds: a run recorded as ended
// whose last events its replica, alive, has not written yet (the database
// did not take them: here, a lock on run_events holds its writes) is
// followed past endedGrace until they come, and its stream ends with its
// own run_finished. It ended without, once endedGrace had passed.
func TestStreamWaitsForTheLastEventsItsReplicaHolds(t *testing.T) {
	dsn := pgtest.DSN(t)
	const grace = 100 * time.Millisecond
	short := func(c *Config) { c.endedGrace = grace }
	a := newReplicaLease(t, dsn, 1, true, 0, short)
	b := newReplicaLease(t, dsn, 1, false, 0, short) // streams the run a runs
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, _, err := a.q.Submit(ctx, args("slow", nil))
	if err != nil {
		t.Fatal(err)
	}
	events := b.q.Follow(ctx, id, 0)
	var got []Relayed
	select {
	case ev := <-events:
		got = append(got, ev)
	case <-ctx.Done():
		t.Fatal("no event of the run was relayed")
	}
	// Inserts into run_events wait for the lock; reads do not.
	tx, err := b.pg.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "LOCK TABLE run_events IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	if st := await(t, a.q, id); st != report.StatusSucceeded {
		t.Fatalf("run %s ended %s, want succeeded", id, st)
	}
	time.Sleep(10 * grace) // the stream outlives its grace
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		got = append(got, ev)
	}
	for i, ev := range got {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("relayed event %d is numbered %d: a hole", i+1, ev.Seq)
		}
	}
	if last := got[len(got)-1]; !last.Final || last.Kind != engine.EventRunFinished {
		t.Errorf("the stream ended with %s (final %v), want the run's run_finished", last.Kind, last.Final)
	}
}
