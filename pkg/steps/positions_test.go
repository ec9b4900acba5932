package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPositionsInScalars checks that a problem inside an expression is
// reported where its text stands in the file, whatever the scalar's style:
// escapes, folded lines and block indentation change the decoded value's
// offsets but not the position.
func TestPositionsInScalars(t *testing.T) {
	reg := fixtureRegistry(t)
	const head = hostileHead + "steps:\n  - id: a\n    op: control.log\n" // the step's keys start on line 6
	for _, tc := range []struct {
		name, yaml string
		want       Pos // of "nope"
	}{
		{"double-quoted", `    with: {message: "${{ nope }}"}`, Pos{Line: 6, Col: 26}},
		{"double-quoted after escapes", `    with: {message: "\t\u00e9${{ nope }}"}`, Pos{Line: 6, Col: 34}},
		{"double-quoted after escaped backslashes", `    with: {message: "\\\\${{ nope }}"}`, Pos{Line: 6, Col: 30}},
		{"double-quoted starting with a quote", `    with: {message: "\"a\" ${{ nope }}"}`, Pos{Line: 6, Col: 32}},
		{"single-quoted starting with a quote", `    with: {message: '''a'' ${{ nope }}'}`, Pos{Line: 6, Col: 32}},
		{"single-quoted after a quote", `    with: {message: 'it''s ${{ nope }}'}`, Pos{Line: 6, Col: 32}},
		{"plain", "    with:\n      message: ${{ nope }}", Pos{Line: 7, Col: 20}},
		{"second of two", `    with: {message: "${{ run.id }} and ${{ nope }}"}`, Pos{Line: 6, Col: 44}},
		{"after a multi-byte character", `    with: {message: "é ${{ nope }}"}`, Pos{Line: 6, Col: 28}},
		{"literal block", "    with:\n      message: |\n        one\n        two ${{ nope }}", Pos{Line: 9, Col: 17}},
		{"literal block, deeper line", "    with:\n      message: |\n        if x; then\n          echo ${{ nope }}\n        fi", Pos{Line: 9, Col: 20}},
		{"literal block with an indentation indicator", "    with:\n      message: |2\n          one\n          two ${{ nope }}", Pos{Line: 9, Col: 19}},
		{"folded block", "    with:\n      message: >\n        one\n        two ${{ nope }}", Pos{Line: 9, Col: 17}},
		{"plain over two lines", "    with:\n      message: plain text\n        continued ${{ nope }}", Pos{Line: 8, Col: 23}},
		{"double-quoted over two lines", "    with:\n      message: \"quoted text\n        continued ${{ nope }}\"", Pos{Line: 8, Col: 23}},
		{"expression over two lines", "    with: {message: \"${{\n      nope }}\"}", Pos{Line: 7, Col: 7}},
		{"escaped line break", "    with: {message: \"a\\\n      b ${{ nope }}\"}", Pos{Line: 7, Col: 13}},
		{"bare condition in a block", "    with: {message: x}\n    when: |\n      run.id != \"\" &&\n        nope", Pos{Line: 9, Col: 9}},
		{"CRLF line ends", strings.ReplaceAll("    with:\n      message: |\n        one\n        two ${{ nope }}", "\n", "\r\n"), Pos{Line: 9, Col: 17}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(head+tc.yaml+"\n"), reg)
			ds, ok := err.(Diagnostics)
			if !ok || len(ds) != 1 || !strings.Contains(ds[0].Msg, "nope") {
				t.Fatalf("want one diagnostic about nope, got %v", err)
			}
			if diff := cmp.Diff(tc.want, ds[0].Pos); diff != "" {
				t.Errorf("position (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPositionsAfterByteOrderMark: a byte order mark, which editors on
// Windows write, takes no column, on the first line too.
func TestPositionsAfterByteOrderMark(t *testing.T) {
	src := "\ufeffvars: {a: \"${{ nope }}\"}\nversion: 1\nname: x\nsteps:\n  - {id: a, op: control.noop}\n"
	_, err := Parse("p.yaml", []byte(src), fixtureRegistry(t))
	ds, ok := err.(Diagnostics)
	if !ok || len(ds) != 1 || !strings.Contains(ds[0].Msg, "nope") {
		t.Fatalf("want one diagnostic about nope, got %v", err)
	}
	if diff := cmp.Diff(Pos{Line: 1, Col: 16}, ds[0].Pos); diff != "" {
		t.Errorf("position (-want +got):\n%s", diff)
	}
}
