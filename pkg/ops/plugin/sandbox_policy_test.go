package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestRequiredSandboxDeniesPlugins: a plugin's program runs as it is, with
// the network and the files of arsenal-run's user, so a role that requires
// a sandbox is denied it, as it is process.start, whatever risk the
// manifest declares; a role that requires none still runs it.
func TestRequiredSandboxDeniesPlugins(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	addPlugin(t, dir, "fetch", "#!/bin/sh\ntouch "+marker+"\necho '{}'\n",
		"version: 1\nname: acme.fetch\ncategory: acme\ndescription: Fetch it.\nrisk: read\ncommand: [./fetch.prog]\n")
	reg := registry(t, dir, plugin.Options{})
	pol, err := auth.ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ci:
    allow: ["*"]
    max_risk: destructive
    require_sandbox: true
  free:
    allow: ["*"]
    max_risk: destructive
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	subj, err := pol.Subject([]string{"ci"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := subj.Decide("acme.fetch", ops.RiskRead); d.Allowed || !strings.Contains(d.Rule, "requires a sandbox") {
		t.Errorf("ci may run the plugin: %+v", d)
	}
	pb := write(t, t.TempDir(), "pb.yaml", "version: 1\nname: f\nsteps:\n  - {id: fetch, op: acme.fetch}\n", 0o644)
	svc, err := runs.NewService(runs.Config{Registry: reg, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	// ci first: the marker must still be absent after its run.
	for _, c := range []struct {
		role string
		want report.Status
	}{{"ci", report.StatusDenied}, {"free", report.StatusSucceeded}} {
		h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Caller: runs.Caller{Roles: []string{c.role}}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s := rep.Steps[0]; s.Status != c.want {
			t.Errorf("%s: step %s, want %s (%+v)", c.role, s.Status, c.want, s.Authorization)
		}
		if _, err := os.Stat(marker); c.role == "ci" && err == nil {
			t.Error("the plugin ran under a role that requires a sandbox")
		}
	}
}
