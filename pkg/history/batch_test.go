package history

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
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

// A batch records each run's rows as a batch of that run alone does:
// the values one run shares with the run before (its operation, caller,
// times) are taken from the run before only when they are equal.
func TestRecordFinishedRowsAsAlone(t *testing.T) {
	ctx := context.Background()
	execute := func(id, op, by string, at time.Time, took time.Duration) Finished {
		end := at.Add(took)
		return Finished{Report: &report.Report{RunID: id, Playbook: report.Playbook{Name: op, Path: report.OperationPath + op},
			Status: report.StatusSucceeded, StartedAt: at, FinishedAt: end, DurationMS: took.Milliseconds(),
			Steps: []report.Step{{ID: op, Op: op, Status: report.StatusSucceeded, StartedAt: &end, Attempts: 1}},
		}, Trigger: TriggerAPI, StartedBy: by}
	}
	ms := time.Millisecond
	runs := []Finished{
		execute("e1", "control.noop", "ci", t0, 0),
		execute("e2", "control.noop", "ci", t0, 0),
		execute("e3", "control.noop", "ops", t0.Add(ms), 2*ms),
		execute("e4", "shell.exec", "ops", t0.Add(ms), 300*ms),
		{Report: sampleReport("s1", t0.Add(2*ms)), Trigger: TriggerAPI, StartedBy: "ops"},
		execute("e5", "shell.exec", "", t0.Add(2*ms), 0),
		{Report: sampleReport("s2", t0.Add(2*ms)), Trigger: TriggerSchedule},
		execute("e6", "control.noop", "ci", t0.Add(2*ms), 1000*ms),
	}
	batch, alone := openStore(t), openStore(t)
	if err := batch.RecordFinished(ctx, runs); err != nil {
		t.Fatal(err)
	}
	for _, f := range runs {
		if err := alone.RecordFinished(ctx, []Finished{f}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`SELECT * FROM runs ORDER BY id`,
		`SELECT * FROM steps ORDER BY run_id, rowid`,
	} {
		want, got := dumpRows(t, alone, q), dumpRows(t, batch, q)
		if len(want) < len(runs) {
			t.Fatalf("%s: %d rows recorded alone", q, len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-alone +batch):\n%s", q, diff)
		}
	}
}

// dumpRows returns the rows of query, each value printed.
func dumpRows(t *testing.T, s *Store, query string) []string {
	t.Helper()
	rows, err := s.db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%#v", vals))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
