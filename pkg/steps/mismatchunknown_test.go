package steps

import (
	"strings"
	"testing"
)

// TestMismatchNamesNoUnknownType: the checker calls the type of a value
// that only the run knows, such as a step's output field, "unknown", and
// validate said "(mismatched types unknown and string)", a type no author
// wrote; the message says what the value is instead.
func TestMismatchNamesNoUnknownType(t *testing.T) {
	reg := fixtureRegistry(t)
	head := `version: 1
name: p
steps:
  - id: a
    op: fake.shell
    with: {command: [echo]}
  - id: b
    op: control.log
`
	for _, step := range []string{
		`when: steps.a.output.exit_code - "x" > 1` + "\n    with: {message: hi}",
		`with: {message: "${{ steps.a.output.exit_code + [1] }}"}`,
		`with: {message: "${{ [1] + steps.a.output.exit_code }}"}`,
	} {
		_, err := Parse("p.yaml", []byte(head+"    "+step+"\n"), reg)
		if err == nil {
			t.Fatalf("%s: no error", step)
		}
		msg := err.Error()
		if strings.Contains(msg, "unknown") {
			t.Errorf("%s: names the type unknown: %v", step, msg)
		}
		if !strings.Contains(msg, "a value known only at run time") {
			t.Errorf("%s: does not say what the value is: %v", step, msg)
		}
	}
}
