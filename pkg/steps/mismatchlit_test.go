package steps

import (
	"strings"
	"testing"
)

// TestMismatchAdviceFitsALiteral: an operator given a number in quotes,
// as in steps.a.output.exit_code * '2' or vars.port == "8080", was told
// to convert "one side" with string(x) or float(trim(x)), advice for a
// command's output that did not fit the literal the author wrote; the
// message names the literal and says to write the number without quotes.
func TestMismatchAdviceFitsALiteral(t *testing.T) {
	reg := fixtureRegistry(t)
	head := `version: 1
name: p
inputs:
  n: {type: number, default: 3}
  s: {type: string, default: "3"}
vars:
  port: 8080
steps:
  - id: a
    op: fake.shell
    with: {command: [echo]}
  - id: b
    op: control.log
`
	for step, want := range map[string]string{
		`with: {message: "${{ steps.a.output.exit_code * '2' }}"}`: `'2' is a number in quotes, which makes it text: write it without quotes, 2`,
		`when: vars.port == "8080"`:                                `"8080" is a number in quotes, which makes it text: write it without quotes, 8080`,
		`with: {message: "${{ '2.5' * inputs.n }}"}`:               `'2.5' is a number in quotes, which makes it text: write it without quotes, 2.5`,
		`with: {message: "${{ 3 + '2' }}"}`:                        `'2' is a number in quotes, which makes it text: to add, write it without quotes, 2; to join them as text, convert the number with string(x)`,
		`with: {message: "${{ inputs.n - 'abc' }}"}`:               `'abc' is text, and - takes numbers`,
		// No literal: the text side is the one to convert, never the
		// value of unknown type with string(x).
		`with: {message: "${{ steps.a.output.exit_code * inputs.s }}"}`: `(mismatched types: a value known only at run time, and string); convert the text with float(trim(x))`,
	} {
		_, err := Parse("p.yaml", []byte(head+"    "+step+"\n"), reg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %q", step, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "convert one side") {
			t.Errorf("%s: generic advice: %v", step, err)
		}
	}
}
