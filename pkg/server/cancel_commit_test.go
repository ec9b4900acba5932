package server

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestQueuedCancelNotCommittedIsAuditedSo: the audit line of a cancel
// through the shared queue is written before its request is committed,
// so that no run is cancelled unaudited. When the database then refuses
// the commit, the run goes on waiting; a line saying so follows the
// first, so that the audit log does not tell of a cancel that never
// happened. A cancel once the database takes it again is carried out.
func TestQueuedCancelNotCommittedIsAuditedSo(t *testing.T) {
	c := startCluster(t)
	ts, pg := newQueueServer(t, c, c.NewDatabase(t), 10)
	ctx := context.Background()
	// A check the database makes at commit time fails every commit
	// that writes a cancel request.
	for _, sql := range []string{
		`CREATE FUNCTION refuse_cancel() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'cancels are refused'; END $$`,
		`CREATE CONSTRAINT TRIGGER refuse_cancel AFTER INSERT ON run_cancels DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_cancel()`,
	} {
		if _, err := pg.Pool().Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	e := ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).wantError(t, 500, ClassInternal)
	if msg, _ := e["message"].(string); !strings.Contains(msg, "not cancelled") {
		t.Errorf("the refused cancel says %q, want that the run was not cancelled", msg)
	}
	outcomes := func() []string {
		t.Helper()
		audit, _ := os.ReadFile(ts.audit)
		var out []string
		for line := range strings.SplitSeq(strings.TrimSpace(string(audit)), "\n") {
			var l map[string]any
			if json.Unmarshal([]byte(line), &l) == nil && l["run_id"] == id && l["action"] == "cancel" {
				out = append(out, l["outcome"].(string))
			}
		}
		return out
	}
	if got := strings.Join(outcomes(), " "); got != "cancelled failed" {
		t.Errorf("the audit lines of the refused cancel: %q, want %q", got, "cancelled failed")
	}
	if st := ts.get("admin", "/api/v1/runs/"+id).want(t, 200).json(t)["status"]; st != "queued" {
		t.Errorf("the run whose cancel was refused is %v, want queued", st)
	}

	if _, err := pg.Pool().Exec(ctx, `DROP TRIGGER refuse_cancel ON run_cancels`); err != nil {
		t.Fatal(err)
	}
	ts.post("admin", "/api/v1/runs/"+id+"/cancel", nil).want(t, 202)
	if got := strings.Join(outcomes(), " "); got != "cancelled failed cancelled" {
		t.Errorf("the audit lines once the cancel is taken: %q, want %q", got, "cancelled failed cancelled")
	}
}
