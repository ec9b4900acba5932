package engine

import (
	"regexp"
	"strings"
	"testing"
)

// TestExprErrorNamesFilePosition: an expression that fails at run time is
// named by the file's line and column of the part that failed, in a plain
// scalar, after a double-quoted escape, inside ${{ }} and on the second
// line of a folded block, not by its place inside the expression, " (1:5)",
// which a reader cannot find in the file.
func TestExprErrorNamesFilePosition(t *testing.T) {
	e, _ := newEngine(t)
	src := header + `inputs:
  s: {type: string, default: "abc"}
steps:
  - id: a
    op: control.set
    with: {m: {}, n: 0}
  - id: plain
    op: control.noop
    when: inputs.s != "" && steps.a.output.m.x.y == 1
    continue_on_error: true
  - id: templ
    op: control.log
    with:
      message: "\"q\" ${{ 10 % steps.a.output.n }}"
    continue_on_error: true
  - id: folded
    op: control.noop
    when: >-
      steps.a.status == "succeeded" &&
        int(inputs.s) > 0
    continue_on_error: true
`
	rep := mustRun(t, plan(t, e, src), nil)
	for id, want := range map[string]string{
		"plain":  "pb.yaml:11:48: ", // the .y read from null
		"templ":  "pb.yaml:16:30: ", // the %
		"folded": "pb.yaml:22:9: ",  // int(
	} {
		st := stepOf(t, rep, id)
		if st.Error == nil {
			t.Errorf("%s: no error, want one at %s", id, want)
			continue
		}
		msg := st.Error.Message
		if !strings.Contains(msg, want) {
			t.Errorf("%s: error %q, want it at %s", id, msg, want)
		}
		if regexp.MustCompile(`\(\d+:\d+\)$`).MatchString(msg) {
			t.Errorf("%s: error %q ends in a position inside the expression", id, msg)
		}
	}
}
