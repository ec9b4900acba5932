package engine

import (
	"strings"
	"testing"
)

// TestAttemptMessageBudget: a fan-out whose items all fail their tries
// with long messages keeps the messages whole until the run's budget for
// them is spent (a sixteenth of its output budget), then the head of
// each one's first line and how much was cut; the report says what was
// cut, and each item's own error keeps its last try's message whole.
func TestAttemptMessageBudget(t *testing.T) {
	e, _ := newEngine(t, WithOutputBudget(16*4096))
	long := strings.Repeat("x", 800)
	rep := mustRun(t, plan(t, e, header+`
steps:
  - id: fan
    op: control.fail
    foreach: 0..19
    fail_fast: false
    with: {message: "db-${{ item }} refused the connection\n`+long+`"}
    retry: {attempts: 3, delay: 1ms}
    continue_on_error: true
`), nil)
	fan := stepOf(t, rep, "fan")
	var total, whole, cut int
	for _, it := range fan.Items {
		if it.Error == nil || !strings.HasSuffix(it.Error.Message, long) {
			t.Errorf("item %d: its own error lost its message's end", it.Index)
		}
		if len(it.AttemptLog) != 3 {
			t.Fatalf("item %d: %d tries logged, want 3", it.Index, len(it.AttemptLog))
		}
		for _, a := range it.AttemptLog {
			m := a.Error.Message
			total += len(m)
			switch {
			case strings.HasSuffix(m, long):
				whole++
			case strings.Contains(m, "refused the connection …[cut 801 bytes: over the run's budget for attempt messages]"):
				cut++
			default:
				t.Errorf("item %d try %d: message %.120q", it.Index, a.Attempt, m)
			}
		}
	}
	if whole == 0 || cut == 0 || whole+cut != 60 {
		t.Errorf("%d messages whole, %d cut; want some of each of 60", whole, cut)
	}
	if total > 4096+cut*120 {
		t.Errorf("the attempt log's messages hold %d bytes, over a 4 KiB budget", total)
	}
	b := rep.AttemptBudget
	if b == nil || b.LimitBytes != 4096 || b.CutMessages != int64(cut) || b.CutBytes != int64(cut)*801 || b.KeptBytes > b.LimitBytes {
		t.Errorf("report attempt_budget: %+v (cut %d)", b, cut)
	}
}
