package server

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestAPICallerActsOnlyOnItsAPIRuns: a key's name matching the caller
// name of a scheduled run (or of a CLI user) does not make that run the
// key's: it may cancel it only if its roles could have started it. A run
// it started through the API is its own.
func TestAPICallerActsOnlyOnItsAPIRuns(t *testing.T) {
	ts := newTestServer(t)
	ts.addPlaybook(t, "nap.yaml", `version: 1
name: nap
steps:
  - {id: nap, op: shell.exec, with: {command: [sleep, "60"]}}
`)
	start := func(trigger runs.Trigger) *runs.Handle {
		t.Helper()
		pb, ok := ts.srv.current().Playbooks.Get("nap")
		if !ok {
			t.Fatal("nap is not served")
		}
		h, err := ts.mgr.Start(context.Background(), runs.Request{Playbook: pb,
			Caller: runs.Caller{Name: "viewer", Roles: []string{"admin"}, Trigger: trigger}})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "the run starts", func() bool { return h.State() == runs.StateRunning })
		return h
	}
	for _, trigger := range []runs.Trigger{runs.TriggerSchedule, runs.TriggerCLI} {
		h := start(trigger)
		e := ts.do(request{method: "POST", path: "/api/v1/runs/" + h.ID() + "/cancel", key: "viewer"}).wantError(t, 403, ClassAuthorization)
		if msg, _ := e["message"].(string); !strings.Contains(msg, "did not start run") {
			t.Errorf("%s run: %v", trigger, e)
		}
		if h.State() != runs.StateRunning {
			t.Errorf("%s run: %s after a refused cancel", trigger, h.State())
		}
		h.Cancel(nil)
		<-h.Done()
	}
	h := start(runs.TriggerAPI)
	ts.do(request{method: "POST", path: "/api/v1/runs/" + h.ID() + "/cancel", key: "viewer"}).want(t, 202)
	<-h.Done()
}

// TestKeysRefuseReservedNames: no key or certificate may take the name
// arsenal-run gives the runs it starts itself.
func TestKeysRefuseReservedNames(t *testing.T) {
	_, digest, _ := NewKey()
	_, err := ParseKeys("k.yaml", []byte("version: 1\nkeys:\n  - {name: scheduler, sha256: "+digest+", roles: [viewer]}\ncerts:\n  - {subject: Scheduler, roles: [viewer]}\n"))
	if err == nil {
		t.Fatal("the reserved names were accepted")
	}
	for _, want := range []string{`k.yaml:3:12: key name "scheduler" is reserved`, `k.yaml:5:15: certificate subject "Scheduler" is reserved`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
	if msg := CheckKeyName("scheduler"); !strings.Contains(msg, "reserved") {
		t.Errorf("CheckKeyName(scheduler) = %q", msg)
	}
}
