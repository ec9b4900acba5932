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
		if _, err := finishedRow(f); err != nil {
			t.Fatal(err)
		}
	})
	// The row, its RunID, Name and StartedBy, and two times.
	if got > 6 {
		t.Errorf("a run row made %.0f allocations, want at most 6", got)
	}
}
