package remote_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/sshdtest"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/ops/remote"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// TestFleetRestartDiskGuard runs the shipped runbook
// playbooks/fleet-restart.yaml (in demo mode) on a host whose df cannot
// report its root disk: the disk guard fails, naming the host, and nothing
// is restarted. A guard that let an unreadable disk pass would restart
// hosts it knows nothing about.
func TestFleetRestartDiskGuard(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "df"), []byte("#!/bin/sh\necho \"df: $2: Input/output error\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := sshdtest.Start(t, sshdtest.Options{Config: fmt.Sprintf("SetEnv PATH=%s:/usr/bin:/bin HOME=%s", bin, t.TempDir())})
	inv, err := inventory.Parse("inventory.yaml", []byte("version: 1\nhosts:\n"+srv.InventoryLine(t, "web-1")+"groups:\n  web: [web-1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{Remote: remote.Settings{Inventory: inv, KnownHosts: []string{srv.KnownHosts}, Agent: "none"}}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	plan, err := engine.New(reg).Load(filepath.Join("..", "..", "..", "playbooks", "fleet-restart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := plan.Run(context.Background(), map[string]any{"group": "web", "demo": true, "min_free_percent": 5}, engine.WithInventory(inv))
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]report.Status{}
	var guard *report.Step
	for i, s := range rep.Steps {
		status[s.ID] = s.Status
		if s.ID == "disks" {
			guard = &rep.Steps[i]
		}
	}
	if status["facts"] != report.StatusSucceeded || status["disks"] != report.StatusFailed || status["restart"] == report.StatusSucceeded {
		t.Errorf("statuses %v; want the facts read, the disk guard failed and no restart", status)
	}
	if guard == nil || guard.Error == nil || !strings.Contains(guard.Error.Message, "root disk unreadable or with less than 5% free on web-1") {
		t.Errorf("the disk guard: %+v; want it to name web-1", guard)
	}
}
