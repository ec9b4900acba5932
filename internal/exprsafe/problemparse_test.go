package exprsafe

import (
	"strings"
	"testing"
)

// TestParseProblemSaysWhatToWrite: date() and fromJSON() given a text
// known only at run time that they cannot read name the function and
// say what to write ("invalid date nope", "parsing time ... as ...",
// "unexpected end of JSON input" said neither).
func TestParseProblemSaysWhatToWrite(t *testing.T) {
	env := map[string]any{"u": map[string]any{"nope": "nope", "day": "2024-01-31", "half": "{", "abc": "abc"}}
	for src, want := range map[string]string{
		`date(u.nope)`:            `date() was given "nope", which is not a date it reads; write one like "2024-01-31"`,
		`date(u.day, "%Y-%m-%d")`: `date() was given "2024-01-31", which does not match the layout "%Y-%m-%d"; a layout writes Go's reference time, Mon Jan 2 15:04:05 MST 2006`,
		`fromJSON(u.half)`:        `fromJSON() was given a text that is not JSON (unexpected end of JSON input); pass it a JSON document`,
		`fromJSON(u.abc)`:         `fromJSON() was given a text that is not JSON (invalid character 'a' looking for beginning of value); pass it a JSON document`,
	} {
		got := problemOf(t, src, env)
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, " (1:1)") {
			t.Errorf("%s:\n got %q\nwant it to start %q", src, got, want)
		}
	}
}
