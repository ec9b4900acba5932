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

// TestUnitlessDurationInputSaysWhichUnit: --input wait=30 for a duration
// input was `want a duration like 30s or 5m, got "30"`; it now says the
// number has no unit, in the form it was given, as a playbook's own
// timeout: 30 does. From an environment variable it says 30s or 30m.
func TestUnitlessDurationInputSaysWhichUnit(t *testing.T) {
	e, _ := newEngine(t)
	p := plan(t, e, header+`
inputs:
  wait: {type: duration, default: 5s, env: TEST_WAIT_INPUT}
steps:
  - {id: a, op: control.noop}
`)
	_, err := p.ParseInputs(map[string]string{"wait": "30"})
	want := "wait: --input wait=30 has no unit; write it with one, like --input wait=30s or --input wait=30m"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("--input: %v, want %q", err, want)
	}
	_, err = p.ResolveInputs(nil, func(k string) (string, bool) { return "1.5", k == "TEST_WAIT_INPUT" })
	want = "wait (from $TEST_WAIT_INPUT): 1.5 has no unit; write it with one, like 1.5s or 1.5m"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("env: %v, want %q", err, want)
	}
}
