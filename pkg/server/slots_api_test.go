package server

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestSlotsNameTheirBlockerEverywhere: a slot skipped behind a run still
// starting is recorded naming no run, and the run is named once it has
// an id, in blocked_by only (its message says it was still starting).
// GET /api/v1/schedules and GET /api/v1/runs give that blocked_by and the
// slot, as history --json does, so that an API caller or the console can
// tell which slot it was and what kept it from running.
func TestSlotsNameTheirBlockerEverywhere(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Scheduling = func() bool { return true } })
	ts.addPlaybook(t, "backup.yaml", `version: 1
name: backup
schedule: {cron: "@every 1m"}
steps:
  - {id: dump, op: shell.exec, with: {command: ["true"]}}
`)
	h := ts.mgr.Service().History()
	slot := time.Now().Add(-time.Minute).Truncate(time.Minute).UTC()
	sl := history.Slot{Playbook: "backup", Path: "backup.yaml", Slot: slot, Outcome: history.SlotSkipped, At: slot,
		Message: "skipped: the run of the slot of " + slot.Add(-time.Minute).Format(time.RFC3339) + " was still starting (overlap: skip)", BlockerStarting: true}
	if _, err := h.ClaimSlots(t.Context(), []history.Slot{sl}); err != nil {
		t.Fatal(err)
	}
	sl.BlockedBy = "20260101T000000-0123456789abcdef0123456789abcdef"
	if err := h.SettleSlot(t.Context(), sl); err != nil {
		t.Fatal(err)
	}

	list := ts.get("viewer", "/api/v1/schedules").want(t, 200).json(t)
	slots := list["schedules"].([]any)[0].(map[string]any)["slots"].([]any)
	if len(slots) != 1 {
		t.Fatalf("slots %v", slots)
	}
	got := slots[0].(map[string]any)
	if got["status"] != "skipped" || got["slot"] != slot.Format(time.RFC3339) || got["blocked_by"] != sl.BlockedBy {
		t.Errorf("the skipped slot in /api/v1/schedules: %v; want its slot %s and blocked_by %s", got, slot.Format(time.RFC3339), sl.BlockedBy)
	}

	runs := ts.get("viewer", "/api/v1/runs?trigger=schedule").want(t, 200).json(t)["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("runs %v", runs)
	}
	run := runs[0].(map[string]any)
	if run["status"] != "skipped" || run["slot"] != slot.Format(time.RFC3339) || run["blocked_by"] != sl.BlockedBy {
		t.Errorf("the skipped slot in /api/v1/runs: %v; want its slot %s and blocked_by %s", run, slot.Format(time.RFC3339), sl.BlockedBy)
	}
}
