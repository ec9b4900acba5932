package steps

import (
	"strings"
	"testing"
)

// TestCodeArgumentsAreNotInterpolated: ${{ }} in the program text of
// [sh, -c, …] and the like would run a value as code, as in script, and
// is refused at its place with the safe forms; a value as an argument
// after the text, or any item of another program, is not.
func TestCodeArgumentsAreNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, command := range []string{
		`[sh, -c, "ls ${{ inputs.s }}"]`,
		`[/bin/bash, -ec, "ls ${{ inputs.s }}"]`,
		`[bash, -lc, "x${{ inputs.s }}"]`,
		`[python3, -c, "print(${{ inputs.s }})"]`,
		`[/usr/bin/env-less, x]`, // not a shell: accepted below
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if strings.Contains(command, "env-less") {
			if err != nil {
				t.Errorf("%s: %v", command, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "would run as code") || !strings.Contains(err.Error(), `'echo "$1"'`) {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[sh, -c, 'ls "$1"', sh, "${{ inputs.s }}"]`,
		`[ls, -c, "${{ inputs.s }}"]`,
		`[echo, "${{ inputs.s }}"]`,
		`[sh, "${{ inputs.s }}"]`,
		`[sh, -x, script.sh, "${{ inputs.s }}"]`,
	} {
		if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}
