package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// TestTextNotesWrapToTheTerminal: on a terminal a step's note that runs
// past the width wraps at spaces under itself, or, with no room beside
// the other columns, under its row, indented; without a width (piped)
// every row is one line, as scripts read it.
func TestTextNotesWrapToTheTerminal(t *testing.T) {
	at := goldenStart
	steps := func(id string) *Report {
		return &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "lag"}, Status: StatusFailed,
			StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000,
			Steps: []Step{
				{ID: "probe", Op: "control.log", Section: "steps", Status: StatusSucceeded, StartedAt: &at, Attempts: 1},
				{ID: id, Op: "control.assert", Section: "steps", Status: StatusFailed, StartedAt: &at, Attempts: 1,
					Error: &Error{Class: "execution", Message: "replica lag on db-07 exceeded 30 seconds; page the DBA"}},
			}}
	}
	table := func(r *Report, width int) string {
		var b bytes.Buffer
		if err := WriteTextFit(&b, r, width); err != nil {
			t.Fatal(err)
		}
		_, rows, _ := strings.Cut(b.String(), "\n")
		return rows
	}
	beside := `     STEP       OP              STATUS     TIME  TRIES  NOTE
  ✓  probe      control.log     succeeded  0ms   1
  ✗  check_lag  control.assert  failed     0ms   1      execution: replica lag
                                                        on db-07 exceeded 30
                                                        seconds; page the DBA
`
	if diff := cmp.Diff(beside, table(steps("check_lag"), 80)); diff != "" {
		t.Errorf("at 80 columns (-want +got):\n%s", diff)
	}
	long := "check_the_replication_lag_of_every_replica"
	under := `     STEP                                        OP              STATUS     TIME  TRIES  NOTE
  ✓  probe                                       control.log     succeeded  0ms   1
  ✗  check_the_replication_lag_of_every_replica  control.assert  failed     0ms   1
      execution: replica lag on db-07 exceeded 30 seconds; page the DBA
`
	if diff := cmp.Diff(under, table(steps(long), 100)); diff != "" {
		t.Errorf("at 100 columns (-want +got):\n%s", diff)
	}
	whole := `     STEP       OP              STATUS     TIME  TRIES  NOTE
  ✓  probe      control.log     succeeded  0ms   1
  ✗  check_lag  control.assert  failed     0ms   1      execution: replica lag on db-07 exceeded 30 seconds; page the DBA
`
	if diff := cmp.Diff(whole, table(steps("check_lag"), 0)); diff != "" {
		t.Errorf("without a width (-want +got):\n%s", diff)
	}
}

// TestTextNotesWrapToColumns: a note in Chinese, two columns a character,
// wraps to the terminal's columns, not to as many characters, which the
// terminal would wrap again into the next row; that holds for a row of
// fewer characters than the terminal has columns, too.
func TestTextNotesWrapToColumns(t *testing.T) {
	at := goldenStart
	for _, msg := range []string{"这是一个非常长的错误消息这是一个非常长的错误消息这是一个非常长的错误消息", "磁盘空间不足请清理日志目录再试"} {
		r := &Report{ReportVersion: FormatVersion, RunID: "r1", Playbook: Playbook{Name: "lag"}, Status: StatusFailed,
			StartedAt: at, FinishedAt: at.Add(time.Second), DurationMS: 1000,
			Steps: []Step{{ID: "check_disk", Op: "control.assert", Section: "steps", Status: StatusFailed, StartedAt: &at, Attempts: 1,
				Error: &Error{Class: "execution", Message: msg}}}}
		var b bytes.Buffer
		if err := WriteTextFit(&b, r, 80); err != nil {
			t.Fatal(err)
		}
		_, rows, _ := strings.Cut(b.String(), "\n")
		for _, l := range strings.Split(strings.TrimSuffix(rows, "\n"), "\n") {
			if w := termtext.Width(l); w > 80 {
				t.Errorf("a line %d columns wide, past 80: %q\n%s", w, l, rows)
			}
		}
		if joined := strings.Join(strings.Fields(rows), ""); !strings.Contains(joined, msg) {
			t.Errorf("the note is not whole:\n%s", rows)
		}
	}
}
