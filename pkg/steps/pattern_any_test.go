package steps

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInputPatternThatMatchesNothing: an input whose pattern matches no
// value loaded, so the input could never be given; it is now an error at
// the pattern, with why when a ^ or $ inside it is the cause.
func TestInputPatternThatMatchesNothing(t *testing.T) {
	src := `version: 1
name: t
inputs:
  service: {type: string, pattern: "api^[a-z]+"}
  none: {type: string, pattern: '[^\x00-\x{10FFFF}]'}
  ok: {type: string, pattern: "(?m)^a$|b"}
  dur: {type: duration, pattern: "[0-9]+m$s"}
steps:
  - {id: a, op: control.noop}
`
	_, err := Parse("t.yaml", []byte(src), testRegistry(t))
	var ds Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("want diagnostics, got %v", err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Error())
	}
	anchors := " (^ and $ match only at the start and end of the whole value, so a pattern with text before a ^ or after a $ matches nothing; the pattern is anchored at both ends already)"
	want := []string{
		`t.yaml:4:36: input service: pattern "api^[a-z]+" matches no value, so the input could never be given` + anchors + `; write a pattern the values meant match`,
		`t.yaml:5:33: input none: pattern "[^\x00-\x{10FFFF}]" matches no value, so the input could never be given; write a pattern the values meant match`,
		`t.yaml:7:34: input dur: pattern "[0-9]+m$s" matches no value, so the input could never be given` + anchors + `; write a pattern the values meant match`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
