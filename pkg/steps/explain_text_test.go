package steps

import (
	"strings"
	"testing"
)

// TestTextMistakesAtLoad: a text operator given a number, a list or map
// given to a built-in that takes text, a list indexed by text or a map by
// a number, a time added to a number, and a ?: condition that is not a
// bool are refused with what to write, in the docs' words: never the
// advice to make a number of the text, which matches, contains,
// startsWith and endsWith cannot take, and never expr's Go type names.
func TestTextMistakesAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  s: {type: string, default: \"a\"}\n  n: {type: integer, default: 1}\n  l: {type: list, default: [1]}\n  m: {type: map, default: {a: 1}}\nsteps:\n  - id: a\n    op: control.log\n"
	for src, want := range map[string]string{
		`string(inputs.s matches inputs.n)`:    `matches compares text with text: convert the other side with string(x), and write the pattern in quotes, like x matches "^[0-9]+$"`,
		`string(inputs.s matches 1)`:           `matches compares text with text`,
		`string(inputs.s contains inputs.n)`:   `contains compares text with text: convert the other side with string(x)`,
		`string(inputs.n startsWith inputs.s)`: `startsWith compares text with text`,
		`lower(inputs.l)`:                      `lower() was given a list, not a string; give it one item, like x[0], or the items joined, like join(x, ", ")`,
		`upper(inputs.m)`:                      `upper() was given a map, not a string; give it one value of the map, like x.name`,
		`string(inputs.l[inputs.s])`:           `a list's items are picked by a whole number, x[0], but this index is a string; convert it with int(trim(x))`,
		`string(inputs.m[inputs.n])`:           `a map's values are picked by a text key, x["name"] or x.name, but this key is an integer; convert it with string(x)`,
		`string(now() + inputs.n)`:             `(mismatched types time and int); make the number a duration first`,
		`string(inputs.s ? 1 : 2)`:             `the condition before ? must give true or false, but this one gives a string; compare it`,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant it to contain\n%s", src, got, want)
		}
		for _, bad := range []string{"float(trim(x))", "interface {}", "[]", "non-bool", "type string", "time.Time"} {
			if strings.Contains(got, bad) {
				t.Errorf("%s: %q says %q", src, got, bad)
			}
		}
	}
}
