package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestAQueuedRunIsJudgedAgainAfterAReload: an operator's run that waits
// for a run slot while a SIGHUP narrows the operator role, removes the
// operator's key, or changes its roles does not start when its slot
// comes: it ends failed for authorization, saying why, and writes
// nothing, as a request the operator sent then would be refused. Before,
// it ran with the policy and roles it was queued under.
func TestAQueuedRunIsJudgedAgainAfterAReload(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reload func(*testServer)
		want   string
	}{
		{"policy narrowed", func(ts *testServer) {
			ts.reloadPolicy(t, "version: 1\nroles:\n  ci: {inherits: [viewer], allow: [control.*]}\n  operator: {max_risk: read}\n")
		}, "authorization denied step write (file.write) under the policy reloaded while the run waited to start: no rule of role operator allows file.write"},
		{"key removed", func(ts *testServer) {
			ts.reloadKeys(t, "admin", "viewer", "ci", "other-admin")
		}, "the key operator was removed from the keys file since the run was queued"},
		{"roles changed", func(ts *testServer) {
			k := *ts.srv.current().Keys
			k.keys = append([]apiKey(nil), k.keys...)
			for i := range k.keys {
				if k.keys[i].name == "operator" {
					k.keys[i].roles = []string{"viewer"}
				}
			}
			k.index()
			st := ts.srv.current().State
			st.Keys = &k
			if err := ts.srv.Reload(st); err != nil {
				t.Fatal(err)
			}
		}, "the roles of the key operator changed since the run was queued (operator, now viewer)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			target := filepath.Join(t.TempDir(), "important.txt")
			ts.addPlaybook(t, "writer.yaml", fmt.Sprintf(`version: 1
name: writer
steps:
  - {id: write, op: file.write, with: {path: %q, content: written}}
`, target))
			var holders []string
			for range 4 { // every run slot
				holders = append(holders, ts.post("admin", "/api/v1/playbooks/sleeper/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string))
			}
			run := ts.post("operator", "/api/v1/playbooks/writer/runs", map[string]any{}).want(t, 202).json(t)
			if run["status"] != "queued" {
				t.Fatalf("the operator's run is %v, want it queued", run["status"])
			}
			id := run["run_id"].(string)
			tc.reload(ts)
			for _, h := range holders {
				ts.post("admin", "/api/v1/runs/"+h+"/cancel", nil).want(t, 202)
			}
			h, ok := ts.mgr.Get(id)
			if !ok {
				t.Fatal("the queued run is gone")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := h.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			rep := ts.get("admin", "/api/v1/runs/"+id).want(t, 200).json(t)
			if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the queued run wrote the file (%v): it ran on rights the reload took away", err)
			}
			e, _ := rep["error"].(map[string]any)
			if rep["status"] != string(report.StatusFailed) || e["class"] != string(ClassAuthorization) || !strings.Contains(fmt.Sprint(e["message"]), tc.want) {
				t.Errorf("the queued run: %v %v, want failed for authorization saying %q", rep["status"], e, tc.want)
			}
		})
	}
}

// TestASharedQueueRunIsJudgedByTheReplicaThatStartsIt: a run asked for
// through one replica waits in the shared queue (--state URL) while a
// reload removes its caller's key; the replica that takes it then does
// not start it, and says why. Before, it ran with the roles it was
// queued with, whatever the keys file said by then.
func TestASharedQueueRunIsJudgedByTheReplicaThatStartsIt(t *testing.T) {
	c := startCluster(t)
	ts, pg := newQueueServer(t, c, c.NewDatabase(t), 10)
	id := ts.post("operator", "/api/v1/playbooks/hello/runs", map[string]any{}).want(t, 202).json(t)["run_id"].(string)
	ts.reloadKeys(t, "admin", "viewer", "ci", "other-admin")
	q := ts.srv.cfg.Queue
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	done, _ := q.Await(id)
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the queued run did not end within a minute")
	}
	run, err := pg.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != report.StatusFailed || run.Error == nil || run.Error.Class != string(ClassAuthorization) ||
		!strings.Contains(run.Error.Message, "the key operator was removed from the keys file since the run was queued") {
		t.Errorf("the queued run of a removed key: %s %+v, want failed for authorization, saying why", run.Status, run.Error)
	}
}
