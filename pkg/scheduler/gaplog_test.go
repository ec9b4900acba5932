package scheduler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestGapIsOneWarningNotOneASlot: after five hours down, an hourly
// playbook's missed slots are told by one "slots were missed" warning
// with their count, not by a warning each as well (a hundred a playbook
// after a long outage); each slot's line is still there at debug level.
// The newest slot, found late, still warns why it did not fire.
func TestGapIsOneWarningNotOneASlot(t *testing.T) {
	h := newHarness(t, t10.Add(-30*time.Minute))
	pb := playbook("p", "0 * * * *")
	h.load(pb)
	h.runUntil(t10.Add(30 * time.Minute))
	h.restart()
	h.clock.Jump(5 * time.Hour) // down until 15:30
	h.load(pb)
	h.run(0)
	gaps := h.logs.lines("slots were missed")
	if len(gaps) != 1 || gaps[0]["missed"] != float64(4) {
		t.Fatalf("gap lines %v, want one saying 4 missed", gaps)
	}
	h.logs.mu.Lock()
	b := bytes.Clone(h.logs.b.Bytes())
	h.logs.mu.Unlock()
	var newest, debug int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["slot"] == nil || m["message"] == "slots were missed" {
			continue
		}
		switch {
		case m["level"] == "warn" && m["slot"] == "2026-06-01T15:00:00Z":
			newest++
		case m["level"] == "warn":
			t.Errorf("a slot of the gap warned on its own: %v", m)
		case m["level"] == "debug":
			debug++
		}
	}
	if newest != 1 || debug != 4 {
		t.Errorf("%d warnings for the newest slot and %d debug lines for the gap's, want 1 and 4", newest, debug)
	}
}
