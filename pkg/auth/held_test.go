package auth

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestHeldRolesDoNotLendEachOtherScopes: a caller holding a read-only role
// with file roots of its own beside operator, which may write within the
// defaults, may not write inside the read-only role's roots: no one role
// allows both the write and the place. Before, the rules of the two and
// their scopes were merged apart, and the pair wrote what neither could.
func TestHeldRolesDoNotLendEachOtherScopes(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	base := t.TempDir()
	// The defaults (working and temp directory) lie apart from the tree
	// the read-only role may read.
	for _, d := range []string{"wd", "tmp", "protected"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(base, "wd"))
	t.Setenv("TMPDIR", filepath.Join(base, "tmp"))
	target := filepath.Join(base, "protected", "f")
	if err := os.WriteFile(target, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(base, "policy.yaml"), []byte(`version: 1
roles:
  logreader: {max_risk: read, file_roots: [`+filepath.Join(base, "protected")+`]}
  writer: {inherits: [operator, logreader]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	load := func(name, step string) *steps.Playbook { return loadOneStep(t, reg, base, name, step) }
	write := load("write", `{id: write, op: file.write, with: {path: `+target+`, content: "pwned\n"}}`)
	read := load("read", `{id: read, op: file.read, with: {path: `+target+`}}`)
	run := func(pb *steps.Playbook, roles ...string) *report.Step { return runAs(t, p, reg, pb, roles...) }

	if st := run(write, "operator", "logreader"); st.Status != report.StatusDenied || st.Error == nil || !strings.Contains(st.Error.Message, "outside the allowed file roots") {
		t.Errorf("operator + logreader wrote into logreader's roots: %s %+v", st.Status, st.Error)
	}
	if b, _ := os.ReadFile(target); string(b) != "secret\n" {
		t.Errorf("the file now holds %q", b)
	}
	// What each may do alone, they still may: logreader reads its tree.
	if st := run(read, "operator", "logreader"); st.Status != report.StatusSucceeded {
		t.Errorf("operator + logreader could not read what logreader may: %s %+v", st.Status, st.Error)
	}
	// A role that inherits both is one role, and gets what the policy
	// composed: write rights within the roots it sets (docs).
	if st := run(write, "writer"); st.Status != report.StatusSucceeded {
		t.Errorf("writer, inheriting operator and logreader: %s %+v", st.Status, st.Error)
	}
}

// TestHeldRolesEachDecide: with two roles held side by side, an operation
// is allowed when either allows it, within the scope of the roles that
// do; a deny in one does not take away what the other allows; a denial
// gives each role's reason.
func TestHeldRolesEachDecide(t *testing.T) {
	reg := testRegistry(t)
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  ro: {max_risk: read, deny: [process.*]}
  web: {max_risk: read, http: {allow_hosts: [example.com]}}
  dbops: {max_risk: write, hosts: [db]}
  webops: {max_risk: read, hosts: [web]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	subject := func(roles ...string) *Subject {
		s, err := p.Subject(roles, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if d := subject("admin", "ro").Decide("process.kill", ops.RiskDestructive); !d.Allowed || d.Rule != "role admin: allow *" {
		t.Errorf("admin + ro, process.kill: %+v; want allowed by admin", d)
	}
	d := subject("viewer", "ro").Decide("file.write", ops.RiskWrite)
	if want := "no rule of role viewer allows file.write (risk write); no rule of role ro allows file.write (risk write)"; d.Allowed || d.Rule != want {
		t.Errorf("viewer + ro, file.write: %+v; want denied: %s", d, want)
	}
	// http.request, a read both allow: web's allow list does not bind
	// viewer, which has no http rules.
	ip := net.ParseIP("10.0.0.7")
	if err := subject("viewer", "web").Scope("http.request", ops.RiskRead).AllowDial("internal.example", ip); err != nil {
		t.Errorf("viewer + web: %v", err)
	}
	if err := subject("web").Scope("http.request", ops.RiskRead).AllowDial("internal.example", ip); err == nil {
		t.Error("web alone reached a host outside its allow list")
	}
	// A write on a web host: only dbops allows writes, and only on db.
	s := subject("dbops", "webops")
	if err := s.Scope("ssh.exec", ops.RiskWrite).AllowHost("web-1", []string{"web"}, nil); err == nil {
		t.Error("dbops + webops: a write on web-1, which only webops (read) may reach, was allowed")
	}
	if err := s.Scope("ssh.exec", ops.RiskRead).AllowHost("web-1", []string{"web"}, nil); err != nil {
		t.Errorf("dbops + webops: a read on web-1: %v", err)
	}
	if err := s.Scope("ssh.exec", ops.RiskWrite).AllowHost("db-1", []string{"db"}, nil); err != nil {
		t.Errorf("dbops + webops: a write on db-1: %v", err)
	}
}

// TestHeldRolesAllowACallWhole: when two held roles both allow an
// operation, one call of it must be allowed whole by one of them: a copy
// may not read from one role's roots and write into the other's, a step's
// sandbox may not meet one role's memory limit and the other's network
// rule, and an SSH host allowed by one role is reached under that role's
// network rules, not the other's. Each role's own calls still pass.
func TestHeldRolesAllowACallWhole(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	base := t.TempDir()
	for _, d := range []string{"wd", "tmp", "a", "b"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(base, "wd"))
	t.Setenv("TMPDIR", filepath.Join(base, "tmp"))
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	if err := os.WriteFile(filepath.Join(a, "secret"), []byte("A\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy(filepath.Join(base, "policy.yaml"), []byte(`version: 1
roles:
  ra: {max_risk: write, file_roots: [`+a+`]}
  rb: {max_risk: write, file_roots: [`+b+`]}
  netsmall: {allow: [shell.exec], require_sandbox: {network: true, memory: 64Mi}}
  bignonet: {allow: [shell.exec], require_sandbox: {network: false, memory: 1Gi}}
  dbops: {allow: [ssh.exec], hosts: [db-1], http: {deny_loopback: true}}
  webops: {allow: [ssh.exec], hosts: [web-1]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	load := func(name, step string) *steps.Playbook { return loadOneStep(t, reg, base, name, step) }
	run := func(pb *steps.Playbook, roles ...string) *report.Step { return runAs(t, p, reg, pb, roles...) }

	steal := load("steal", `{id: cp, op: file.copy, with: {src: `+filepath.Join(a, "secret")+`, dest: `+filepath.Join(b, "stolen")+`}}`)
	for _, roles := range [][]string{{"ra"}, {"rb"}, {"ra", "rb"}, {"rb", "ra"}} {
		if st := run(steal, roles...); st.Status != report.StatusDenied {
			t.Errorf("%v: a copy from a's roots into b's: %s %+v", roles, st.Status, st.Error)
		}
	}
	if _, err := os.Stat(filepath.Join(b, "stolen")); !os.IsNotExist(err) {
		t.Errorf("the copy was written: %v", err)
	}
	within := load("within", `{id: cp, op: file.copy, with: {src: `+filepath.Join(a, "secret")+`, dest: `+filepath.Join(a, "copy")+`}}`)
	if st := run(within, "rb", "ra"); st.Status != report.StatusSucceeded {
		t.Errorf("rb + ra: a copy within a's roots: %s %+v", st.Status, st.Error)
	}

	// A sandbox with network (netsmall's) and 1Gi (bignonet's): neither
	// allows it, at preflight nor at run time.
	sb := load("sb", `{id: sh, op: shell.exec, with: {command: ["true"], sandbox: {network: true, memory: 1Gi}}}`)
	decisions, err := p.Preflight([]string{"netsmall", "bignonet"}, sb, reg)
	if err != nil {
		t.Fatal(err)
	}
	if d := decisions[0].Decision; d.Allowed {
		t.Errorf("netsmall + bignonet, preflight of a sandbox with network and 1Gi: %+v", d)
	}
	if st := run(sb, "netsmall", "bignonet"); st.Status != report.StatusDenied {
		t.Errorf("netsmall + bignonet, a sandbox with network and 1Gi: %s %+v", st.Status, st.Error)
	}

	// The host narrows the call to dbops, whose rules deny loopback.
	s, err := p.Subject([]string{"webops", "dbops"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := s.Scope("ssh.exec", ops.RiskWrite).forCall()
	if err := call.AllowHost("db-1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := call.AllowDial("db-1", net.ParseIP("127.0.0.1")); err == nil {
		t.Error("webops + dbops: db-1 reached on loopback, which dbops denies")
	}
	call = s.Scope("ssh.exec", ops.RiskWrite).forCall()
	if err := call.AllowHost("web-1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := call.AllowDial("web-1", net.ParseIP("127.0.0.1")); err != nil {
		t.Errorf("webops + dbops: web-1 on loopback, which webops allows: %v", err)
	}
}

// loadOneStep writes and loads playbook name, of the one step given.
func loadOneStep(t *testing.T, reg *ops.Registry, dir, name, step string) *steps.Playbook {
	t.Helper()
	pb, err := steps.Load(writeFile(t, dir, name+".yaml", "version: 1\nname: "+name+"\nsteps:\n  - "+step+"\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// runAs runs pb with the roles of p given and returns its first step.
func runAs(t *testing.T, p *Policy, reg *ops.Registry, pb *steps.Playbook, roles ...string) *report.Step {
	t.Helper()
	s, err := p.Subject(roles, pb)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := engine.New(reg).Plan(pb).Run(context.Background(), nil,
		engine.WithRoles(roles...), engine.WithRunAuthorizer(NewAuthorizer(s)))
	if err != nil {
		t.Fatal(err)
	}
	return &rep.Steps[0]
}

// TestHeldRolesNarrowEveryPath: every way an operation reads or writes a
// path narrows the choice among held roles: a template read from one
// role's roots is not written into the other's, and a list of paths read
// once, before the first narrowed the choice, does not let the second
// into the roots of a role the first left behind (a role without
// file_roots has the defaults). A step asking for a sandbox runs within
// the tightest the roles require, so a path of the role that requires it
// is still open to it.
func TestHeldRolesNarrowEveryPath(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	base := t.TempDir()
	for _, d := range []string{"wd", "tmp", "a", "b", "pb"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wd, a, b := filepath.Join(base, "wd"), filepath.Join(base, "a"), filepath.Join(base, "b")
	t.Chdir(wd)
	t.Setenv("TMPDIR", filepath.Join(base, "tmp"))
	for _, f := range []string{filepath.Join(a, "secret.txt"), filepath.Join(wd, "w.txt"), filepath.Join(b, "b.txt")} {
		if err := os.WriteFile(f, []byte("A\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ParsePolicy(filepath.Join(base, "policy.yaml"), []byte(`version: 1
roles:
  ra: {max_risk: destructive, file_roots: [`+a+`]}
  rb: {max_risk: destructive, file_roots: [`+b+`]}
  rd: {max_risk: destructive}
  boxed: {allow: [shell.exec], file_roots: [`+a+`], require_sandbox: true}
  open: {allow: [shell.exec], file_roots: [`+b+`]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := loadOneStep(t, reg, filepath.Join(base, "pb"), "tmpl", `{id: t, op: file.template, with: {src: `+filepath.Join(a, "secret.txt")+`, dest: `+filepath.Join(b, "leak.txt")+`}}`)
	for _, roles := range [][]string{{"ra", "rb"}, {"rb", "ra"}} {
		if st := runAs(t, p, reg, tmpl, roles...); st.Status != report.StatusDenied {
			t.Errorf("%v: a template from a's roots into b's: %s %+v", roles, st.Status, st.Error)
		}
	}
	if _, err := os.Stat(filepath.Join(b, "leak.txt")); !os.IsNotExist(err) {
		t.Errorf("the template was written: %v", err)
	}
	del := loadOneStep(t, reg, filepath.Join(base, "pb"), "del", `{id: d, op: file.delete, with: {paths: [`+filepath.Join(wd, "w.txt")+`, `+filepath.Join(b, "b.txt")+`]}}`)
	if st := runAs(t, p, reg, del, "rd", "rb"); st.Status != report.StatusDenied {
		t.Errorf("rd + rb: a delete of a default-root file and one of b's: %s %+v", st.Status, st.Error)
	}
	if _, err := os.Stat(filepath.Join(b, "b.txt")); err != nil {
		t.Errorf("b's file was deleted: %v", err)
	}

	s, err := p.Subject([]string{"open", "boxed"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := s.Scope("shell.exec", ops.RiskWrite).forCall()
	if _, err := call.AdmitSandbox(map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if call.SandboxRequirement() == nil {
		t.Error("open + boxed, a step with sandbox: {}: no sandbox, which boxed requires")
	}
	if roots := call.UsePath(filepath.Join(a, "out.log")); len(roots) != 1 || roots[0] != a {
		t.Errorf("open + boxed, a sandboxed step's output file in boxed's roots: roots %v, want [%s]", roots, a)
	}
}
