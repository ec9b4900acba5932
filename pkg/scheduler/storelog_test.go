package scheduler

import (
	"testing"
	"time"
)

// TestStoreFailureIsNotLoggedEveryRetry: a history that cannot record
// slots for an hour (a full disk) is logged when it starts to fail, again
// every storeLogEvery with when it began, and once when it records again,
// not at every retry of every playbook that comes due.
func TestStoreFailureIsNotLoggedEveryRetry(t *testing.T) {
	h := newHarness(t, t10.Add(-time.Second))
	h.load(playbook("a", "@every 1s"), playbook("b", "@every 7s"), playbook("c", "@every 1m"))
	fs := &failingStore{Store: h.store, failures: 1 << 30}
	h.s.cfg.Store = fs
	h.runUntil(t10.Add(time.Hour))
	var failing []map[string]any
	for _, l := range h.logs.lines("the history cannot record slots; nothing fires until it can") {
		if l["level"] == "error" {
			failing = append(failing, l)
		}
	}
	if n := len(failing); n < 1 || n > 7 {
		t.Fatalf("%d lines for an hour of failures, want one, then one every 10m", n)
	}
	for _, l := range failing[1:] {
		if l["since"] == nil || l["since"] != failing[1]["since"] {
			t.Errorf("a repeated line does not say since when: %v", l)
		}
	}
	if hl := h.s.Health(); hl.StoreError == nil {
		t.Error("health does not show the failure")
	}
	// The slots that pass are not recorded yet: the gap is logged once,
	// when they are, not at each retry with a count that grows.
	if gaps := h.logs.lines("slots were missed"); len(gaps) != 0 {
		t.Fatalf("%d gaps logged while nothing was recorded, the last %v", len(gaps), gaps[len(gaps)-1])
	}
	fs.failures = 0
	h.run(5 * time.Second)
	if hl := h.s.Health(); hl.StoreError != nil {
		t.Errorf("health after the history records again: %+v", hl.StoreError)
	}
	back := h.logs.lines("the history records slots again; firing resumes")
	if len(back) != 1 || back[0]["failed_for"] == nil {
		t.Errorf("recovery lines: %v", back)
	}
	if gaps := h.logs.lines("slots were missed"); len(gaps) != 3 {
		t.Errorf("gaps logged once the history recorded again: %v, want one for each playbook", gaps)
	}
	if got := len(h.launcher.slotsOf("a")); got == 0 {
		t.Error("nothing fired once the history recorded again")
	}
}
