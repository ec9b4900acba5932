package queue

import (
	"context"
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
