package steps

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// TestSecretOnCommandLineWarned checks that validate warns of a secret
// input put on a program's command line, which ps shows to every user of
// the host, and not of one given in the step's env or of a plain input.
func TestSecretOnCommandLineWarned(t *testing.T) {
	r := testRegistry(t)
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	r.MustRegister(ops.Spec{Name: "shell.exec", Description: "runs a program", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "command", Type: ops.TypeList, Items: ops.TypeString},
		{Name: "env", Type: ops.TypeMap},
	}}, nop)
	src := `version: 1
name: p
inputs:
  token: {type: string, secret: true}
  user: {type: string, default: bob}
steps:
  - id: a
    op: shell.exec
    with: {command: [curl, -H, "Authorization: Bearer ${{ inputs.token }}", "${{ inputs.user }}"]}
  - id: b
    op: shell.exec
    with: {command: [sh, -c, 'curl -H "Authorization: Bearer $TOKEN"'], env: {TOKEN: "${{ inputs.token }}"}}
`
	warns := parseWarnings(t, src, r)
	if len(warns) != 1 || !strings.HasPrefix(warns[0], "p.yaml:9:59: warning: inputs.token, a secret, goes on the command line of step a's program") {
		t.Errorf("warnings = %q, want one for inputs.token in step a's command", warns)
	}
}

// TestSecretThroughVarsOrOutputOnCommandLineWarned checks that validate
// warns of a secret put on a program's command line through a var (or a
// var reading that var) and of an output its operation marks secret, and
// not of a var reading only plain inputs or a plain output.
func TestSecretThroughVarsOrOutputOnCommandLineWarned(t *testing.T) {
	r := testRegistry(t)
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	r.MustRegister(ops.Spec{Name: "shell.exec", Description: "runs a program", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "command", Type: ops.TypeList, Items: ops.TypeString},
	}}, nop)
	r.MustRegister(ops.Spec{Name: "vault.read", Description: "reads a secret", Risk: ops.RiskRead,
		Output: []ops.Field{{Name: "value", Type: "string"}, {Name: "version", Type: "integer"}}, SecretOutputs: []string{"value"}}, nop)
	src := `version: 1
name: p
inputs:
  token: {type: string, secret: true}
  user: {type: string, default: bob}
vars:
  auth: "Bearer ${{ inputs.token }}"
  header: "Authorization: ${{ vars.auth }}"
  who: "${{ inputs.user }}"
steps:
  - id: v
    op: vault.read
  - id: a
    op: shell.exec
    with: {command: [curl, -H, "${{ vars.header }}", "${{ vars.who }}"]}
  - id: b
    op: shell.exec
    with: {command: [mysql, "-p${{ steps.v.output.value }}", "${{ steps.v.output.version }}"]}
`
	warns := parseWarnings(t, src, r)
	want := []string{
		"p.yaml:15:42: warning: vars.header, which reads inputs.token, a secret, goes on the command line of step a's program",
		"p.yaml:18:51: warning: steps.v.output.value, a secret output of vault.read, goes on the command line of step b's program",
	}
	if len(warns) != len(want) {
		t.Fatalf("warnings = %q, want %d", warns, len(want))
	}
	for _, w := range want {
		if !slices.ContainsFunc(warns, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("warnings = %q, want one starting %q", warns, w)
		}
	}
}

// TestSecretThroughEnvOrItemOnCommandLineWarned checks that validate
// warns of a secret input put on a program's command line through an env
// variable (the step's or the playbook's) or a fan-out's item, as it
// refuses one given to a secret parameter that way, and not of those
// reading only plain inputs.
func TestSecretThroughEnvOrItemOnCommandLineWarned(t *testing.T) {
	r := testRegistry(t)
	nop := ops.Func(func(context.Context, ops.Params) (map[string]any, error) { return map[string]any{}, nil })
	r.MustRegister(ops.Spec{Name: "shell.exec", Description: "runs a program", Risk: ops.RiskWrite, Params: []ops.Param{
		{Name: "command", Type: ops.TypeList, Items: ops.TypeString},
		{Name: "env", Type: ops.TypeMap},
	}}, nop)
	src := `version: 1
name: p
inputs:
  token: {type: string, secret: true}
  keys: {type: list, secret: true, default: [k1]}
  user: {type: string, default: bob}
  hosts: {type: list, default: [h1]}
vars:
  auth: "Bearer ${{ inputs.token }}"
env:
  TOKEN: "${{ inputs.token }}"
  WHO: "${{ inputs.user }}"
steps:
  - id: a
    op: shell.exec
    with: {command: [curl, -H, "${{ env.TOKEN }}", "${{ env.WHO }}"]}
  - id: b
    op: shell.exec
    env: {AUTH: "${{ vars.auth }}"}
    with: {command: [curl, -H, "${{ env.AUTH }}"]}
  - id: c
    op: shell.exec
    foreach: inputs.keys
    with: {command: [ssh-add, "${{ item }}"]}
  - id: d
    op: shell.exec
    foreach: inputs.hosts
    with: {command: [ping, "${{ item }}"]}
`
	warns := parseWarnings(t, src, r)
	want := []string{
		"p.yaml:16:37: warning: env.TOKEN, which reads inputs.token, a secret, goes on the command line of step a's program, which any user of the host can read with ps while it runs; read $TOKEN in the program instead of ${{ env.TOKEN }}",
		"p.yaml:20:37: warning: env.AUTH, which reads inputs.token, a secret, goes on the command line of step b's program",
		"p.yaml:24:36: warning: item, which reads inputs.keys, a secret, goes on the command line of step c's program",
	}
	if len(warns) != len(want) {
		t.Fatalf("warnings = %q, want %d", warns, len(want))
	}
	for _, w := range want {
		if !slices.ContainsFunc(warns, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("warnings = %q, want one starting %q", warns, w)
		}
	}
}

// parseWarnings parses the playbook src as p.yaml and returns its
// warnings as the user sees them.
func parseWarnings(t *testing.T, src string, reg *ops.Registry) []string {
	t.Helper()
	pb, err := Parse("p.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	var warns []string
	for _, w := range pb.Warnings {
		warns = append(warns, w.Error())
	}
	return warns
}
