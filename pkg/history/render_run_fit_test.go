package history

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestWriteRunFitsATerminal: on an 80-column terminal the step table of
// 'history show' keeps its rows apart: an error too long for the width
// wraps at spaces under its ERROR column, rather than the terminal
// wrapping it to the next line's start, through the STEP column; without
// a width every row is one line.
func TestWriteRunFitsATerminal(t *testing.T) {
	at := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	run := Run{ID: "r", Playbook: "p", Status: report.StatusFailed, StartedAt: at, FinishedAt: &at}
	rep := &report.Report{RunID: "r", Status: report.StatusFailed, Steps: []report.Step{{ID: "ping", Op: "shell.exec", Status: report.StatusFailed,
		Error: &report.Error{Class: "execution", Message: "item 2: exit code 1 is not in ok_codes [0]"}, Attempts: 1}}}
	rows := []StepRow{{StepID: "ping", Section: "steps", Kind: "step", Attempt: 1, Op: "shell.exec", Status: report.StatusFailed, ErrorClass: "execution", StartedAt: &at, DurationMS: 299}}
	write := func(width int) string {
		var b strings.Builder
		if err := WriteRunReportFit(&b, run, rows, rep, width); err != nil {
			t.Fatal(err)
		}
		_, table, _ := strings.Cut(b.String(), "\n\n")
		return table
	}
	want := `STEP  OP          STATUS    TRIES  DURATION  ERROR
ping  shell.exec  ✗ failed  1      299ms     execution: item 2: exit code 1 is
                                             not in ok_codes [0]
`
	if diff := cmp.Diff(want, write(80)); diff != "" {
		t.Errorf("the table at 80 columns (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(write(80), "\n") {
		if termtext.Width(l) > 80 {
			t.Errorf("a line past 80 columns: %q", l)
		}
	}
	if got := write(0); !strings.Contains(got, "299ms     execution: item 2: exit code 1 is not in ok_codes [0]\n") {
		t.Errorf("the table without a width:\n%s", got)
	}
}
