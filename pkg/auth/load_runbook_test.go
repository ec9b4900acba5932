package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/internal/yamlx"
)

// TestGrantCheckedAgainstRunbook: a grant naming an input its runbook
// does not declare (servce for service), or a path with no file behind it
// (.yml for .yaml), loaded without a word under run, serve and schedule:
// the on-call learnt it from a refused run. A grant pinned to the file's
// sha256 is now an error at the input; an unpinned one, a missing file
// and a pin the file no longer has are warnings.
func TestGrantCheckedAgainstRunbook(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "runbooks/restart.yaml", grantedRunbook)
	sum := sha256.Sum256([]byte(grantedRunbook))
	sha := hex.EncodeToString(sum[:])
	file := filepath.Join(dir, "policy.yaml")
	load := func(grant string) ([]string, []string) {
		t.Helper()
		p, err := ParsePolicy(file, []byte("version: 1\nroles:\n  oncall:\n    playbooks:\n"+grant), testRegistry(t))
		if err != nil {
			return diagStrings(t, err), nil
		}
		var warns []string
		for _, w := range p.Warnings {
			warns = append(warns, w.Error())
		}
		return nil, warns
	}
	declared := "(it declares service, cmd, signal, lines, name, token, note)"
	cases := []struct {
		name, grant string
		errs, warns []string
	}{
		{name: "pinned", grant: `      - {path: runbooks/restart.yaml, sha256: "` + sha + `", as: admin, inputs: {servce: [api], signal: [TERM]}}
`, errs: []string{file + `:5:135: inputs.servce: playbook "runbooks/restart.yaml" declares no input servce (did you mean "service"?), so this rule constrains nothing, and the input meant keeps its default; rename it to an input the runbook declares ` + declared + `, or remove it`}},
		{name: "unpinned", grant: `      - {path: runbooks/restart.yaml, as: admin, inputs: {servce: [api]}}
`, warns: []string{file + `:5:59: warning: inputs.servce: playbook "runbooks/restart.yaml" declares no input servce (did you mean "service"?), so this rule constrains nothing, and the input meant keeps its default; rename it to an input the runbook declares ` + declared + `, or remove it`}},
		{name: "missing", grant: `      - {path: runbooks/restart.yml, sha256: "` + sha + `", as: admin}
`, warns: []string{file + `:5:16: warning: playbook "runbooks/restart.yml" is granted, but there is no such file (the path is relative to the policy file's directory), so the grant lets nobody run anything (did you mean "runbooks/restart.yaml"?); correct the path, or remove the grant`}},
		{name: "edited", grant: `      - {path: runbooks/restart.yaml, sha256: "` + strings.Repeat("0", 64) + `", as: admin, inputs: {servce: [api]}}
`, warns: []string{file + `:5:47: warning: the grant of "runbooks/restart.yaml" is pinned to a sha256 the file no longer has: the runbook was edited, and the grant does not apply until the policy is updated; review the runbook, then set sha256 to ` + sha + ` (sha256sum runbooks/restart.yaml)`}},
		{name: "right", grant: `      - {path: runbooks/restart.yaml, sha256: "` + sha + `", as: admin, inputs: {service: [api]}}
`},
	}
	for _, c := range cases {
		errs, warns := load(c.grant)
		if diff := cmp.Diff(c.errs, errs); diff != "" {
			t.Errorf("%s: errors (-want +got):\n%s", c.name, diff)
		}
		if diff := cmp.Diff(c.warns, warns); diff != "" {
			t.Errorf("%s: warnings (-want +got):\n%s", c.name, diff)
		}
	}
}

// diagStrings is each diagnostic of err, as printed.
func diagStrings(t *testing.T, err error) []string {
	t.Helper()
	var ds yamlx.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Error()
	}
	return out
}

// TestGrantRuleMisfitsRunbook: a grant's rule of the wrong kind for its
// runbook's input (a pattern for an integer), an allowed value the input
// refuses ("5" for an integer, HUP where the runbook allows TERM and
// INT), or bounds that leave no number beside the runbook's loaded, and
// the input could never be set as the grant meant.
func TestGrantRuleMisfitsRunbook(t *testing.T) {
	dir := t.TempDir()
	rb := "version: 1\nname: r\ninputs:\n  lines: {type: integer, default: 10, max: 100}\n  signal: {type: string, default: TERM, enum: [TERM, INT]}\n  cmd: {type: list, default: [\"true\"]}\nsteps:\n  - {id: a, op: control.noop}\n"
	writeFile(t, dir, "r.yaml", rb)
	sum := sha256.Sum256([]byte(rb))
	file := filepath.Join(dir, "policy.yaml")
	src := "version: 1\nroles:\n  oncall:\n    playbooks:\n      - path: r.yaml\n        sha256: \"" + hex.EncodeToString(sum[:]) + "\"\n        as: admin\n        inputs:\n" +
		"          lines: {min: 200}\n" +
		"          signal: {pattern: \"HUP|KILL\"}\n" +
		"          cmd: {pattern: \"x\"}\n"
	_, err := ParsePolicy(file, []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want errors")
	}
	want := []string{
		file + `:9:11: inputs.lines: the grant's bounds (at least 200) and the runbook's (at most 100) leave no number for input lines: a value must meet both; change the grant's min or max`,
		file + `:10:11: inputs.signal: the grant's rule (matching "HUP|KILL") allows none of the values the runbook's input signal may take (["TERM","INT"]): a value must meet both; change the rule, or list allowed values instead`,
		file + `:11:11: inputs.cmd: pattern applies to a string, but the runbook's input cmd is a list: give allowed values instead`,
	}
	if diff := cmp.Diff(want, diagStrings(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	src = "version: 1\nroles:\n  oncall:\n    playbooks:\n      - path: r.yaml\n        as: admin\n        inputs: {lines: [\"5\", 50], signal: [HUP]}\n"
	p, err := ParsePolicy(file, []byte(src), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want = []string{
		file + `:7:18: warning: inputs.lines: allowed value "5" does not fit the runbook's input lines: want an integer, got a string; write the number unquoted; remove it, or correct it`,
		file + `:7:36: warning: inputs.signal: allowed value "HUP" does not fit the runbook's input signal: HUP is not an allowed value; give one of: TERM, INT; remove it, or correct it`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unpinned (-want +got):\n%s", diff)
	}
}
