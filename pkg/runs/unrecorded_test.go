package runs

import (
	"strings"
	"testing"
	"time"
)

// TestUnrecordedTellsTheEndsTheStoreRefused: while the store refused the
// ends of runs (a full disk under the state dir), nothing told /healthz:
// it answered ok. Unrecorded counts them, with the store's refusal, until
// they are recorded.
func TestUnrecordedTellsTheEndsTheStoreRefused(t *testing.T) {
	h, st, _, m := awayManager(t, Limits{MaxRunning: 2})
	if n, err := m.svc.Unrecorded(); n != 0 || err != nil {
		t.Fatalf("before any refusal: %d, %v", n, err)
	}
	var ids []string
	for _, run := range runWhileAway(t, m, st, 2) {
		ids = append(ids, run.ID())
	}
	n, err := m.svc.Unrecorded()
	if n != 2 || err == nil || !strings.Contains(err.Error(), "the database is away") {
		t.Errorf("while the store refuses: %d, %v; want 2 and its refusal", n, err)
	}
	st.away.Store(false)
	waitSucceeded(t, h, ids, "once the store is back")
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := m.svc.Unrecorded()
		if n == 0 && err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("once recorded: %d, %v; want 0 and no error", n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
