package runs

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestHistoryRecordsTriggerAndSlot: the history row of a run says what
// started it and, for a scheduled run, its slot; so do the rows of runs
// that never ran: one denied by the preflight and one cancelled while it
// waited for a place.
func TestHistoryRecordsTriggerAndSlot(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{MaxRunning: 1, MaxQueued: 1})
	ctx := context.Background()
	slot := time.Date(2026, 3, 29, 3, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	sched := Caller{Roles: []string{"operator"}, Name: "scheduler", Trigger: TriggerSchedule, Slot: slot}

	noop := writePlaybook(t, "version: 1\nname: noop\nsteps:\n  - {id: a, op: control.noop}\n")
	byHand, err := m.Start(ctx, Request{Path: noop, Caller: Caller{Trigger: TriggerCLI, Name: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, byHand)
	cron, err := m.Start(ctx, Request{Path: noop, Caller: sched})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, cron)
	// viewer may not run a write op: denied by the preflight.
	denied, err := m.Start(ctx, Request{Path: writePlaybook(t, "version: 1\nname: w\nsteps:\n  - {id: a, op: file.write, with: {path: never-written, content: x}}\n"),
		Caller: Caller{Roles: []string{auth.RoleViewer}, Trigger: TriggerSchedule, Slot: slot}})
	if err != nil {
		t.Fatal(err)
	}
	if rep := wait(t, denied); rep.Error == nil || rep.Error.Class != "authorization" {
		t.Fatalf("the write run ended %s, %+v; want an authorization failure", rep.Status, rep.Error)
	}
	running, err := m.Start(ctx, Request{Path: writePlaybook(t, sleeper), Caller: sched})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, running)
	queued, err := m.Start(ctx, Request{Path: noop, Caller: sched})
	if err != nil {
		t.Fatal(err)
	}
	queued.Cancel(nil)
	wait(t, queued)
	running.Cancel(nil)
	wait(t, running)

	type row struct {
		Status  report.Status
		Trigger history.Trigger
		Slot    string
	}
	get := func(h *Handle) row {
		t.Helper()
		r, err := m.Service().History().Get(ctx, h.ID())
		if err != nil {
			t.Fatal(err)
		}
		out := row{Status: r.Status, Trigger: r.Trigger}
		if r.Slot != nil {
			out.Slot = r.Slot.UTC().Format(time.RFC3339)
		}
		return out
	}
	want := []row{
		{report.StatusSucceeded, history.TriggerCLI, ""},
		{report.StatusSucceeded, history.TriggerSchedule, "2026-03-29T01:00:00Z"},
		{report.StatusFailed, history.TriggerSchedule, "2026-03-29T01:00:00Z"},
		{report.StatusCancelled, history.TriggerSchedule, "2026-03-29T01:00:00Z"},
		{report.StatusCancelled, history.TriggerSchedule, "2026-03-29T01:00:00Z"},
	}
	got := []row{get(byHand), get(cron), get(denied), get(running), get(queued)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history rows (-want +got):\n%s", diff)
	}
}
