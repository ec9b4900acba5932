package runs

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLiveRowsCountOnlyCalls: while a run goes, the statistics count the
// calls it has finished as they will be counted once it ends: a fan-out
// step's own row (the total of its items) is no call, nor is the row of
// a step retried, whose duration holds its attempts and the waits between
// them; its attempts count once the run's report is recorded.
func TestLiveRowsCountOnlyCalls(t *testing.T) {
	m := newManager(t, Config{StateDir: t.TempDir()}, Limits{})
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, `version: 1
name: live-calls
steps:
  - {id: fan, op: control.noop, foreach: "[1, 2, 3]"}
  - {id: flaky, op: control.fail, with: {message: no}, retry: {attempts: 2, delay: 10ms}, continue_on_error: true}
  - {id: nap, op: control.sleep, with: {duration: 1h}}
`)})
	if err != nil {
		t.Fatal(err)
	}
	store := m.Service().History()
	counts := func() map[string][2]int64 {
		ops, _, err := store.Stats(context.Background(), time.Now().Add(-time.Hour), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][2]int64{}
		for _, o := range ops {
			got[o.Op] = [2]int64{o.Count, o.Errors}
		}
		return got
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows, err := store.Steps(context.Background(), h.ID())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 5 { // fan and its 3 items, flaky
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("history has %d step rows while the run goes on, want 5: %+v", len(rows), rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff(map[string][2]int64{"control.noop": {3, 0}}, counts()); diff != "" {
		t.Errorf("calls and errors while the run goes (-want +got):\n%s", diff)
	}
	h.Cancel(nil)
	wait(t, h)
	if diff := cmp.Diff(map[string][2]int64{"control.noop": {3, 0}, "control.fail": {2, 2}, "control.sleep": {1, 0}}, counts()); diff != "" {
		t.Errorf("calls and errors once the run ended (-want +got):\n%s", diff)
	}
}
