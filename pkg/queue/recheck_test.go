package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/pgtest"
	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestQueuedRunOfACallerNoLongerInForceDoesNotStart: a run asked for
// through the API waits in the queue while a reload removes its caller's
// key; the replica that takes it asks its caller check as the run starts,
// and the run ends failed for authorization, saying why, with nothing
// run. Before, the replica ran it with the roles it was queued with.
func TestQueuedRunOfACallerNoLongerInForceDoesNotStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	a := newReplica(t, dsn, 1, false)
	var gone atomic.Bool
	var asked atomic.Int32
	a.q.SetCallerCheck(func(ra RunArgs) string {
		asked.Add(1)
		if gone.Load() && ra.Caller == "test" {
			return "the key test was removed from the keys file since the run was queued"
		}
		return ""
	})
	marks := filepath.Join(t.TempDir(), "marks")
	id, _, err := a.q.Submit(context.Background(), args("mark", map[string]any{"file": marks}))
	if err != nil {
		t.Fatal(err)
	}
	gone.Store(true) // the reload, while the run waits in the queue
	if err := a.q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := await(t, a.q, id); st != report.StatusFailed {
		t.Errorf("the run of a removed key ended %s, want failed", st)
	}
	if _, err := os.Stat(marks); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run of a removed key ran (%v)", err)
	}
	run, err := a.pg.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Error == nil || run.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(run.Error.Message, "the key test was removed") {
		t.Errorf("the run's error: %+v, want authorization, saying the key was removed", run.Error)
	}
	if asked.Load() == 0 {
		t.Error("the caller check was never asked")
	}
}

// TestQueuedRunWhoseRoleWentAwayIsRefusedAndAudited: a run waits in the
// queue while a reload takes its caller's role out of the policy; the
// replica that takes it ends it failed for authorization, not for its
// request, and writes the refusal to its audit log (action start,
// outcome denied) with who asked and why. Before, it ended as a
// validation error and the audit log said nothing.
func TestQueuedRunWhoseRoleWentAwayIsRefusedAndAudited(t *testing.T) {
	dsn := pgtest.DSN(t)
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	audit, err := auth.OpenAudit(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	policy, err := auth.ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  admin: {allow: [\"*\"]}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := newReplicaService(t, dsn, 1, false, 0, func(c *runs.Config) { c.Audit = audit },
		func(c *Config) { c.Policy = func() *auth.Policy { return policy } })
	marks := filepath.Join(t.TempDir(), "marks")
	ra := args("mark", map[string]any{"file": marks})
	ra.Roles, ra.Caller, ra.From = []string{"deployer"}, "dora", "10.0.0.5"
	id, _, err := a.q.Submit(context.Background(), ra)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := await(t, a.q, id); st != report.StatusFailed {
		t.Errorf("the run of a role gone ended %s, want failed", st)
	}
	if _, err := os.Stat(marks); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the run of a role gone ran (%v)", err)
	}
	run, err := a.pg.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Error == nil || run.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(run.Error.Message, `unknown role "deployer"`) {
		t.Errorf("the run's error: %+v, want authorization, naming the role", run.Error)
	}
	b, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var l auth.AuditLine
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("the audit log %q: %v, want one line", b, err)
	}
	if l.RunID != id || l.Action != auth.ActionStart || l.Who != "dora" || l.From != "10.0.0.5" || l.Outcome != string(report.StatusDenied) ||
		l.Error == nil || !strings.Contains(l.Error.Message, `unknown role "deployer"`) {
		t.Errorf("the refusal's audit line: %s", b)
	}
}
