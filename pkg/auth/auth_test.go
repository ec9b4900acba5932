package auth

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// testRegistry has the control ops plus stand-ins with each risk level.
func testRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	noop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	r.MustRegister(ops.Spec{Name: "process.list", Risk: ops.RiskRead}, noop)
	r.MustRegister(ops.Spec{Name: "process.kill", Risk: ops.RiskDestructive, Params: []ops.Param{{Name: "pid", Type: ops.TypeInteger}}}, noop)
	r.MustRegister(ops.Spec{Name: "process.signal", Risk: ops.RiskDestructive}, noop)
	r.MustRegister(ops.Spec{Name: "file.write", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "path", Type: ops.TypeString}}}, noop)
	r.MustRegister(ops.Spec{Name: "file.delete", Risk: ops.RiskDestructive, Params: []ops.Param{{Name: "path", Type: ops.TypeString}}}, noop)
	r.MustRegister(ops.Spec{Name: "shell.exec", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "sandbox", Type: ops.TypeMap}}}, noop)
	return r
}

func TestBuiltinPolicy(t *testing.T) {
	p := Builtin()
	cases := []struct {
		role string
		risk ops.Risk
		want bool
	}{
		{RoleViewer, ops.RiskRead, true}, {RoleViewer, ops.RiskWrite, false}, {RoleViewer, ops.RiskDestructive, false},
		{RoleOperator, ops.RiskRead, true}, {RoleOperator, ops.RiskWrite, true}, {RoleOperator, ops.RiskDestructive, false},
		{RoleAdmin, ops.RiskRead, true}, {RoleAdmin, ops.RiskWrite, true}, {RoleAdmin, ops.RiskDestructive, true},
	}
	for _, c := range cases {
		s, err := p.Subject([]string{c.role}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Decide("x.y", c.risk); d.Allowed != c.want {
			t.Errorf("%s on a %s op: allowed=%v (%s), want %v", c.role, c.risk, d.Allowed, d.Rule, c.want)
		}
	}
	if _, err := p.Subject([]string{"root"}, nil); err == nil || !strings.Contains(err.Error(), `unknown role "root"`) {
		t.Errorf("unknown role: %v", err)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrecedence(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	p, err := LoadPolicy(writeFile(t, dir, "policy.yaml", `
version: 1
roles:
  base:
    max_risk: read
  oncall:
    inherits: [base]
    allow: [process.*]
    deny: [process.kill]
  breakglass:
    inherits: [oncall]
    deny: [process.signal]
  denyall:
    deny: ["*"]
    allow: [process.list]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		roles []string
		op    string
		risk  ops.Risk
		want  bool
		rule  string
	}{
		{[]string{"oncall"}, "process.signal", ops.RiskDestructive, true, "role oncall: allow process.*"},
		{[]string{"oncall"}, "process.kill", ops.RiskDestructive, false, "role oncall: deny process.kill"},
		{[]string{"oncall"}, "control.log", ops.RiskRead, true, "role base: max_risk read"},
		{[]string{"oncall"}, "file.write", ops.RiskWrite, false, "no rule of role oncall allows file.write (risk write)"},
		// An heir's deny takes away what it inherits. (An heir's allow of
		// what it inherits a deny of is refused at load: deny would win.)
		{[]string{"breakglass"}, "process.signal", ops.RiskDestructive, false, "role breakglass: deny process.signal"},
		{[]string{"breakglass"}, "process.kill", ops.RiskDestructive, false, "role oncall: deny process.kill"},
		// A more specific allow beats a wildcard deny.
		{[]string{"denyall"}, "process.list", ops.RiskRead, true, "role denyall: allow process.list"},
		{[]string{"denyall"}, "control.noop", ops.RiskRead, false, "role denyall: deny *"},
		// Roles add up.
		{[]string{"viewer", "oncall"}, "process.signal", ops.RiskDestructive, true, "role oncall: allow process.*"},
	}
	for _, c := range cases {
		s, err := p.Subject(c.roles, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := s.Decide(c.op, c.risk)
		if d.Allowed != c.want || d.Rule != c.rule {
			t.Errorf("%v %s: got %v %q, want %v %q", c.roles, c.op, d.Allowed, d.Rule, c.want, c.rule)
		}
	}
	// One subject asked every question of its roles' cases three times
	// over, in turn: a remembered decision answers only its own question.
	oncall, err := p.Subject([]string{"oncall"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, c := range cases[:4] {
			if d := oncall.Decide(c.op, c.risk); d.Allowed != c.want || d.Rule != c.rule {
				t.Errorf("asked again, oncall %s: got %v %q, want %v %q", c.op, d.Allowed, d.Rule, c.want, c.rule)
			}
		}
	}
}

func TestMalformedPolicies(t *testing.T) {
	reg := testRegistry(t)
	cases := []struct{ src, want string }{
		{"version: 1\nroles:\n  a: {alow: [x]}\n", `3:7: unknown key "alow" in role a (did you mean "allow"?)`},
		{"version: 1\nroles:\n  a: {inherits: [nobody]}\n", `3:18: inherits names unknown role "nobody"`},
		{"version: 1\nroles:\n  a: {inherits: [b]}\n  b: {inherits: [a]}\n", "roles inherit in a cycle: a -> b -> a"},
		{"version: 1\nroles:\n  a: {allow: [proces.kill]}\n", `3:15: allow: unknown operation "proces.kill" (did you mean "process.kill"?)`},
		{"version: 1\nroles:\n  a: {max_risk: huge}\n", `3:17: unknown risk "huge"`},
		{"version: 1\nroles:\n  a: {http: {deny_cidrs: [10.0.0.0/33]}}\n", `3:27: deny_cidrs: "10.0.0.0/33" is not a CIDR`},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, sha256: abc, as: admin}]\n", "4:40: sha256 must be 64 hex digits"},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: god}]\n", `4:36: as names unknown role "god"`},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: {mx: 5}}}]\n", `4:56: unknown key "mx" in inputs.n (did you mean "max"?)`},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: []}}]\n", "4:55: inputs.n: the list of allowed values is empty"},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: 5}}]\n", "4:55: inputs.n must be a list of allowed values, or a mapping of enum, min, max and pattern"},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: {pattern: \"[a\"}}}]\n", `4:65: inputs.n: pattern "[a" is not an RE2 regular expression`},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: {min: 9, max: 1}}}]\n", "inputs.n: min 9 is above max 1"},
		{"version: 1\nroles:\n  a:\n    playbooks: [{path: x.yaml, as: admin, inputs: {n: {}}}]\n", "inputs.n allows every value"},
		{"roles: {}\n", "1:1: missing version"},
		{"version: 1\nroles: {a: {}}\n---\nmore: 1\n", "second YAML document"},
	}
	for _, c := range cases {
		_, err := ParsePolicy("policy.yaml", []byte(c.src), reg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("policy %q:\n got %v\nwant %q", c.src, err, c.want)
		}
	}
}

const runbook = `version: 1
name: restart-worker
steps:
  - {id: kill, op: process.kill, with: {pid: 1234}}
`

func TestDelegation(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	rb := writeFile(t, dir, "runbooks/restart-worker.yaml", runbook)
	other := writeFile(t, dir, "runbooks/other.yaml", strings.Replace(runbook, "restart-worker", "other", 1))
	pb, err := steps.Load(rb, reg)
	if err != nil {
		t.Fatal(err)
	}
	policy := func(sha string) *Policy {
		p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    playbooks:
      - {path: runbooks/restart-worker.yaml, sha256: "`+sha+`", as: admin}
`), reg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Pinned and unchanged: the operator may run the runbook's kill.
	ds, err := policy(pb.SHA256).Preflight([]string{"oncall"}, pb, reg)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds[0].Decision; !got.Allowed || got.Via != "playbook grant runbooks/restart-worker.yaml as admin" {
		t.Errorf("pinned runbook: %+v", got)
	}
	// The same op in another playbook is denied.
	opb, _ := steps.Load(other, reg)
	ds, _ = policy(pb.SHA256).Preflight([]string{"oncall"}, opb, reg)
	if ds[0].Decision.Allowed {
		t.Error("ungranted playbook allowed process.kill")
	}
	// An edited runbook voids the grant and says why.
	ds, _ = policy(strings.Repeat("0", 64)).Preflight([]string{"oncall"}, pb, reg)
	if d := ds[0].Decision; d.Allowed || !strings.Contains(d.Rule, "it was edited") {
		t.Errorf("edited runbook: %+v", d)
	}
}

func TestScopeDial(t *testing.T) {
	s := newScope([]*Role{{Name: "r", HTTP: &HTTPRules{DenyLoopback: true, AllowHosts: []string{"*.example.com"}}}})
	cases := []struct {
		host string
		ip   string
		ok   bool
	}{
		{"api.example.com", "93.184.216.34", true},
		{"api.example.com", "127.0.0.1", false}, // a name resolving to loopback
		{"evil.test", "93.184.216.34", false},
	}
	for _, c := range cases {
		err := s.AllowDial(c.host, net.ParseIP(c.ip))
		if (err == nil) != c.ok {
			t.Errorf("AllowDial(%s, %s) = %v, want ok=%v", c.host, c.ip, err, c.ok)
		}
	}
	if err := newScope([]*Role{{Name: "r"}}).AllowDial("x", net.ParseIP("127.0.0.1")); err != nil {
		t.Errorf("a role without http rules restricts nothing: %v", err)
	}
}

func TestAuthorizerAndAudit(t *testing.T) {
	reg := testRegistry(t)
	dir := t.TempDir()
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  ops:
    max_risk: write
    require_sandbox: true
    file_roots: [data]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	pbPath := writeFile(t, dir, "pb.yaml", `version: 1
name: t
inputs:
  pw: {type: string, secret: true, default: hunter22}
steps:
  - {id: a, op: control.log, with: {message: "pw ${{ inputs.pw }}"}}
  - {id: c, op: shell.exec, with: {sandbox: {network: false}}}
  - {id: b, op: shell.exec, continue_on_error: true}
`)
	pb, err := steps.Load(pbPath, reg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Subject([]string{"ops"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	e := engine.New(reg, engine.WithAuthorizer(NewAuthorizer(s)), engine.WithAuditor(audit))
	rep, err := e.Plan(pb).Run(context.Background(), nil, engine.WithRoles("ops"))
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, st := range rep.Steps {
		got[st.ID] = string(st.Status)
	}
	if diff := cmp.Diff(map[string]string{"a": "succeeded", "b": "denied", "c": "succeeded"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if d := rep.Steps[0].Authorization; d == nil || d.Rule != "role ops: max_risk write" {
		t.Errorf("decision in report: %+v", d)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "audit.log"))
	if strings.Contains(string(data), "hunter22") {
		t.Error("audit log shows a secret")
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 {
		t.Fatalf("audit has %d lines, want 3:\n%s", len(lines), data)
	}
	var l AuditLine
	if err := json.Unmarshal([]byte(lines[2]), &l); err != nil {
		t.Fatal(err)
	}
	if l.Step != "b" || l.Outcome != "denied" || l.SHA256 != pb.SHA256 || !strings.Contains(l.Error.Message, "must run with sandbox") {
		t.Errorf("audit line %+v", l)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	reg := testRegistry(b)
	p := Builtin()
	s, _ := p.Subject([]string{"operator"}, nil)
	a := NewAuthorizer(s)
	e, _ := reg.Get("control.noop")
	c := &engine.Call{Step: &steps.Step{ID: "x", Op: "control.noop"}, Entry: e, Params: ops.Params{}}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Authorize(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
}
