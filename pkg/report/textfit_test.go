package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
