package steps

import (
	"strings"
	"testing"
)

// TestMatrixExcludeNeverMatches: an exclude entry of a literal matrix that
// gives an axis a value it does not have (macos for [linux, darwin]), or
// names no axis, ran every combination without a word, the one meant to
// be left out among them. Values compare as data: 2 is 2.0, "1" is not 1.
func TestMatrixExcludeNeverMatches(t *testing.T) {
	src := "version: 1\nname: k\nsteps:\n  - id: a\n    op: control.noop\n    foreach:\n      matrix:\n" +
		"        os: [linux, darwin]\n        go: [1, 2.0]\n        exclude:\n" +
		"          - {os: macos}\n          - {go: 2}\n          - {}\n          - {os: linux, go: \"1\"}\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	for _, want := range []string{
		`p.yaml:11:18: exclude gives os the value "macos", which axis os does not have (["linux","darwin"]), so the entry never matches; write one of the axis's values`,
		`p.yaml:13:13: this exclude entry names no axis, so it leaves out nothing; give the values of the combinations to leave out, like {os: "linux"}`,
		`p.yaml:14:29: exclude gives go the value "1", which axis go does not have ([1,2])`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), ":12:") {
		t.Errorf("{go: 2} matches the axis value 2.0:\n%s", err)
	}
	// Computed axes or entries are judged when the step runs.
	for _, m := range []string{`{os: "${{ inputs.l }}", exclude: [{os: z}]}`, `{os: [a, b], exclude: [{os: "${{ inputs.l[0] }}"}]}`} {
		src := "version: 1\nname: k\ninputs:\n  l: {type: list, default: [a]}\nsteps:\n  - id: a\n    op: control.noop\n    foreach:\n      matrix: " + m + "\n"
		if _, err := Parse("p.yaml", []byte(src), testRegistry(t)); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
}
