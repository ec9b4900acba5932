package history

import (
	"context"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// execute is a server's execute of op as a finished run.
func execute(id, op, by string, at time.Time, took time.Duration) Finished {
	end := at.Add(took)
	return Finished{Report: &report.Report{RunID: id, Playbook: report.Playbook{Name: op, Path: report.OperationPath + op},
		Status: report.StatusSucceeded, StartedAt: at, FinishedAt: end, DurationMS: took.Milliseconds(),
		Steps: []report.Step{{ID: op, Op: op, Status: report.StatusSucceeded, StartedAt: &end, Attempts: 1}},
	}, Trigger: TriggerAPI, StartedBy: by}
}

// A batch of executes binds what its runs share once: a run's id and
// times, and its step row's id and start, are all a run adds.
func TestBatchBindsSharedValuesOnce(t *testing.T) {
	const n = 128
	var f sharedForms
	var b boxes
	var runs, steps []any
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		e := execute(fmt.Sprintf("e%03d", i), "control.noop", "ci", at, time.Duration(i%3)*time.Millisecond)
		var err error
		if runs, err = appendFinishedRow(runs, e, &b); err != nil {
			t.Fatal(err)
		}
		steps = appendStepRows(steps, e.Report, &b)
	}
	for _, c := range []struct {
		query      string
		cols       int
		args       []any
		perRowMost int
	}{
		{upsertFinishedRows, finishedRowValues, runs, 4}, // id, started_at, finished_at, duration_ms
		{insertStepsQuery, stepValues, steps, 3},         // run_id, started_at, duration_ms
	} {
		emptyAsNull(c.args, c.cols, textColumns[c.query])
		shared := f.columns(c.query, c.args, c.cols)
		nv, err := (&stmtConn{}).bindRows(c.args, c.cols, shared)
		if err != nil {
			t.Fatal(err)
		}
		if most := c.cols + (n-1)*c.perRowMost; len(nv) > most {
			t.Errorf("%.40s…: %d rows bind %d values, more than %d", c.query, n, len(nv), most)
		}
		for i, v := range nv {
			if v.Ordinal != i+1 {
				t.Fatalf("value %d has ordinal %d", i, v.Ordinal)
			}
		}
	}
}

// The sets of shared columns are few, and a batch binds once only what
// its rows do share: a set of its own, or the largest known set of it.
func TestSharedFormsBounded(t *testing.T) {
	var f sharedForms
	const cols, rows = 4, minSharedRows
	// Rows whose columns in same share a value and the others do not.
	batch := func(same uint64) []any {
		args := make([]any, 0, rows*cols)
		for r := range rows {
			for c := range cols {
				if same&(1<<c) != 0 {
					args = append(args, "x")
				} else {
					args = append(args, int64(r))
				}
			}
		}
		return args
	}
	const query = "test query %s"
	sharable[query] = columnBits(0, 1, 2, 3)
	defer delete(sharable, query)
	seen := map[uint64]bool{}
	for _, same := range []uint64{0b0011, 0b0111, 0b0011, 0b1111, 0b1000, 0b0110, 0b0111} {
		got := f.columns(query, batch(same), cols)
		if got&same != got {
			t.Errorf("rows sharing %04b: statement shares %04b", same, got)
		}
		if got != 0 {
			seen[got] = true
		}
	}
	if len(seen) > maxSharedForms {
		t.Errorf("%d sets of shared columns, more than %d", len(seen), maxSharedForms)
	}
	if got := f.columns(query, batch(0b1111), cols); got != 0b0111 {
		t.Errorf("rows sharing every column: statement shares %04b, want the largest known set 0111", got)
	}
	if got := f.columns(query, batch(0b1111)[:(minSharedRows-1)*cols], cols); got != 0 {
		t.Errorf("%d rows: statement shares %04b, want none", minSharedRows-1, got)
	}
	// Values alike but of another type are not shared.
	args := batch(0b0001)
	args[cols] = []byte("x")
	if got := f.columns(query, args, cols); got != 0 {
		t.Errorf("a []byte among strings: statement shares %04b, want none", got)
	}
}

// Batches of many shapes, more than there are statements for, record
// each run's rows as the run recorded alone does.
func TestRecordFinishedSharedAsAlone(t *testing.T) {
	forms.mu.Lock()
	forms.m = nil // this test's batches make the sets
	forms.mu.Unlock()
	ctx := context.Background()
	ms := time.Millisecond
	var batches [][]Finished
	add := func(shape func(i int, f *Finished)) {
		var b []Finished
		for i := range minSharedRows + 4 {
			f := execute(fmt.Sprintf("b%d-%02d", len(batches), i), "control.noop", "ci", t0.Add(time.Duration(len(batches))*time.Second), 0)
			shape(i, &f)
			b = append(b, f)
		}
		batches = append(batches, b)
	}
	add(func(int, *Finished) {})
	add(func(i int, f *Finished) { // one failed
		if i == 5 {
			f.Report.Status = report.StatusFailed
			f.Report.Error = &report.Error{Class: "execution", Message: "it's \"broken\"\n\ttab"}
			f.Report.Steps[0].Status, f.Report.Steps[0].Error = report.StatusFailed, f.Report.Error
		}
	})
	add(func(i int, f *Finished) { // callers, report files, dry runs, slots
		if i%2 == 0 {
			f.StartedBy, f.ReportPath = "", "/var/reports/r.json"
			f.Report.DryRun = true
			f.Slot = t0.Add(time.Duration(i) * time.Minute)
		}
	})
	add(func(i int, f *Finished) { // resources of some steps
		f.Report.Steps[0].Op, f.Report.Playbook.Name = "shell.exec", "shell.exec"
		if i > 3 {
			f.Report.Steps[0].Output = map[string]any{ops.ResourcesKey: map[string]any{"cpu_user_ms": int64(i), "cpu_sys_ms": 0, "max_rss_kb": 2048}}
		}
	})
	add(func(i int, f *Finished) { // another step a run, another times
		f.Report.StartedAt = f.Report.StartedAt.Add(time.Duration(i) * ms)
		f.Report.Steps = append(f.Report.Steps, report.Step{ID: "after", Op: "control.log", Status: report.StatusSkipped, Reason: "no"})
	})
	add(func(i int, f *Finished) { // a fan-out with items 0
		items := make([]report.Item, 3)
		for j := range items {
			items[j] = report.Item{Index: j, Status: report.StatusSucceeded, StartedAt: &f.Report.StartedAt, Attempts: 1}
		}
		f.Report.Steps[0].Items, f.Report.Steps[0].Attempts = items, 3
	})
	batches = append(batches, []Finished{{Report: sampleReport("s1", t0), Trigger: TriggerAPI, StartedBy: "ops"}})
	batch, alone := openStore(t), openStore(t)
	for _, b := range batches {
		if err := batch.RecordFinished(ctx, b); err != nil {
			t.Fatal(err)
		}
		for _, f := range b {
			if err := alone.RecordFinished(ctx, []Finished{f}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{
		`SELECT *, typeof(slot), typeof(duration_ms) FROM runs ORDER BY id`,
		`SELECT *, typeof(item), typeof(cpu_user_ms), typeof(error_class) FROM steps ORDER BY run_id, rowid`,
	} {
		want, got := dumpRows(t, alone, q), dumpRows(t, batch, q)
		if len(want) < minSharedRows*(len(batches)-1) {
			t.Fatalf("%s: %d rows recorded alone", q, len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-alone +batch):\n%s", q, diff)
		}
	}
	forms.mu.Lock()
	defer forms.mu.Unlock()
	if n := len(forms.m[upsertFinishedRows]); n == 0 || n > maxSharedForms {
		t.Errorf("%d sets of shared columns of the run rows", n)
	}
	for _, f := range forms.m[insertStepsQuery] {
		t.Logf("step rows share %016b (%d columns)", f, bits.OnesCount64(f))
	}
}

// Slots claimed together record what each claimed alone records, and are
// claimed once.
func TestClaimSlotsSharedAsAlone(t *testing.T) {
	forms.mu.Lock()
	forms.m = nil
	forms.mu.Unlock()
	ctx := context.Background()
	batch, alone := openStore(t), openStore(t)
	const n = minSharedRows + 9
	shapes := []func(i int, sl *Slot){
		func(i int, sl *Slot) { sl.Outcome, sl.RunID = SlotFired, fmt.Sprintf("r%02d", i) },
		func(i int, sl *Slot) {
			sl.Outcome, sl.BlockedBy, sl.Message = SlotSkipped, "r1", "skipped: run r1 was still running (overlap: skip)"
		},
		func(i int, sl *Slot) {
			sl.Outcome = []SlotOutcome{SlotFired, SlotQueued, SlotSkipped, SlotMissed, SlotFailed}[i%5]
			sl.Message = string(sl.Outcome)
		},
		func(i int, sl *Slot) { sl.Outcome, sl.SHA256 = SlotMissed, "abc" },
	}
	for k, shape := range shapes {
		slots := make([]Slot, n)
		for i := range slots {
			at := t0.Add(time.Duration(k) * time.Minute)
			slots[i] = Slot{Playbook: fmt.Sprintf("p%02d", i), Path: fmt.Sprintf("/pb/p%02d.yaml", i), Slot: at, At: at.Add(time.Millisecond)}
			shape(i, &slots[i])
		}
		// Claimed twice: the second time, none is.
		for _, again := range []bool{false, true} {
			got, err := batch.ClaimSlots(ctx, slots)
			if err != nil {
				t.Fatal(err)
			}
			for i, sl := range slots {
				one, err := alone.ClaimSlots(ctx, []Slot{sl})
				if err != nil {
					t.Fatal(err)
				}
				if got[i] != one[0] || got[i] == again {
					t.Fatalf("shape %d, again %v: slot of %s claimed %v together, %v alone", k, again, sl.Playbook, got[i], one[0])
				}
			}
		}
	}
	for _, q := range []string{
		`SELECT * FROM schedule_slots ORDER BY slot, playbook`,
		`SELECT * FROM schedules ORDER BY playbook`,
		// A slot's run id is random.
		`SELECT playbook, path, sha256, roles, status, started_at, finished_at, duration_ms, inputs, report_path,
			error_class, error_message, triggered_by, slot, blocked_by, owner, dry_run, started_by FROM runs ORDER BY slot, playbook`,
	} {
		want, got := dumpRows(t, alone, q), dumpRows(t, batch, q)
		if len(want) < n {
			t.Fatalf("%s: %d rows recorded alone", q, len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-alone +batch):\n%s", q, diff)
		}
	}
	forms.mu.Lock()
	defer forms.mu.Unlock()
	if len(forms.m[recordQuery]) == 0 {
		t.Error("no slot records shared a column")
	}
}
