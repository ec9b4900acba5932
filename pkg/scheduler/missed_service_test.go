package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestQueuedSlotLeftIsMissedThroughTheRunService is
// TestQueuedSlotLeftByADeadProcessIsMissed with the store as serve and
// schedule give it to the scheduler, the run service's History: what it
// hands out must still let the scheduler find the slots left queued.
func TestQueuedSlotLeftIsMissedThroughTheRunService(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second))
	h.launcher.hold = true
	h.load(playbook("q", "@every 1m", overlap("queue")))
	h.runUntil(t10.Add(time.Minute)) // 10:00 runs, 10:01 queued behind it
	if diff := cmp.Diff([]string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:01:00Z queued run-1"}, h.slots("q")); diff != "" {
		t.Fatalf("before the kill (-want +got):\n%s", diff)
	}
	h.store.Close() // killed: nothing settles its queue

	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: h.dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	h.store = svc.History()
	cfg := h.cfg
	cfg.Store = svc.History()
	logger := zerolog.New(h.logs)
	cfg.Logger = &logger
	if h.s, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	h.load(playbook("q", "@every 1m", overlap("queue")))
	if diff := cmp.Diff([]string{"2026-06-01T10:00:00Z fired", "2026-06-01T10:01:00Z missed run-1"}, h.slots("q")); diff != "" {
		t.Errorf("after the restart (-want +got):\n%s", diff)
	}
}
