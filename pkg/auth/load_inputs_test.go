package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGrantRuleThatNeverHolds: a grant's rule for an input that no value
// can meet (a pattern that matches nothing, a pattern beside min or max,
// an allowed value the rule's other parts refuse) loaded, and was found
// only when a caller's run was refused; each is now an error at the rule.
func TestGrantRuleThatNeverHolds(t *testing.T) {
	got := loadDiags(t, "p.yaml", `version: 1
roles:
  oncall:
    playbooks:
      - path: runbooks/restart.yaml
        as: admin
        inputs:
          service: {pattern: "api^[a-z]+"}
          tail: {pattern: 'x$\.log'}
          empty: {pattern: '[^\x00-\x{10FFFF}]'}
          lines: {pattern: "[0-9]+", max: 500}
          region: {enum: [eu-1, us-1, EU-2], pattern: "[a-z]+-[0-9]"}
          count: {enum: [1, 5, 900], max: 100}
          fine: {enum: [a, b], pattern: "[a-z]"}
          ok: {pattern: "(?m)^a$"}
          ok2: {pattern: "\\bword\\b|x"}
`)
	want := []string{
		`p.yaml:8:20: inputs.service: pattern "api^[a-z]+" matches no value, so a caller could never set this input (^ and $ match only at the start and end of the whole value, so a pattern with text before a ^ or after a $ matches nothing; the pattern is anchored at both ends already); write a pattern the values meant match`,
		`p.yaml:9:17: inputs.tail: pattern "x$\.log" matches no value, so a caller could never set this input (^ and $ match only at the start and end of the whole value, so a pattern with text before a ^ or after a $ matches nothing; the pattern is anchored at both ends already); write a pattern the values meant match`,
		`p.yaml:10:18: inputs.empty: pattern "[^\x00-\x{10FFFF}]" matches no value, so a caller could never set this input; write a pattern the values meant match`,
		`p.yaml:11:18: inputs.lines: pattern and min or max cannot both hold: a pattern takes a string and min and max a number, and every part of the rule must hold; keep pattern for a string input, or min and max for a number`,
		`p.yaml:12:19: inputs.region: enum lists "EU-2", but "EU-2" does not match pattern "[a-z]+-[0-9]" (the whole value must match); every part of the rule must hold, so a caller could never set that value: remove it from enum, or change the rule's other parts`,
		`p.yaml:13:18: inputs.count: enum lists 900, but 900 is out of range: it must be at most 100; every part of the rule must hold, so a caller could never set that value: remove it from enum, or change the rule's other parts`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
