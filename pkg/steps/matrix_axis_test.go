package steps

import (
	"strings"
	"testing"
)

// TestMatrixAxisRepeatsAValue: os: [a, a] gave two identical items
// without a word; a repeated literal value is refused at its line, as
// data (2 is 2.0); an axis computed when the step runs is not judged.
func TestMatrixAxisRepeatsAValue(t *testing.T) {
	src := "version: 1\nname: k\nsteps:\n  - id: a\n    op: control.noop\n    foreach:\n      matrix:\n" +
		"        os: [linux, darwin, linux]\n        go: [1, 2.0, 2]\n        ok: [x, y]\n"
	_, err := Parse("p.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("loaded; want it refused")
	}
	for _, want := range []string{
		`p.yaml:8:29: matrix axis os repeats the value "linux" (its value 1 too), which would run every combination holding it twice; remove the repeat or write the value meant`,
		`p.yaml:9:22: matrix axis go repeats the value 2 (its value 2 too)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), ":10:") {
		t.Errorf("an axis without repeats is refused:\n%s", err)
	}
	src = "version: 1\nname: k\ninputs:\n  l: {type: list, default: [a, a]}\nsteps:\n  - id: a\n    op: control.noop\n" +
		"    foreach:\n      matrix: {os: \"${{ inputs.l }}\", v: [\"${{ inputs.l[0] }}\", a]}\n"
	if _, err := Parse("p.yaml", []byte(src), testRegistry(t)); err != nil {
		t.Errorf("a computed axis is refused at load: %v", err)
	}
}
