package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestGroupedEndsShareStatements: the ends of runs that wait together
// for the writer go in as one write (writeFinishes): no savepoint and no
// statement of one run's row, and the history holds what writing each
// end alone holds, the live step rows of a run whose start was written
// replaced by its report's.
func TestGroupedEndsShareStatements(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	slot := t0.Truncate(time.Second)
	const n = 8
	start := func(i int) Run {
		return Run{ID: fmt.Sprintf("run-%d", i), Playbook: "restart-workers", StartedAt: t0, Trigger: TriggerSchedule, StartedBy: "scheduler", Slot: &slot}
	}
	// record writes the runs' starts, the first half's at once with a live
	// step row each, and their ends, all together when together is set.
	record := func(s *Store, together bool) {
		for i := range n / 2 {
			if err := s.RecordStart(ctx, start(i)); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordStep(ctx, start(i).ID, StepResult{StepID: "find", Op: "process.list", Item: -1, Attempts: 1, Status: "succeeded", StartedAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		var written []func() error
		for i := n / 2; i < n; i++ {
			written = append(written, s.QueueStart(start(i)))
		}
		for _, w := range written {
			if err := w(); err != nil {
				t.Fatal(err)
			}
		}
		release := func() {}
		if together {
			release = holdWriter(t, s)
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := s.RecordFinish(ctx, sampleReport(start(i).ID, t0), "", ""); err != nil {
					t.Error(err)
				}
			})
			if together {
				queued(t, s, i+1)
			} else {
				wg.Wait()
			}
		}
		release()
		wg.Wait()
	}
	alone, together := openStore(t), openStore(t)
	record(alone, false)
	record(together, true)

	for i := range n {
		id := start(i).ID
		want, err := alone.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := together.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want.ReportPath, got.ReportPath = "", ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("run %s written with others:\n%+v\nwritten alone:\n%+v", id, got, want)
		}
		wantSteps, _ := alone.Steps(ctx, id)
		gotSteps, err := together.Steps(ctx, id)
		if err != nil || !reflect.DeepEqual(gotSteps, wantSteps) {
			t.Errorf("run %s: step rows written with others (%v):\n%+v\nwritten alone:\n%+v", id, err, gotSteps, wantSteps)
		}
	}
	// The pool's every connection: none ran a savepoint or a run's row
	// alone.
	var conns []*sql.Conn
	for range 4 {
		c, err := together.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Raw(func(dc any) error {
			for _, q := range []string{"SAVEPOINT w", upsertFinished} {
				if dc.(*stmtConn).stmts[q] != nil {
					t.Errorf("the ends written together ran %.40q", q)
				}
			}
			return nil
		})
	}
}

// TestGroupedEndFailsAlone: an end that cannot be written among others
// fails alone, the others' ends written as ever.
func TestGroupedEndFailsAlone(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Millisecond)
	boom := errors.New("boom")
	release := holdWriter(t, s)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		id := fmt.Sprintf("run-%d", i)
		wg.Go(func() {
			if i != 2 {
				errs[i] = s.RecordFinish(ctx, sampleReport(id, t0), "", "")
				return
			}
			// A row the driver cannot bind, and a write alone that fails.
			fin := &finishWrite{runID: id, row: []any{struct{}{}}}
			errs[i] = s.groupedFinish(ctx, fin, func(context.Context, *writeTx) error { return boom })
		})
		queued(t, s, i+1)
	}
	release()
	wg.Wait()
	for i, err := range errs {
		id := fmt.Sprintf("run-%d", i)
		_, got := s.Get(ctx, id)
		if i == 2 {
			if !errors.Is(err, boom) || got == nil {
				t.Errorf("the failing end: %v, recorded: %v; want %v and not recorded", err, got == nil, boom)
			}
			continue
		}
		if err != nil || got != nil {
			t.Errorf("end %s: %v; read back: %v", id, err, got)
		}
	}
}
