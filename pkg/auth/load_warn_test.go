package auth

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
)

// A role that denies process.kill or sets signal_others: false and may
// still start programs loads, with a warning at the role: kill -9 PID is
// a program too, so such limits bind the process operations only.
func TestPolicyWarnsOfLimitsAProgramGetsAround(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	// A plugin: it reports what its local child used.
	reg.MustRegister(ops.Spec{Name: "deploy.build", Risk: ops.RiskWrite, Output: []ops.Field{ops.ResourcesField}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  oncall:
    allow: [process.*]
    deny: [process.kill]
    signal_others: false
  looker:
    allow: [process.list, process.info, process.signal]
    deny: [process.kill]
    signal_others: false
  builder:
    max_risk: write
    deny: [process.*]
  sandboxed:
    max_risk: write
    signal_others: false
    require_sandbox: true
  deployer:
    max_risk: write
  child:
    inherits: [oncall]
    signal_others: true
  killer:
    max_risk: write
    deny: [process.*]
    allow: [process.kill]
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	const fix = ", and a program can signal or kill any process this user may (kill -9 PID): "
	want := []string{
		"policy.yaml:3:3: warning: role oncall denies process.kill (deny process.kill) and sets signal_others: false, yet it may run programs (process.start)" + fix +
			"those limits bind the process operations only, not this role. If it must not kill, add deny: [process.start] (or allow by name what it needs, like process.list, process.info and process.signal, rather than process.*)",
		"policy.yaml:11:3: warning: role builder denies process.kill (deny process.*), yet it may run programs (deploy.build, shell.exec)" + fix +
			"that limit binds the process operations only, not this role. If it must not kill, add deny: [deploy.build, shell.exec] (or allow by name what it needs, like process.list, process.info and process.signal, rather than process.*)",
		"policy.yaml:14:3: warning: role sandboxed sets signal_others: false, yet it may run programs (deploy.build, shell.exec)" + fix +
			"that limit binds the process operations only, not this role. If it must not kill, add deny: [deploy.build, shell.exec] (or allow by name what it needs, like process.list, process.info and process.signal, rather than process.*)",
		"policy.yaml:20:3: warning: role child denies process.kill (deny process.kill), yet it may run programs (process.start)" + fix +
			"that limit binds the process operations only, not this role. If it must not kill, add deny: [process.start] (or allow by name what it needs, like process.list, process.info and process.signal, rather than process.*)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// A max_risk under a deny "*" of its own role or of one it inherits never
// allows anything: both rank lowest and deny wins at equal specificity. The
// policy loads with a warning at the max_risk naming the deny.
func TestPolicyWarnsOfMaxRiskUnderDenyAll(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  locked:
    deny: ["*"]
    allow: [process.list]
  reader:
    inherits: [locked]
    max_risk: read
  own:
    max_risk: write
    deny: ["*"]
  fine:
    max_risk: write
    deny: [process.*]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`policy.yaml:8:5: warning: role reader sets max_risk read, but it inherits role locked, which denies "*" (line 4, column 12), and deny wins at equal specificity: a role's rules count together with those it inherits, so this max_risk never allows anything. Allow by name or category (like "process.*") what reader needs, or stop inheriting locked`,
		`policy.yaml:10:5: warning: role own sets max_risk write, but it also denies "*" (line 11, column 12), and deny wins at equal specificity, so this max_risk never allows anything: allow by name or category (like "process.*") what the role needs, or remove the deny "*" to let max_risk decide`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The warning says what decide does: the max_risk allows nothing.
	for _, role := range []string{"reader", "own"} {
		s, err := p.Subject([]string{role}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Decide("http.request", ops.RiskRead); d.Allowed {
			t.Errorf("role %s: http.request allowed by %s; the warning says max_risk is dead", role, d.Rule)
		}
	}
}

// A deny "*" in a role that inherits a max_risk, from a role of the file
// or a built-in one, makes that max_risk dead in the heir: a role's rules
// count together with those it inherits. The policy loads with a warning
// at the deny naming the max_risk; a max_risk already dead in its own
// role is warned there only.
func TestPolicyWarnsOfDenyAllUnderInheritedMaxRisk(t *testing.T) {
	p, err := ParsePolicy("policy.yaml", []byte(`version: 1
roles:
  base:
    max_risk: write
  narrowed:
    inherits: [base]
    deny: ["*"]
    allow: [process.list]
  grandchild:
    inherits: [narrowed]
  ops:
    inherits: [operator]
    deny: [shell.exec, "*"]
  dead:
    max_risk: read
    deny: ["*"]
  heir:
    inherits: [dead]
    deny: ["*"]
  own:
    inherits: [base]
    max_risk: read
    deny: ["*"]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`policy.yaml:7:12: warning: role narrowed denies "*", but it inherits max_risk write from role base (line 4, column 5), and deny wins at equal specificity: a role's rules count together with those it inherits, so that max_risk never allows anything in narrowed. Allow by name or category (like "process.*") what narrowed needs, or remove this deny "*" to let max_risk decide`,
		`policy.yaml:13:24: warning: role ops denies "*", but it inherits max_risk write from role operator (built in), and deny wins at equal specificity: a role's rules count together with those it inherits, so that max_risk never allows anything in ops. Allow by name or category (like "process.*") what ops needs, or remove this deny "*" to let max_risk decide`,
		`policy.yaml:15:5: warning: role dead sets max_risk read, but it also denies "*" (line 16, column 12), and deny wins at equal specificity, so this max_risk never allows anything: allow by name or category (like "process.*") what the role needs, or remove the deny "*" to let max_risk decide`,
		`policy.yaml:22:5: warning: role own sets max_risk read, but it also denies "*" (line 23, column 12), and deny wins at equal specificity, so this max_risk never allows anything: allow by name or category (like "process.*") what the role needs, or remove the deny "*" to let max_risk decide`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The warning says what decide does: the inherited max_risk allows
	// nothing, and what the role names still is.
	for _, role := range []string{"narrowed", "grandchild", "ops"} {
		s, err := p.Subject([]string{role}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Decide("http.request", ops.RiskRead); d.Allowed {
			t.Errorf("role %s: http.request allowed by %s; the warning says max_risk is dead", role, d.Rule)
		}
	}
	s, err := p.Subject([]string{"narrowed"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Decide("process.list", ops.RiskRead); !d.Allowed {
		t.Errorf("role narrowed: process.list denied by %s", d.Rule)
	}
}
