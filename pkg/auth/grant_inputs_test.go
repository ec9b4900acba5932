package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/engine"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/builtin"
	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

const grantedRunbook = `version: 1
name: restart
inputs:
  service: {type: string, default: api}
  cmd: {type: list, default: ["true"]}
  signal: {type: string, default: TERM, enum: [TERM, HUP]}
  lines: {type: integer, default: 10}
  name: {type: string, default: web}
  token: {type: string, secret: true, default: ""}
  note: {type: string}
steps:
  - {id: start, op: process.start, with: {command: "${{ inputs.cmd }}"}}
`

// grantFixture writes the runbook and a policy whose oncall role may run
// it as admin, with the given grant inputs; it returns the loaded policy
// and runbook.
func grantFixture(t *testing.T, reg *ops.Registry, grantInputs string) (*Policy, *steps.Playbook, string) {
	return grantFixturePinned(t, reg, grantInputs, true)
}

// grantFixturePinned is grantFixture with the grant pinned to the
// runbook's sha256 or not.
func grantFixturePinned(t *testing.T, reg *ops.Registry, grantInputs string, pinned bool) (*Policy, *steps.Playbook, string) {
	t.Helper()
	dir := t.TempDir()
	rb := writeFile(t, dir, "runbooks/restart.yaml", grantedRunbook)
	pb, err := steps.Load(rb, reg)
	if err != nil {
		t.Fatal(err)
	}
	pin := `sha256: "` + pb.SHA256 + `"`
	if !pinned {
		pin = "# not pinned"
	}
	p, err := ParsePolicy(filepath.Join(dir, "policy.yaml"), []byte(`version: 1
roles:
  oncall:
    max_risk: read
    allow: [playbook.run]
    playbooks:
      - path: runbooks/restart.yaml
        `+pin+`
        as: admin
        inputs: `+grantInputs+`
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	return p, pb, dir
}

// TestGrantInputs: under a grant, an input the caller sets must be
// constrained by the grant or the runbook; one that neither constrains
// keeps its default, and setting it is refused with the fix.
func TestGrantInputs(t *testing.T) {
	reg := testRegistry(t)
	reg.MustRegister(ops.Spec{Name: "process.start", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "command", Type: ops.TypeList}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	p, pb, _ := grantFixture(t, reg, `{service: [api, worker], lines: {max: 500}, name: {pattern: "[a-z]+"}}`)
	s, err := p.Subject([]string{"oncall"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	plan := engine.New(reg).Plan(pb)
	cases := []struct {
		given map[string]any
		want  []string // the inputs refused; nil = allowed
		fix   string
	}{
		{given: nil},
		{given: map[string]any{"service": "worker", "lines": 500, "signal": "HUP", "name": "db"}},
		{given: map[string]any{"token": "s3cret"}},
		// Set to its default: nothing is chosen.
		{given: map[string]any{"cmd": []any{"true"}}},
		{given: map[string]any{"cmd": []any{"sh", "-c", "id"}}, want: []string{"cmd"},
			fix: "neither the grant nor the runbook constrains it, so it must keep its default ([\"true\"]); add inputs.cmd to the grant of runbooks/restart.yaml in policy "},
		{given: map[string]any{"service": "db", "lines": 501}, want: []string{"service", "lines"}, fix: "db is not an allowed value; give one of: api, worker (the grant's rule)"},
		{given: map[string]any{"name": "db;reboot"}, want: []string{"name"}, fix: "(the whole value must match)"},
		// Without a default, an input is unset (its zero value) unless given.
		{given: map[string]any{"note": ""}},
		{given: map[string]any{"note": "x"}, want: []string{"note"}, fix: "neither the grant nor the runbook constrains it, so it must be left unset; add inputs.note"},
	}
	for _, c := range cases {
		in, err := plan.ResolveInputs(c.given, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		err = s.CheckInputs(in)
		if c.want == nil {
			if err != nil {
				t.Errorf("%v: %v; want it allowed", c.given, err)
			}
			continue
		}
		ie, ok := err.(*InputsError)
		if !ok {
			t.Errorf("%v: %v; want an *InputsError", c.given, err)
			continue
		}
		if diff := cmp.Diff(c.want, ie.Inputs); diff != "" {
			t.Errorf("%v: refused inputs (-want +got):\n%s", c.given, diff)
		}
		if !strings.Contains(err.Error(), c.fix) {
			t.Errorf("%v: %v\nwant it to say %q", c.given, err, c.fix)
		}
	}

	// Without a grant (a role that may run everything itself), inputs are
	// the caller's business.
	admin, _ := p.Subject([]string{"admin"}, pb)
	if err := admin.CheckInputs(map[string]any{"cmd": []any{"sh"}}); err != nil {
		t.Errorf("admin: %v", err)
	}

	got := FormatGrantInputs(s)
	for _, want := range []string{
		"service              callers may set it: one of api, worker (the grant's rule)",
		`cmd                  LOCKED: no rule constrains it, so callers may not set it; it keeps its default ["true"]`,
		"signal               callers may set it: one of TERM, HUP (the runbook's rule)",
		"token                secret: callers may pass it",
		"note                 LOCKED: no rule constrains it, so callers may not set it; it stays unset",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatGrantInputs lacks %q:\n%s", want, got)
		}
	}
}

// TestGrantInputsOfSubRuns: a playbook of the caller's own that runs the
// granted runbook through playbook.run, passing inputs the grant leaves
// free, gets no admin rights: the sub-run's steps are denied at run time
// and its command never runs.
func TestGrantInputsOfSubRuns(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	eng := engine.New(reg)
	if err := engine.RegisterPlaybookOp(eng); err != nil {
		t.Fatal(err)
	}
	p, _, dir := grantFixture(t, reg, `{service: [api]}`)
	marker := filepath.Join(dir, "pwned")
	wrapper := writeFile(t, dir, "mine.yaml", `version: 1
name: mine
steps:
  - id: sub
    op: playbook.run
    with: {path: runbooks/restart.yaml, inputs: {cmd: [touch, "`+marker+`"]}}
`)
	pb, err := steps.Load(wrapper, reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"oncall"}, pb, reg)
	if err != nil || len(Denied(ds)) > 0 {
		t.Fatalf("preflight: %v %+v", err, ds)
	}
	s, _ := p.Subject([]string{"oncall"}, pb)
	rep, err := eng.Plan(pb).Run(context.Background(), nil, engine.WithRoles("oncall"), engine.WithRunAuthorizer(NewAuthorizer(s)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the caller's command ran with the grant's rights")
	}
	sub := rep.Steps[0].Sub
	if sub == nil || len(sub.Steps) != 1 {
		t.Fatalf("no sub-run in the report: %+v", rep.Steps[0])
	}
	st := sub.Steps[0]
	if st.Status != report.StatusDenied || !strings.Contains(st.Error.Message, "does not let the caller set this input: input cmd is set to") {
		t.Errorf("sub-run step %s: %+v", st.Status, st.Error)
	}
}

// TestDirectOnlyNeverUsesAGrant: a subject made DirectOnly (as for a run
// resumed from a report arsenal-run cannot verify) gets no grant, not even
// for a granted sub-playbook that preflight could not see because its path
// is computed at run time.
func TestDirectOnlyNeverUsesAGrant(t *testing.T) {
	reg := ops.NewRegistry()
	if err := builtin.Register(reg, builtin.Options{}); err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	eng := engine.New(reg)
	if err := engine.RegisterPlaybookOp(eng); err != nil {
		t.Fatal(err)
	}
	p, _, dir := grantFixture(t, reg, `{service: [api]}`)
	wrapper := writeFile(t, dir, "mine.yaml", `version: 1
name: mine
inputs:
  rb: {type: string, default: runbooks/restart.yaml}
steps:
  - {id: sub, op: playbook.run, with: {path: "${{ inputs.rb }}"}}
`)
	pb, err := steps.Load(wrapper, reg)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.Preflight([]string{"oncall"}, pb, reg)
	if err != nil || UsesGrant(ds) || len(Denied(ds)) > 0 {
		t.Fatalf("preflight sees no grant and denies nothing: %v %+v", err, ds)
	}
	s, _ := p.Subject([]string{"oncall"}, pb)
	run := func(s *Subject) report.Status {
		rep, err := eng.Plan(pb).Run(context.Background(), nil, engine.WithRoles("oncall"), engine.WithRunAuthorizer(NewAuthorizer(s)))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Steps[0].Sub == nil {
			t.Fatalf("no sub-run: %+v", rep.Steps[0])
		}
		return rep.Steps[0].Sub.Steps[0].Status
	}
	if got := run(s); got != report.StatusSucceeded {
		t.Errorf("with the grant, the sub-run's step is %s", got)
	}
	if got := run(s.DirectOnly()); got != report.StatusDenied {
		t.Errorf("direct only, the sub-run's step is %s; want denied", got)
	}
}

// TestGrantPinsASecretInput: a secret input is free under a grant unless
// the grant constrains it; a policy that pins one (a webhook URL, which
// carries a token) is obeyed, and neither the refusal nor validate shows
// the value given or the values pinned.
func TestGrantPinsASecretInput(t *testing.T) {
	reg := testRegistry(t)
	reg.MustRegister(ops.Spec{Name: "process.start", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "command", Type: ops.TypeList}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	const pinned = "https://hooks.example.com/T0KEN"
	p, pb, _ := grantFixture(t, reg, `{token: ["`+pinned+`"]}`)
	s, err := p.Subject([]string{"oncall"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckInputs(map[string]any{"token": pinned}); err != nil {
		t.Errorf("the pinned value: %v", err)
	}
	err = s.CheckInputs(map[string]any{"token": "http://127.0.0.1:9/ATTACKER"})
	ie, ok := err.(*InputsError)
	if !ok || !cmp.Equal(ie.Inputs, []string{"token"}) {
		t.Fatalf("another value: %v; want token refused", err)
	}
	for _, leak := range []string{"ATTACKER", "T0KEN"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the refusal shows %s: %v", leak, err)
		}
	}
	if !strings.Contains(err.Error(), "input token: the secret value given is not one the grant allows") {
		t.Errorf("the refusal: %v", err)
	}
	got := FormatGrantInputs(s)
	if !strings.Contains(got, "token                secret: callers may pass only what the grant's rule allows (not shown)") || strings.Contains(got, "T0KEN") {
		t.Errorf("FormatGrantInputs:\n%s", got)
	}
}

// TestUnknownGrantInputNamed: a grant's input the runbook does not declare
// (a typo of one it does) was listed by validate without saying where it
// is in the policy or which input was meant.
func TestUnknownGrantInputNamed(t *testing.T) {
	reg := testRegistry(t)
	reg.MustRegister(ops.Spec{Name: "process.start", Risk: ops.RiskWrite, Params: []ops.Param{{Name: "command", Type: ops.TypeList}}},
		ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return nil, nil }))
	if err := engine.RegisterPlaybookOp(engine.New(reg)); err != nil {
		t.Fatal(err)
	}
	// Unpinned, the grant loads with a warning (see
	// TestGrantCheckedAgainstRunbook) and validate lists it.
	p, pb, dir := grantFixturePinned(t, reg, `{servcie: [api, worker]}`, false)
	s, err := p.Subject([]string{"oncall"}, pb)
	if err != nil {
		t.Fatal(err)
	}
	want := `servcie              the grant constrains it, but the runbook declares no such input (did you mean "service"?); rename it in inputs of the grant (` +
		filepath.Join(dir, "policy.yaml") + `:10:18) to an input the runbook declares, or remove it`
	if got := FormatGrantInputs(s); !strings.Contains(got, want) {
		t.Errorf("FormatGrantInputs:\n%s\nwant a line %q", got, want)
	}
}
