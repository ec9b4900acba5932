package plugin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestOutputAgainstItsSchemaIsNotKept: a plugin answer that fails the
// output schema fails the step with no output, so a step that goes on
// after it cannot read values of the wrong shape; the error shows what
// was printed.
func TestOutputAgainstItsSchemaIsNotKept(t *testing.T) {
	dir := t.TempDir()
	addPlugin(t, dir, "p", "#!/bin/sh\necho '{\"greeting\": {\"injected\": \"not a string\"}}'\n",
		"version: 1\nname: acme.p\ncategory: acme\ndescription: A test.\nrisk: read\ncommand: [./p.prog]\n"+
			"output: {type: object, properties: {greeting: {type: string}}, required: [greeting], additionalProperties: false}\n")
	reg := registry(t, dir, plugin.Options{})
	pb := write(t, t.TempDir(), "pb.yaml", "version: 1\nname: w\nsteps:\n"+
		"  - {id: p, op: acme.p, continue_on_error: true}\n"+
		"  - {id: q, op: control.log, needs: [p], with: {message: \"got ${{ steps.p.output.greeting.injected }}\"}}\n", 0o644)
	svc, err := runs.NewService(runs.Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Caller: runs.Caller{Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, q := rep.Steps[0], rep.Steps[1]
	if p.Output != nil || p.Error == nil || !strings.Contains(p.Error.Message, "does not match the output schema") || !strings.Contains(p.Error.Message, "injected") {
		t.Errorf("step p: output %v, error %+v; want none, and an error showing what was printed", p.Output, p.Error)
	}
	if q.Status != report.StatusFailed {
		t.Errorf("step q read the output that failed its schema: %s %v", q.Status, q.Output)
	}
}
