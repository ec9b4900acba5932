package steps

import (
	"strings"
	"testing"
)

// TestBusyboxAppletIsChecked: [busybox, APPLET, ...] runs the applet,
// whose program text or script is checked as the applet's own is, and
// whose error shows the safe form of the applet, not of busybox, which
// takes no -c.
func TestBusyboxAppletIsChecked(t *testing.T) {
	reg := fixtureRegistry(t)
	for command, want := range map[string]string{
		`[busybox, sed, -i, "s/a/${{ inputs.s }}/", f]`:    "--sandbox",
		`[busybox, awk, "{ print \"${{ inputs.s }}\" }"]`:  "program text of awk",
		`[/bin/busybox, sh, -c, "echo ${{ inputs.s }}"]`:   `[sh, -c, 'echo "$1"', sh, "${{ expr }}"]`,
		`[sudo, busybox, ash, -c, "echo ${{ inputs.s }}"]`: "program text of ash -c",
	} {
		_, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: "+command+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), "p.yaml:15:") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", command, err, want)
		}
	}
	step := paramTypesHead + "    op: fake.shell\n    with:\n      command: [busybox, sh]\n      stdin: \"echo ${{ inputs.s }}\"\n"
	if _, err := Parse("p.yaml", []byte(step), reg); err == nil || !strings.Contains(err.Error(), "reads its program from it") {
		t.Errorf("[busybox, sh] with ${{ }} in stdin: %v", err)
	}
	if _, err := Parse("p.yaml", []byte(paramTypesHead+"    op: fake.shell\n    with:\n      command: [busybox, wget, -O, out, \"${{ inputs.s }}\"]\n"), reg); err != nil {
		t.Errorf("[busybox, wget, …]: %v", err)
	}
}
