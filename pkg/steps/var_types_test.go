package steps

import (
	"strings"
	"testing"
)

// TestVarTypesAreChecked: a var written as a literal, a list, a map or
// text with ${{ }} in it has a type validation knows, as an input has;
// before, every var was typed any, so a string var as a foreach list or a
// number compared with a string passed validation and failed, or went
// the wrong way, at 3 a.m. A var that is one expression stays any.
func TestVarTypesAreChecked(t *testing.T) {
	reg := fixtureRegistry(t)
	head := `version: 1
name: p
inputs:
  s: {type: string, default: x}
vars:
  port: 8080
  ratio: 0.5
  name: web
  on: true
  hosts: [a, b]
  cfg: {k: v}
  greeting: "hi ${{ inputs.s }}"
  any: "${{ inputs.s }}"
steps:
  - id: a
    op: fake.shell
    with: {command: [echo]}
`
	for step, want := range map[string]string{
		`when: vars.port == "8080"`:       "mismatched types int and string",
		`foreach: vars.name`:              "gives a string",
		`foreach: vars.greeting`:          "gives a string",
		`when: vars.ratio`:                "gives float",
		`when: vars.on && vars.hosts > 1`: "mismatched types",
		`when: vars.cfg == 3`:             "mismatched types",
	} {
		_, err := Parse("p.yaml", []byte(head+"    "+step+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:18:") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", step, err, want)
		}
	}
	for _, step := range []string{
		`when: vars.port == 8080 && vars.ratio < 1 && vars.on`,
		`foreach: vars.hosts`,
		`when: vars.cfg.k == "v" && vars.name == "web" && len(vars.greeting) > 0`,
		`when: vars.any == 3 || vars.any == "x"`,
	} {
		if _, err := Parse("p.yaml", []byte(head+"    "+step+"\n"), reg); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
}
