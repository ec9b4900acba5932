package engine

import (
	"strings"
	"testing"
)

// TestNumberInputTextSaysHowToPassOne: a number or integer input given as
// text that is no number says how to write one, in the form it was
// given: --input count=42 on the command line, 42 from an environment
// variable (it said only `want an integer, got "abc"`). A secret's text
// is not repeated.
func TestNumberInputTextSaysHowToPassOne(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  count: {type: integer, default: 1, env: TEST_COUNT_INPUT}
  ratio: {type: number, default: 1}
  pin: {type: integer, secret: true, default: 0}
steps:
  - {id: a, op: control.noop}
`)
	_, err := p.ParseInputs(map[string]string{"count": "abc", "ratio": "90%", "pin": "12a4"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`count: want an integer, got "abc"; write digits alone, as --input count=42, without quotes, units or separators`,
		`ratio: want a number, got "90%"; write a number alone, as --input ratio=2.5, without quotes, units or separators`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("--input: %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "12a4") {
		t.Errorf("--input: %q shows a secret's text", err)
	}
	_, err = p.ResolveInputs(nil, func(k string) (string, bool) { return "abc", k == "TEST_COUNT_INPUT" })
	want := `count (from $TEST_COUNT_INPUT): want an integer, got "abc"; write digits alone, as 42, without quotes`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("env: %v, want %q", err, want)
	}
}
