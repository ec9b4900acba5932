package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestDelegatedRunbookKills runs, for real, an approved runbook that an
// on-call role may not run by its own rights: it starts a process and kills
// it. The same runbook unpinned, or edited after pinning, is denied before
// anything runs.
func TestDelegatedRunbookKills(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	dir := t.TempDir()
	rb := filepath.Join(dir, "runbooks", "restart-worker.yaml")
	os.MkdirAll(filepath.Dir(rb), 0o755)
	src := `version: 1
name: restart-worker
steps:
  - {id: start, op: process.start, with: {command: [sleep, "60"]}}
  - {id: kill, op: process.kill, with: {pid: "${{ steps.start.output.pid }}"}}
`
	os.WriteFile(rb, []byte(src), 0o644)
	pb, err := steps.Load(rb, reg)
	if err != nil {
		t.Fatal(err)
	}
	policyFor := func(sha string) *Policy {
		p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks: [{path: runbooks/restart-worker.yaml, sha256: "`+sha+`", as: admin}]
`), reg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(p *Policy, pb *steps.Playbook) (*report.Report, []StepDecision) {
		ds, err := p.Preflight([]string{"oncall"}, pb, reg)
		if err != nil {
			t.Fatal(err)
		}
		if len(Denied(ds)) > 0 {
			return nil, ds
		}
		s, _ := p.Subject([]string{"oncall"}, pb)
		rep, err := engine.New(reg).Plan(pb).Run(context.Background(), nil,
			engine.WithRoles("oncall"), engine.WithRunAuthorizer(NewAuthorizer(s)))
		if err != nil {
			t.Fatal(err)
		}
		return rep, ds
	}

	// Edited after pinning: denied at preflight, the process lives.
	if rep, ds := run(policyFor(strings.Repeat("ab", 32)), pb); rep != nil || !strings.Contains(ds[0].Decision.Rule, "edited") {
		t.Fatalf("edited runbook was not refused: %+v", ds)
	}
	// Pinned and unchanged: the kill runs, by the grant.
	rep, _ := run(policyFor(pb.SHA256), pb)
	if rep == nil || rep.Status != report.StatusSucceeded {
		t.Fatalf("pinned runbook did not run: %+v", rep)
	}
	if d := rep.Steps[1].Authorization; d == nil || !strings.Contains(d.Via, "playbook grant") {
		t.Errorf("decision %+v", d)
	}
	pid := rep.Steps[0].Output.(map[string]any)["pid"]
	if got := rep.Steps[1].Output.(map[string]any)["signalled"]; !strings.Contains(fmt.Sprint(got), fmt.Sprint(pid)) {
		t.Errorf("signalled %v, want the started pid %v", got, pid)
	}
	for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("process %v still runs", pid)
			break
		}
	}
	// The same op in another playbook: denied, whatever it says.
	other := filepath.Join(dir, "mine.yaml")
	os.WriteFile(other, []byte(strings.Replace(src, "restart-worker", "mine", 1)), 0o644)
	opb, _ := steps.Load(other, reg)
	if rep, ds := run(policyFor(pb.SHA256), opb); rep != nil || ds[0].Decision.Allowed {
		t.Error("an unpinned playbook got the grant")
	}
}

// alive reports whether pid runs (a zombie waiting to be reaped is dead).
func alive(pid any) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%v/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	return len(fields) > 2 && fields[2] != "Z"
}
