package cache_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops/fileop"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/runs"
)

// TestDryRunDoesNotCacheASubPlaybook: a policy may allow playbook.run to
// be cached. A dry run runs the sub-playbook dry, writing nothing; were
// its result stored, the next real run would take it and never run the
// sub-playbook's writes.
func TestDryRunDoesNotCacheASubPlaybook(t *testing.T) {
	reg := testRegistry(&counter{})
	if err := fileop.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "deployed")
	writeFile(t, dir, "sub.yaml", "version: 1\nname: sub\nsteps:\n  - {id: write, op: file.write, with: {path: "+marker+", content: x}}\n")
	pb := writeFile(t, dir, "top.yaml", `version: 1
name: top
steps:
  - {id: deploy, op: playbook.run, with: {path: sub.yaml}, cache: {ttl: 1h}}
`)
	pol, err := auth.ParsePolicy("p.yaml", []byte("version: 1\ncache: {allow: [playbook.run]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := runs.NewService(runs.Config{Registry: reg, StateDir: filepath.Join(dir, "state")})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mgr := runs.NewManager(svc, runs.Limits{})
	defer mgr.Shutdown(context.Background())
	run := func(dry bool) *report.Step {
		t.Helper()
		h, err := mgr.Start(context.Background(), runs.Request{Path: pb, Policy: pol, DryRun: dry})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := h.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return step(rep, "deploy")
	}
	if s := run(true); s.Status != report.StatusSucceeded || s.Cached {
		t.Fatalf("the dry run's deploy: %s, cached %v", s.Status, s.Cached)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the dry run wrote")
	}
	if s := run(false); s.Status != report.StatusSucceeded || s.Cached {
		t.Errorf("the real run's deploy: %s, cached %v; want it run, not answered from the dry run", s.Status, s.Cached)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the real run did not run the sub-playbook: %v", err)
	}
	// A real run's result is stored, and a dry run may be answered by it.
	if s := run(true); !s.Cached {
		t.Errorf("a dry run after a real one: %s, cached %v; want the real run's entry", s.Status, s.Cached)
	}
}
