package runs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

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
