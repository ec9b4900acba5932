package history

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// A run row's roles are its own, whatever roles the row before had.
func TestFinishedArgsRolesOfEachRun(t *testing.T) {
	for _, roles := range [][]string{{"admin"}, {"ops", "<dev>"}, nil, {"admin"}, {}, {"ops", "<dev>"}} {
		args, err := FinishedArgs(Finished{Report: &report.Report{RunID: "r", Roles: roles, Status: report.StatusSucceeded}})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(nonNil(roles))
		if diff := cmp.Diff(string(want), args[4]); diff != "" {
			t.Errorf("roles %q (-want +got):\n%s", roles, diff)
		}
		if args[9] != "{}" {
			t.Errorf("inputs of a run without any: %v, want {}", args[9])
		}
	}
}

// The row of an execute boxes only the values that are its own: its id,
// name, times and who started it; not its status, trigger, roles as the
// execute before, or inputs it has none of.
func TestFinishedRowAllocs(t *testing.T) {
	now := time.Now()
	f := Finished{Report: &report.Report{RunID: "20250101T000000-ab", Playbook: report.Playbook{Name: "control.noop"}, Roles: []string{"admin"},
		Status: report.StatusSucceeded, StartedAt: now, FinishedAt: now}, Trigger: TriggerAPI, StartedBy: "ci"}
	got := testing.AllocsPerRun(100, func() {
		if _, err := finishedRow(f, nil); err != nil {
			t.Fatal(err)
		}
	})
	// The row, its RunID, Name and StartedBy, and two times.
	if got > 6 {
		t.Errorf("a run row made %.0f allocations, want at most 6", got)
	}
}

// The row of a run that starts boxes only the values that are its own:
// not its status, trigger, the roles of the run before, or its Store's
// owner; and the row is made once, with room for dry_run.
func TestStartRowAllocs(t *testing.T) {
	run := Run{ID: "20250101T000000-ab", Playbook: "nightly", Path: "operation shell.exec", SHA256: "abc", Roles: []string{"admin"},
		Trigger: TriggerSchedule, StartedBy: "scheduler"}
	const owner = "0123456789abcdef01234567" // boxed once, as Store.ownerArg
	got := testing.AllocsPerRun(100, func() {
		if _, err := startRow(run, owner, 1); err != nil {
			t.Fatal(err)
		}
	})
	// The row, its ID, Playbook, Path, SHA256, StartedBy and start time.
	t.Logf("%.0f allocations", got)
	if got > 7 {
		t.Errorf("a start row made %.0f allocations, want at most 7", got)
	}
}
