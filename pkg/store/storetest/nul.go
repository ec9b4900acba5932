package storetest

// Error messages with bytes a text column cannot hold.

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// testErrorWithNUL: a run whose error quotes a NUL byte (a response body,
// a decoded value) is recorded, by itself and in a batch, and so is a
// slot whose message holds one; each store reads U+FFFD in its place.
func testErrorWithNUL(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.RecordStart(ctx, history.Run{ID: "n1", Playbook: "probe", Path: "/pb/probe.yaml", StartedAt: t0}))
	rep := finished("n1", "probe", report.StatusFailed, t0, map[string]int64{"control.fail": 1})
	rep.Error.Message = "step s0 failed: body a\x00b"
	must(t, s.RecordFinish(ctx, rep, "", ""))
	batch := finished("n2", "probe", report.StatusFailed, t0.Add(time.Second), map[string]int64{"control.fail": 1})
	batch.Error.Message = "step s0 failed: \x00"
	must(t, s.RecordFinished(ctx, []history.Finished{{Report: batch, Trigger: history.TriggerAPI}}))
	sl := history.Slot{Playbook: "probe", Path: "/pb/probe.yaml", Slot: t0.Add(time.Minute), Outcome: history.SlotFailed,
		Message: "could not start: \x00", At: t0.Add(time.Minute)}
	claimed, err := s.ClaimSlots(ctx, []history.Slot{sl})
	must(t, err)
	if !claimed[0] {
		t.Fatal("the slot was not claimed")
	}
	for id, want := range map[string]string{"n1": "step s0 failed: body a\uFFFDb", "n2": "step s0 failed: \uFFFD"} {
		run, err := s.Get(ctx, id)
		must(t, err)
		if run.Status != report.StatusFailed || run.Error == nil || run.Error.Message != want {
			t.Errorf("run %s: status %s, error %+v; want failed, %q", id, run.Status, run.Error, want)
		}
	}
	recs, err := s.Slots(ctx, "probe", time.Time{}, 0)
	must(t, err)
	if len(recs) != 1 || recs[0].Message != "could not start: \uFFFD" {
		t.Errorf("slot records %+v, want one with message %q", recs, "could not start: \uFFFD")
	}
}
