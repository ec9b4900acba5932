package auth

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// roleSetPolicy has roles that set every part of a scope, inherit, deny,
// grant runbooks (pinned and not) and require sandboxes, over a registry
// with a plugin no sandbox holds.
func roleSetPolicy(t *testing.T) (*ops.Registry, string, []*steps.Playbook, func() *Policy) {
	t.Helper()
	reg := testRegistry(t)
	noop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil })
	reg.MustRegister(ops.Spec{Name: "deploy.build", Risk: ops.RiskWrite, Unsandboxed: true}, noop)
	reg.MustRegister(ops.Spec{Name: "http.request", Risk: ops.RiskRead}, noop)
	dir := t.TempDir()
	pbText := func(name string) string {
		return `version: 1
name: ` + name + `
steps:
  - {id: kill, op: process.kill, with: {pid: 1234}}
  - {id: w1, op: file.write, with: {path: /srv/a/x}}
  - {id: w2, op: file.write, with: {path: /srv/b/y}}
  - {id: w3, op: file.write, with: {path: rel/z}}
  - {id: rm, op: file.delete, with: {path: /srv/a/old}}
  - {id: sh, op: shell.exec, with: {sandbox: {network: false}}}
  - {id: build, op: deploy.build}
  - {id: list, op: process.list}
`
	}
	var pbs []*steps.Playbook
	for _, name := range []string{"restart", "pinned", "edited", "other"} {
		pb, err := steps.Load(writeFile(t, dir, "runbooks/"+name+".yaml", pbText(name)), reg)
		if err != nil {
			t.Fatal(err)
		}
		pbs = append(pbs, pb)
	}
	text := fmt.Sprintf(`version: 1
roles:
  base:
    max_risk: read
    file_roots: [/srv/a]
  writer:
    inherits: [base]
    allow: [file.*]
    deny: [file.delete]
    file_roots: [/srv/b]
  killer:
    allow: [process.*]
    signal_others: false
    playbooks:
      - {path: runbooks/restart.yaml, as: admin}
  boxed:
    allow: ["*"]
    require_sandbox: true
    file_roots: [/srv]
  web:
    allow: [http.request]
    http: {allow_hosts: [example.com], deny_private: true}
  hosty:
    max_risk: write
    hosts: [db1, "tag:prod"]
  delegate:
    max_risk: read
    playbooks:
      - {path: runbooks/pinned.yaml, sha256: "%s", as: writer}
      - {path: runbooks/edited.yaml, sha256: "%s", as: admin}
`, pbs[1].SHA256, strings.Repeat("0", 64))
	parse := func() *Policy {
		p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(text), reg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return reg, dir, append(pbs, nil), parse
}

// forget drops the role sets p remembers.
func (p *Policy) forget() {
	p.sets.mu.Lock()
	p.sets.m = nil
	p.sets.mu.Unlock()
}

// A remembered role set decides every operation, path, host and grant as
// one built afresh, for every list of roles (in any order, with repeats,
// more lists than the policy remembers), from many goroutines at once.
func TestRememberedRoleSetsDecideAsFresh(t *testing.T) {
	reg, _, pbs, parse := roleSetPolicy(t)
	warm := parse()
	names := append(warm.RoleNames(), "nosuch")
	var lists [][]string
	for _, a := range names {
		lists = append(lists, []string{a})
		for i, b := range names {
			lists = append(lists, []string{a, b})
			for _, c := range names[:5] {
				if i < 3 {
					lists = append(lists, []string{a, b, c})
				}
			}
		}
	}
	if len(lists) <= maxRoleSets {
		t.Fatalf("%d role lists: the test must pass the bound of %d", len(lists), maxRoleSets)
	}
	type answer struct {
		Err       string
		Decisions []StepDecision
		Note      string
		Grant     string
		Ops       []string
		Scopes    []string
	}
	ask := func(p *Policy, roles []string, pb *steps.Playbook, shared bool) answer {
		var a answer
		s, err := p.subject(roles, pb, shared)
		if err != nil {
			return answer{Err: err.Error()}
		}
		a.Note, a.Grant = s.GrantNote, s.Grant()
		for _, e := range reg.List("") {
			a.Ops = append(a.Ops, fmt.Sprintf("%s: %+v", e.Spec.Name, s.Decide(e.Spec.Name, e.Spec.Risk)))
			sc := s.Scope(e.Spec.Name, e.Spec.Risk).forCall()
			a.Scopes = append(a.Scopes, fmt.Sprintf("%s %v %v %v %v %v %v %v", sc.Fingerprint(), sc.FileRoots(), sc.UsePath("/srv/b/y"),
				sc.MaySignalOthers(), sc.SandboxRequirement(), sc.AllowHost("db1", nil, nil), sc.AllowName("example.com"), sc.RootsOwners()))
		}
		if pb != nil {
			if !shared {
				p.forget() // Preflight remembers: build its role set afresh
			}
			ds, err := p.Preflight(roles, pb, reg)
			if err != nil {
				a.Err = err.Error()
			}
			a.Decisions = ds
		}
		return a
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			fresh := parse()
			for i, roles := range lists {
				if i%4 != w {
					continue
				}
				for _, pb := range pbs {
					want := ask(fresh, roles, pb, false)
					for range 2 { // built, then remembered
						if diff := cmp.Diff(want, ask(warm, roles, pb, true)); diff != "" {
							t.Errorf("roles %q, playbook %v (-fresh +remembered):\n%s", roles, pb != nil, diff)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
	if n := len(warm.sets.m); n != maxRoleSets {
		t.Errorf("the policy remembers %d role sets, want the bound %d", n, maxRoleSets)
	}
}

// Subjects of one remembered role set share no decision: each remembers
// its own, and each gets its own choice among the roles it holds, which a
// call narrows.
func TestSubjectsOfOneRoleSetShareNoDecisions(t *testing.T) {
	_, _, pbs, parse := roleSetPolicy(t)
	p := parse()
	roles := []string{"writer", "boxed", "killer"}
	a, err := p.Subject(roles, pbs[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Subject(roles, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || &a.held[0] != &b.held[0] {
		t.Fatal("the two subjects should be two, sharing their role set")
	}
	if !a.Decide("file.write", ops.RiskWrite).Allowed {
		t.Fatal("writer and boxed may write files")
	}
	if b.first != nil || b.decided != nil {
		t.Errorf("a decision of one subject reached another: %+v %v", b.first, b.decided)
	}
	sa, sb := a.Scope("file.write", ops.RiskWrite), b.Scope("file.write", ops.RiskWrite)
	if sa == sb || sa.choice == nil || sb.choice == nil {
		t.Fatalf("each subject needs its own choice of roles: %p %p", sa, sb)
	}
	fresh, err := p.subject(roles, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want := fresh.Scope("file.write", ops.RiskWrite).forCall().UsePath("/srv/b/y")
	if got := sa.forCall().UsePath("/srv/c"); !slices.Equal(got, []string{"/srv"}) {
		t.Fatalf("/srv/c narrows the choice to boxed: %v", got)
	}
	if got := sb.forCall().UsePath("/srv/b/y"); len(want) < 2 || !slices.Equal(got, want) {
		t.Errorf("the other subject's choice was narrowed: %v, want %v", got, want)
	}
	if a.GrantNote != "" || a.Grant() == "" || b.Grant() != "" {
		t.Errorf("grants: %q %q %q", a.GrantNote, a.Grant(), b.Grant())
	}
}

// The loader asks about each role before the policy is complete (it does
// not know its plugins yet): what it asked must not be what runs are then
// told. A role that requires a sandbox is denied a plugin no sandbox holds.
func TestPolicyLoadRemembersNoRoleSet(t *testing.T) {
	_, _, _, parse := roleSetPolicy(t)
	p := parse()
	if n := len(p.sets.m); n != 0 {
		t.Errorf("a policy just loaded remembers %d role sets", n)
	}
	s, err := p.Subject([]string{"boxed"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Decide("deploy.build", ops.RiskWrite); d.Allowed || !strings.Contains(d.Rule, "unsandboxed (a plugin)") {
		t.Errorf("a sandboxed role may run a plugin no sandbox holds: %+v", d)
	}
}

// A reloaded policy is a new Policy: what the old one remembered does not
// decide for it.
func TestReloadedPolicyDecidesAfresh(t *testing.T) {
	reg := testRegistry(t)
	load := func(allow string) *Policy {
		p, err := ParsePolicy("policy.yaml", []byte("version: 1\nroles:\n  ops:\n    allow: ["+allow+"]\n"), reg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := load("process.*")
	s, _ := old.Subject([]string{"ops"}, nil)
	if !s.Decide("process.kill", ops.RiskDestructive).Allowed {
		t.Fatal("the first policy allows process.kill")
	}
	s, _ = load("process.list").Subject([]string{"ops"}, nil)
	if s.Decide("process.kill", ops.RiskDestructive).Allowed {
		t.Error("the reloaded policy still allows process.kill")
	}
}

// A copy of a policy value shares nothing it remembers with the original.
func TestPolicyCopyRemembersNothing(t *testing.T) {
	_, _, _, parse := roleSetPolicy(t)
	p := parse()
	if _, err := p.Subject([]string{"writer"}, nil); err != nil {
		t.Fatal(err)
	}
	cp := *p
	cp.Roles = map[string]*Role{"writer": {Name: "writer"}}
	s, err := cp.Subject([]string{"writer"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Decide("file.write", ops.RiskWrite).Allowed {
		t.Error("a copy of a policy decided by what the original remembered")
	}
}

// A role set seen before costs an execute no expansion of its roles.
func TestKnownRoleSetIsNotBuiltAgain(t *testing.T) {
	_, _, _, parse := roleSetPolicy(t)
	p := parse()
	roles := []string{"writer", "killer"}
	if _, err := p.Subject(roles, nil); err != nil {
		t.Fatal(err)
	}
	// The Subject itself; its roles and rules come remembered.
	if n := testing.AllocsPerRun(100, func() { _, _ = p.Subject(roles, nil) }); n > 1 {
		t.Errorf("Subject of a known role set: %v allocations, want 1", n)
	}
}
