package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAnchorProblemNamesTheUse: a value written once under an anchor and
// used by several steps is one position in the file. A problem it has
// for one use only is reported at the anchor, and the message names the
// step and the alias (line, column) through which that step uses it, so
// that the step at fault is found; a problem the anchor's own step has
// too is reported once.
func TestAnchorProblemNamesTheUse(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, tc := range []struct {
		name, steps string
		file        string // the whole file, when steps is not enough
		want        []string
	}{{
		name: "item read by a step without foreach",
		steps: `  - id: a
    op: control.log
    foreach: ${{ [1, 2] }}
    with: &w {message: "item ${{ item }}"}
  - id: b
    op: control.log
    with: *w
`,
		want: []string{`p.yaml:7:34: in step b, through *w at line 10, column 11: item is defined only for each item of a foreach step`},
	}, {
		name: "parameter another op does not take, through a merge key",
		steps: `  - &base
    id: a
    op: control.log
    with: {message: hi}
  - id: b
    <<: *base
    op: control.sleep
`,
		want: []string{
			`p.yaml:7:11: in step b, through *base at line 9, column 9: control.sleep: param duration: is required`,
			`p.yaml:7:12: in step b, through *base at line 9, column 9: control.sleep: param message: unknown parameter`,
		},
	}, {
		name: "through merge keys, an alias inside the anchor",
		steps: `  - id: a
    op: control.log
    foreach: ${{ [1] }}
    with: &w {message: "item ${{ item }}"}
  - id: b
    op: control.log
    foreach: ${{ [1] }}
    with: &bw {<<: *w}
  - id: c
    <<: [{op: control.log, with: *bw}, {foreach: "${{ [1] }}"}]
  - id: d
    op: control.log
    with: *bw
`,
		want: []string{`p.yaml:7:34: in step d, through *bw at line 16, column 11: item is defined only`},
	}, {
		name: "a step that reads its own state",
		steps: `  - id: a
    op: control.log
    with: &w {message: "${{ steps.b.output }}"}
  - id: b
    op: control.log
    with: *w
`,
		want: []string{
			`p.yaml:6:35: steps.b runs after step a`,
			`p.yaml:6:35: in step b, through *w at line 9, column 11: step b cannot read its own state`,
		},
	}, {
		name: "rescue steps written once",
		steps: `  - id: a
    op: control.log
    with: {message: hi}
    rescue: &r
      - {id: r, op: control.log, with: {message: "${{ steps.a.error.message }}"}}
  - id: b
    op: control.log
    with: {message: hi}
    rescue: *r
`,
		want: []string{
			`p.yaml:8:14: in rescue step r, through *r at line 12, column 13: step id "r" is already used at line 8, column 9 (in rescue)`,
		},
	}, {
		name: "a list of steps reused whole",
		file: hostileHead + `steps: &s
  - {id: a, op: control.log, with: {message: hi}}
finally: *s
`,
		want: []string{`p.yaml:4:10: in step a of finally, through *s at line 5, column 10: step id "a" is already used at line 4, column 5 (in steps)`},
	}, {
		name: "a whole step repeated, at the alias only",
		steps: `  - &a {id: a, op: control.log, with: {message: hi}}
  - *a
`,
		want: []string{`p.yaml:5:5: step id "a" (repeated by the alias *a) is already used`},
	}, {
		name: "a problem of the anchor itself, once",
		steps: `  - &base
    id: a
    op: control.log
    with: {message: hi, levl: info}
  - <<: *base
    id: b
  - <<: *base
    id: c
`,
		want: []string{`p.yaml:7:25: step a: control.log: param levl: unknown parameter`},
	}, {
		name: "an expression of the wrong type in the anchor, once",
		steps: `  - id: a
    op: control.sleep
    with: &w {duration: "${{ [1] }}"}
  - id: b
    op: control.sleep
    with: *w
`,
		want: []string{"p.yaml:6:30: step a: param duration: `[1]` gives a list, but control.sleep wants a duration"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := hostileHead + "steps:\n" + tc.steps
			if tc.file != "" {
				src = tc.file
			}
			_, err := Parse("p.yaml", []byte(src), reg)
			ds, ok := err.(Diagnostics)
			if !ok {
				t.Fatalf("want diagnostics, got %v", err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("want %d problems, got:\n%s", len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d:\n%s", i, cmp.Diff(w, got[i]))
				}
			}
		})
	}
}
