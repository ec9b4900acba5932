package steps

import (
	"strings"
	"testing"
)

// TestAwkProgramIsNotInterpolated: awk's program text can run commands
// (system(), "cmd" | getline), so ${{ }} in it would run a value as code,
// as in script; a value given with -v (--assign), as a file operand, or
// to a program read from a file or given by -e is data.
func TestAwkProgramIsNotInterpolated(t *testing.T) {
	reg := fixtureRegistry(t)
	parse := func(command string) error {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		return err
	}
	for _, command := range []string{
		`[awk, "{ print \"${{ inputs.s }}\" }"]`,
		`[/usr/bin/gawk, -F, ":", "$1 == \"${{ inputs.s }}\""]`,
		`[mawk, -v, "n=1", "NR > ${{ inputs.s }}", file]`,
		`[gawk, -e, "BEGIN { x = \"${{ inputs.s }}\" }"]`,
		`[gawk, "--source=BEGIN { ${{ inputs.s }} }"]`,
		`[awk, -F:, --, "{ print ${{ inputs.s }} }"]`,
		`[sudo, awk, "{ print \"${{ inputs.s }}\" }", /etc/passwd]`,
		`[timeout, -s, KILL, 10s, gawk, "{ print \"${{ inputs.s }}\" }"]`,
		`[gawk, -e, "BEGIN { n = 1 }", --so, "{ print ${{ inputs.s }} }"]`,
		`[gawk, -f, lib.awk, "--sour={ print ${{ inputs.s }} }"]`,
	} {
		err := parse(command)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), "would run as code") || !strings.Contains(err.Error(), "-v") {
			t.Errorf("%s: %v", command, err)
		}
	}
	for _, command := range []string{
		`[awk, -v, "x=${{ inputs.s }}", "{ print x }"]`,
		`[awk, "-vx=${{ inputs.s }}", "{ print x }"]`,
		`[awk, "{ print }", "${{ inputs.s }}"]`,
		`[awk, -f, prog.awk, "${{ inputs.s }}"]`,
		`[gawk, --file=prog.awk, "${{ inputs.s }}"]`,
		`[awk, "-F${{ inputs.s }}", "{ print NF }"]`,
		`[gawk, -e, "{ print $1 }", "${{ inputs.s }}"]`,
		`[gawk, "--source={ print $1 }", "${{ inputs.s }}"]`,
		`[gawk, --assign, "x=${{ inputs.s }}", "{ print x }"]`,
		`[gawk, --field-separator, "${{ inputs.s }}", "{ print $1 }"]`,
		`[gawk, --ass, "x=${{ inputs.s }}", "{ print x }"]`,
	} {
		if err := parse(command); err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}
}
