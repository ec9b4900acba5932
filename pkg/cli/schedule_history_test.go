package cli

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestHistoryTrigger: --trigger filters on what started a run, and --json
// shows the trigger, the slot and the run that blocked a skipped slot.
func TestHistoryTrigger(t *testing.T) {
	state := t.TempDir()
	s, err := history.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	slot := time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)
	if err := s.RecordStart(ctx, history.Run{ID: "by-hand", Playbook: "nightly", StartedAt: slot.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordStart(ctx, history.Run{ID: "sched", Playbook: "nightly", StartedAt: slot.Add(time.Second), Trigger: history.TriggerSchedule, Slot: &slot}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimSlots(ctx, []history.Slot{{Playbook: "nightly", Slot: slot.Add(time.Hour), Outcome: history.SlotSkipped, BlockedBy: "sched", Message: "skipped", At: slot.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	res := runMain(t, "history", "--state-dir", state, "--trigger", "schedule", "--json")
	res.want(t, ExitOK, nil, nil)
	var runs []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &runs); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	for _, r := range runs {
		got = append(got, map[string]any{"status": r["status"], "trigger": r["trigger"], "slot": r["slot"], "blocked_by": r["blocked_by"]})
	}
	want := []map[string]any{
		{"status": "skipped", "trigger": "schedule", "slot": "2026-03-29T02:00:00Z", "blocked_by": "sched"},
		{"status": "interrupted", "trigger": "schedule", "slot": "2026-03-29T01:00:00Z", "blocked_by": nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history --trigger schedule (-want +got):\n%s", diff)
	}
	res = runMain(t, "history", "--state-dir", state, "--trigger", "cli", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &runs); err != nil || len(runs) != 1 || runs[0]["id"] != "by-hand" || runs[0]["trigger"] != "cli" {
		t.Errorf("history --trigger cli: %v\n%s", err, res.stdout)
	}
	runMain(t, "history", "--state-dir", state, "--trigger", "cron").want(t, ExitUsage, nil, []string{`unknown trigger "cron" (did you mean "schedule"?); use cli, schedule or api`})
}
