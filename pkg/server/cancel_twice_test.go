package server

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

// Cancels of one run sent at once cancel and audit it once: the others
// are told it is being cancelled already (409), as a second cancel sent
// later is.
func TestConcurrentCancelsAuditOnce(t *testing.T) {
	ts := newTestServer(t)
	id := ts.post("operator", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	const n = 8
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := ts.post("operator", "/api/v1/runs/"+id+"/cancel", nil)
			statuses[i], bodies[i] = r.status, string(r.body)
		})
	}
	close(start)
	wg.Wait()
	accepted := 0
	for i, st := range statuses {
		switch st {
		case 202:
			accepted++
		case 409:
			var e struct {
				Error struct {
					Reason string `json:"reason"`
					RunID  string `json:"run_id"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(bodies[i]), &e); err != nil {
				t.Fatal(err)
			}
			// Clients tell these apart by the reason, not the message.
			switch {
			case strings.Contains(bodies[i], "cancelled already") && e.Error.Reason == "being_cancelled":
			case strings.Contains(bodies[i], "already ended") && e.Error.Reason == "ended":
			default:
				t.Errorf("409 %s; want it to say, with its reason, that the run is being cancelled already", bodies[i])
			}
			if e.Error.RunID != id {
				t.Errorf("409 %s; want run_id %s", bodies[i], id)
			}
		default:
			t.Errorf("status %d: %s", st, bodies[i])
		}
	}
	if accepted != 1 {
		t.Errorf("%d cancels answered 202, want 1: %v", accepted, statuses)
	}
	audit, _ := os.ReadFile(ts.audit)
	lines := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
			lines++
		}
	}
	if lines != 1 {
		t.Errorf("%d cancel lines in the audit log, want 1:\n%s", lines, audit)
	}
}
