package history

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/google/go-cmp/cmp"
)

// TestEmptyTextBoundAsNullWritesTheSameRows: runs recorded in batches
// with their empty strings bound as NULL (textColumns) leave the same
// rows, value and SQLite type of every column, as the plain statements
// that bind every string leave: empty text stays empty text, never NULL.
func TestEmptyTextBoundAsNullWritesTheSameRows(t *testing.T) {
	start := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	var batch []Finished
	for i := range 131 { // 128 + 2 + 1 rows: statements of three sizes
		r := sampleReport(fmt.Sprintf("run-%03d", i), start.Add(time.Duration(i)*time.Second))
		f := Finished{Report: r, Trigger: TriggerAPI, StartedBy: "ci"}
		switch i % 4 {
		case 0: // an execute: no path, no error, no inputs, no roles
			r.Playbook = report.Playbook{Name: "control.noop", Path: report.OperationPath + "control.noop"}
			r.Inputs, r.Roles, r.Error, r.Status = nil, nil, nil, report.StatusSucceeded
			r.Steps = []report.Step{{ID: "control.noop", Op: "control.noop", Status: report.StatusSucceeded, StartedAt: &start, Attempts: 1}}
		case 1: // everything set
			f.ReportPath, f.Slot, r.ResumedFrom = "reports/x.json", start, "run-000"
		case 2: // strings empty that are usually not
			r.Playbook, r.RunID, f.StartedBy, f.Trigger = report.Playbook{}, fmt.Sprintf("r%d", i), "", ""
			r.Error = &report.Error{}
			r.Steps[0].ID, r.Steps[0].Op, r.Steps[0].Section = "", "", ""
		}
		batch = append(batch, f)
	}
	dump := func(t *testing.T, plain bool) string {
		if plain {
			saved := textColumns
			textColumns = nil
			defer func() { textColumns = saved }()
		}
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.RecordFinished(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, table := range []string{"runs", "steps"} {
			rows, err := s.db.Query(`SELECT * FROM ` + table + ` ORDER BY rowid`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					fmt.Fprintf(&b, "%s=%T:%v ", cols[i], v, v)
				}
				b.WriteString("\n")
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
		return b.String()
	}
	want := dump(t, true)
	got := dump(t, false)
	if !strings.Contains(want, "report_path=string: ") || !strings.Contains(want, "slot=<nil>") {
		t.Fatalf("the rows lack an empty text or a NULL to compare:\n%s", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows written with empty text bound as NULL differ (-plain +now):\n%s", diff)
	}
}

// TestEmptyAsNullLeavesOtherValues: only the empty strings of the text
// columns become NULL; other columns' values and non-empty strings stay.
func TestEmptyAsNullLeavesOtherValues(t *testing.T) {
	args := []any{"", "", nil, int64(0), "x", "", nil, 0}
	emptyAsNull(args, 4, columnBits(0, 2))
	want := []any{nil, "", nil, int64(0), "x", "", nil, 0}
	if diff := cmp.Diff(want, args); diff != "" {
		t.Errorf("emptyAsNull (-want +got):\n%s", diff)
	}
}
