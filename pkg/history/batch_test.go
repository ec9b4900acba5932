package history

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRecordFinishedInOneGo(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var runs []Finished
	for i := range 3 {
		runs = append(runs, Finished{Report: sampleReport(fmt.Sprintf("b%d", i), t0.Add(time.Duration(i)*time.Minute)), Trigger: "api"})
	}
	if err := s.RecordFinished(ctx, runs); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctx, Filter{Trigger: "api"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID+":"+string(r.Trigger)+":"+string(r.Status))
	}
	want := []string{"b2:api:" + string(runs[2].Report.Status), "b1:api:" + string(runs[1].Report.Status), "b0:api:" + string(runs[0].Report.Status)}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	steps, err := s.Steps(ctx, "b1")
	if err != nil || len(steps) == 0 {
		t.Errorf("steps of b1: %v, %v", steps, err)
	}
	// RecordFinish keeps the trigger RecordStart recorded.
	if err := s.RecordStart(ctx, Run{ID: "c", Playbook: "p", Trigger: "schedule"}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, sampleReport("c", t0), "")
	if r, err := s.Get(ctx, "c"); err != nil || r.Trigger != "schedule" {
		t.Errorf("after RecordFinish: trigger %q, %v", r.Trigger, err)
	}
}

// A large batch is recorded whole.
func TestRecordFinishedManyRuns(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var runs []Finished
	for i := range 135 {
		runs = append(runs, Finished{Report: sampleReport(fmt.Sprintf("m%03d", i), t0.Add(time.Duration(i)*time.Second)), Trigger: "api"})
	}
	if err := s.RecordFinished(ctx, runs); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctx, Filter{Limit: 1000})
	if err != nil || len(got) != len(runs) {
		t.Fatalf("%d runs listed, want %d (%v)", len(got), len(runs), err)
	}
	want := 0
	for _, f := range runs {
		want += len(stepRows(f.Report))
	}
	var n int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM steps").Scan(&n); err != nil || n != want {
		t.Errorf("%d step rows, want %d (%v)", n, want, err)
	}
}
