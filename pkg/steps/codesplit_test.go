package steps

import (
	"strings"
	"testing"
)

// TestSplitStringIsNotInterpolated: env -S splits its text into the
// command it runs, so ${{ }} in that text, or after it, could choose the
// program or its program text and is refused; env without -S is not.
func TestSplitStringIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		return err
	}
	for _, command := range []string{
		`[env, -S, "${{ inputs.s }}"]`,
		`[env, -S, "bash -c", "echo ${{ inputs.s }}"]`,
		`[sudo, env, "--split-string=python3 -c 'print(${{ inputs.s }})'"]`,
		`[env, "-Sbash -c 'echo ${{ inputs.s }}'"]`,
		`[env, --split, "bash -c 'echo ${{ inputs.s }}'"]`,
		`[sudo, env, "--sp=bash -c 'echo ${{ inputs.s }}'"]`,
	} {
		if err := parse(command); err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "the text of env -S") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[env, LC_ALL=C, grep, -r, --, "${{ inputs.s }}", /var/log]`,
		`[env, -S, "grep -r", --, literal, /var/log]`,
		`[env, -u, HOME, bash, -c, 'echo "$1"', bash, "${{ inputs.s }}"]`,
	} {
		if err := parse(command); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}
