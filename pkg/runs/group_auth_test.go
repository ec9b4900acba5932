package runs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

const groupDeploy = `version: 1
name: deploy
concurrency: {group: "svc-${{ inputs.service }}", policy: queue}
inputs:
  service: {type: string, default: api}
steps:
  - {id: nap, op: control.sleep, with: {duration: 1h}}
  - {id: mark, op: file.write, with: {path: %q, content: "done\n"}}
`

const groupStatus = `version: 1
name: status
concurrency: {group: "svc-${{ inputs.service }}", policy: cancel_running}
inputs:
  service: {type: string, default: api}
steps:
  - {id: look, op: control.sleep, with: {duration: 1ms}}
`

// TestCancelRunningStopsOnlyRunsItsCallerCouldCancel: a viewer may run a
// read-only playbook that names an admin's concurrency group, but its
// cancel_running must not stop the admin's deploy, which the viewer could
// neither start nor cancel, whether the deploy runs in the same process
// or in another one of the same state dir. A caller whose roles could
// have started the deploy stops it.
func TestCancelRunningStopsOnlyRunsItsCallerCouldCancel(t *testing.T) {
	a, b := groupServices(t, true)
	deploy := writePlaybook(t, fmt.Sprintf(groupDeploy, filepath.Join(t.TempDir(), "deployed")))
	status := writePlaybook(t, groupStatus)
	admin := Caller{Name: "adm", Roles: []string{"admin"}, Trigger: TriggerAPI}
	viewer := Caller{Name: "view", Roles: []string{"viewer"}, Trigger: TriggerAPI}
	h1, err := a.Start(context.Background(), Request{Path: deploy, Caller: admin})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	for name, m := range map[string]*Manager{"same process": a, "another process": b} {
		h, err := m.Start(context.Background(), Request{Path: status, Caller: viewer})
		if err != nil {
			t.Fatal(err)
		}
		r := wait(t, h)
		want := fmt.Sprintf(`concurrency group "svc-api" is held by run %s, which this run's caller may not cancel: view did not start it and could not have started it`, h1.ID())
		if r.Status != report.StatusFailed || r.Error == nil || r.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(r.Error.Message, want) {
			t.Errorf("%s: the viewer's run: %s %+v; want failed, class authorization, with %q", name, r.Status, r.Error, want)
		}
		if len(r.Steps) != 1 || r.Steps[0].Status != report.StatusSkipped {
			t.Errorf("%s: the viewer's steps: %+v; want its step skipped", name, r.Steps)
		}
		if h1.State() != StateRunning {
			t.Fatalf("%s: the admin's deploy is %s after the viewer's run", name, h1.State())
		}
	}
	// Another admin could have started the deploy: its run stops it.
	other := Caller{Name: "other-admin", Roles: []string{"admin"}, Trigger: TriggerAPI}
	h3, err := b.Start(context.Background(), Request{Path: status, Caller: other})
	if err != nil {
		t.Fatal(err)
	}
	r1, r3 := wait(t, h1), wait(t, h3)
	if r1.Status != report.StatusCancelled || r1.Error == nil || !strings.Contains(r1.Error.Message, "cancelled by run "+h3.ID()) {
		t.Errorf("the deploy: %s %+v; want cancelled by %s", r1.Status, r1.Error, h3.ID())
	}
	if r3.Status != report.StatusSucceeded {
		t.Errorf("the other admin's run: %s %+v", r3.Status, r3.Error)
	}
}

// TestCancelRunningRefusalIsAudited: a run refused because cancel_running
// would stop a run its caller may not cancel leaves a line in the audit
// log (action start, outcome denied) with who started it and why; before,
// the refusal was in its report alone.
func TestCancelRunningRefusalIsAudited(t *testing.T) {
	audit, auditPath := openAudit(t)
	m := newManager(t, Config{StateDir: t.TempDir(), Audit: audit}, Limits{})
	deploy := writePlaybook(t, fmt.Sprintf(groupDeploy, filepath.Join(t.TempDir(), "deployed")))
	h1, err := m.Start(context.Background(), Request{Path: deploy, Caller: Caller{Name: "adm", Roles: []string{"admin"}, Trigger: TriggerAPI}})
	if err != nil {
		t.Fatal(err)
	}
	waitRunning(t, h1)
	defer func() { h1.Cancel(errors.New("test over")); wait(t, h1) }()
	h, err := m.Start(context.Background(), Request{Path: writePlaybook(t, groupStatus),
		Caller: Caller{Name: "view", From: "10.0.0.9", Roles: []string{"viewer"}, Trigger: TriggerAPI}})
	if err != nil {
		t.Fatal(err)
	}
	if r := wait(t, h); r.Error == nil || r.Error.Class != string(ops.ClassAuthorization) {
		t.Fatalf("the viewer's run: %s %+v, want it refused for authorization", r.Status, r.Error)
	}
	lines := auditLines(t, auditPath, auth.ActionStart)
	if len(lines) != 1 {
		t.Fatalf("audit lines of the refused run: %+v, want one", lines)
	}
	l := lines[0]
	if l.RunID != h.ID() || l.Who != "view" || l.From != "10.0.0.9" || l.Outcome != string(report.StatusDenied) ||
		l.Error == nil || l.Error.Class != string(ops.ClassAuthorization) || !strings.Contains(l.Error.Message, "may not cancel") {
		t.Errorf("the refused run's audit line: %+v (error %+v)", l, l.Error)
	}
}
