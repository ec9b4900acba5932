package history

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// queued waits until n writes wait behind the transaction under way.
func queued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.group.mu.Lock()
		got := len(s.group.queue)
		s.group.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupUndoesAFailedWriteAlone: writes that queue behind a transaction
// go in one transaction together; one that fails is undone, and only it
// gets its error.
func TestGroupUndoesAFailedWriteAlone(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	start := func(id string, fail bool) func() error {
		return func() error {
			if !fail {
				return s.RecordStart(ctx, Run{ID: id, Playbook: "p"})
			}
			args, err := startRow(Run{ID: id, Playbook: "p", StartedAt: t0}, s.owner, ms(t0))
			if err != nil {
				return err
			}
			return s.groupedTx(ctx, 0, func(ctx context.Context, tx *writeTx) error {
				if _, err := execIn(ctx, tx, upsertStarted, args); err != nil {
					return err
				}
				return boom
			})
		}
	}
	// Hold the write lock, so that the first write waits in its
	// transaction and the next three queue behind it.
	s.wmu.Lock()
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	run := func(id string, fail bool) {
		wg.Go(func() {
			err := start(id, fail)()
			mu.Lock()
			errs[id] = err
			mu.Unlock()
		})
	}
	run("a", false)
	queued(t, s, 0)
	for !leading(s) {
		time.Sleep(time.Millisecond)
	}
	run("b", false)
	queued(t, s, 1)
	run("c", true)
	queued(t, s, 2)
	run("d", false)
	queued(t, s, 3)
	s.wmu.Unlock()
	wg.Wait()

	for id, want := range map[string]error{"a": nil, "b": nil, "c": boom, "d": nil} {
		if !errors.Is(errs[id], want) {
			t.Errorf("write %s: error %v, want %v", id, errs[id], want)
		}
		_, err := s.Get(ctx, id)
		if recorded := err == nil; recorded != (want == nil) {
			t.Errorf("run %s recorded: %v (error %v), want %v", id, recorded, err, want == nil)
		}
	}
}

func leading(s *Store) bool {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return s.group.leading
}

// TestGroupManyWriters: many runs starting and finishing at once are all
// recorded whole, and the group is idle afterwards.
func TestGroupManyWriters(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			id := fmt.Sprintf("r%03d", i)
			if err := s.RecordStart(ctx, Run{ID: id, Playbook: "p"}); err != nil {
				t.Error(err)
				return
			}
			if err := s.RecordFinish(ctx, sampleReport(id, t0.Add(time.Duration(i)*time.Second)), "", ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	runs, err := s.List(ctx, Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 300 {
		t.Fatalf("%d runs recorded, want 300", len(runs))
	}
	for _, r := range runs {
		if r.FinishedAt == nil {
			t.Errorf("run %s not finished: %+v", r.ID, r)
		}
		rows, err := s.Steps(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(stepRows(sampleReport(r.ID, t0))); len(rows) != want {
			t.Errorf("run %s: %d step rows, want %d", r.ID, len(rows), want)
		}
	}
	if leading(s) || len(s.group.queue) != 0 {
		t.Errorf("group still busy after every write returned: leading %v, %d queued", leading(s), len(s.group.queue))
	}
}

// TestGroupCancelledBeforeItStarts: a write whose context is done is not
// written.
func TestGroupCancelledBeforeItStarts(t *testing.T) {
	s := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.RecordStart(ctx, Run{ID: "x", Playbook: "p"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := s.Get(context.Background(), "x"); err == nil {
		t.Error("a cancelled write was recorded")
	}
}

// TestGroupSurvivesAPanic: a write that panics fails its batch with an
// error instead of leaving the writes queued behind it waiting.
func TestGroupSurvivesAPanic(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	err := s.groupedTx(ctx, 0, func(context.Context, *writeTx) error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v, want the panic", err)
	}
	if err := s.RecordStart(ctx, Run{ID: "after", Playbook: "p"}); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
}

// holdWriter keeps the store's writer busy with a write that waits until
// the returned func is called, so that what is queued meanwhile waits in
// the queue.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	entered, hold := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.groupedTx(context.Background(), 0, func(context.Context, *writeTx) error {
			close(entered)
			<-hold
			return nil
		})
	}()
	<-entered
	return func() {
		close(hold)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestQueuedStartTakenOverByTheEnd: a run's start queued behind other
// writes, and its end coming first, is written once, finished, with what
// its start carried (trigger, who, slot); a start written before its end
// comes is kept, as RecordStart's is.
func TestQueuedStartTakenOverByTheEnd(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	slot := t0.Truncate(time.Second)

	release := holdWriter(t, s)
	written := s.QueueStart(Run{ID: "quick", Playbook: "restart-workers", StartedAt: t0, Trigger: TriggerSchedule, StartedBy: "scheduler", Slot: &slot})
	ended := make(chan error, 1)
	go func() { ended <- s.RecordFinish(ctx, sampleReport("quick", t0), "", "") }()
	// The end takes the start's place while the start waits in the queue.
	took := make(chan error, 1)
	go func() { took <- written() }()
	select {
	case err := <-took:
		if err != nil {
			t.Fatalf("the start taken over: %v", err)
		}
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("the end did not take the place of the queued start")
	}
	release()
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
	run, err := s.Get(ctx, "quick")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusFailed || run.Trigger != TriggerSchedule || run.StartedBy != "scheduler" || run.Slot == nil || !run.Slot.Equal(slot) {
		t.Errorf("the run's row: %s, trigger %q, by %q, slot %v; want failed, schedule, scheduler, %v", run.Status, run.Trigger, run.StartedBy, run.Slot, slot)
	}
	if steps, _ := s.Steps(ctx, "quick"); len(steps) == 0 {
		t.Error("the report's step rows are missing")
	}

	// Written first: the row says running until the end comes.
	written = s.QueueStart(Run{ID: "slow", Playbook: "restart-workers", StartedAt: t0, Trigger: TriggerAPI, StartedBy: "ci"})
	if err := written(); err != nil {
		t.Fatal(err)
	}
	if run, err := s.Get(ctx, "slow"); err != nil || run.Status != StatusRunning {
		t.Fatalf("after the start was written: %s, %v; want running", run.Status, err)
	}
	if err := s.RecordFinish(ctx, sampleReport("slow", t0), "", ""); err != nil {
		t.Fatal(err)
	}
	if run, _ := s.Get(ctx, "slow"); run.Status != report.StatusFailed || run.Trigger != TriggerAPI || run.StartedBy != "ci" {
		t.Errorf("after its end: %s, trigger %q, by %q", run.Status, run.Trigger, run.StartedBy)
	}
}

// TestQueuedStartNeverOverwritesItsEnd: however the start's goroutine and
// the end are scheduled, the end is never overwritten by the start (the
// start is queued before QueueStart returns).
func TestQueuedStartNeverOverwritesItsEnd(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i := range 200 {
		id := fmt.Sprintf("r%03d", i)
		written := s.QueueStart(Run{ID: id, Playbook: "p", StartedAt: time.Now()})
		if err := s.RecordFinish(ctx, sampleReport(id, time.Now()), "", ""); err != nil {
			t.Fatal(err)
		}
		if err := written(); err != nil {
			t.Fatal(err)
		}
		if run, err := s.Get(ctx, id); err != nil || run.Status != report.StatusFailed {
			t.Fatalf("run %s: %s, %v; want its end, failed", id, run.Status, err)
		}
	}
}
