package steps

import (
	"strings"
	"testing"
)

// TestLiteralParseAtLoad: int(), float(), date() and fromJSON() given a
// literal text they cannot read fail every run that reaches them, so
// validate refuses them, at the text, saying what to write (they passed
// and failed at run time); a text they read, or one known only at run
// time, passes.
func TestLiteralParseAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  s: {type: string, default: \"1\"}\nsteps:\n  - id: a\n    op: control.log\n"
	fails := ", so every run that reaches it fails"
	for src, want := range map[string]string{
		`string(int("abc"))`:                       `8:37: int("abc"): the text is not a whole number` + fails + `; write the number without quotes, as 42`,
		`string(int("1.5"))`:                       `int("1.5"): the text is not a whole number`,
		`string(float("x"))`:                       `8:39: float("x"): the text is not a number` + fails,
		`string(date("nope"))`:                     `8:38: date() was given "nope", which is not a date it reads` + fails + `; write one like "2024-01-31"`,
		`string(date("2024-01-31", "%Y-%m-%d"))`:   `date() was given "2024-01-31", which does not match the layout "%Y-%m-%d"` + fails + `; a layout writes Go's reference time`,
		`string(date("31/01/2024", "%d", "UTC"))`:  `which does not match the layout "%d"`,
		`toJSON(fromJSON("{"))`:                    `8:42: fromJSON() was given a text that is not JSON (unexpected end of JSON input)` + fails,
		`string(int("42") + int(inputs.s))`:        ``,
		`string(float("2.5"))`:                     ``,
		`string(date("2024-01-31"))`:               ``,
		`string(date("2024-01-31T10:00:00Z"))`:     ``,
		`string(date("31/01/2024", "02/01/2006"))`: ``,
		`string(date(inputs.s))`:                   ``,
		`toJSON(fromJSON("{\"a\": [1]}"))`:         ``,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
	// A condition too.
	got := strings.Join(diagMsgs(t, head+"    when: int(\"abc\") > 0\n    with: {message: x}\n", reg), "\n")
	if want := `8:15: int("abc"): the text is not a whole number`; !strings.Contains(got, want) {
		t.Errorf("when: got\n%s\nwant %q", got, want)
	}
}

// TestLiteralDateWithLocationFirst: date() also takes its zone first, as
// date(timezone("Europe/Paris"), text, layout); its layout is no zone, and
// its text and layout are checked as in the other forms.
func TestLiteralDateWithLocationFirst(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "steps:\n  - id: a\n    op: control.log\n"
	for src, want := range map[string]string{
		`string(date(timezone("Europe/Paris"), "2024-01-31 10:00", "2006-01-02 15:04"))`: ``,
		`string(date(timezone("Europe/Paris"), "2024-01-31"))`:                           ``,
		`string(date(timezone("UTC"), "31/01/2024", "2006-01-02", "UTC"))`:               `date() was given "31/01/2024", which does not match the layout "2006-01-02"`,
		`string(date(timezone("UTC"), "nope"))`:                                          `date() was given "nope", which is not a date it reads`,
		`string(date(timezone("UTC"), "2024-01-31", "2006-01-02", "Europe/Pariss"))`:     `date(): unknown time zone "Europe/Pariss"`,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
}
