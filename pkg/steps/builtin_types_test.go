package steps

import (
	"strings"
	"testing"
	"time"
)

// TestBuiltinGivenWrongTypeAtLoad: a built-in given a value whose type is
// known when the playbook loads, and that it cannot take, is refused in
// the words a run uses for the same mistake (`sum() was given a string,
// not a list`), with what to do, never in expr's (`builtin sum takes only
// array (got string)`, `type []int`, `float64`), and trim(number) is not
// left at `not enough arguments`; nor a list given to keys(), whose
// type the checker names `[]interface {}`, nor a text looked for in a
// range of numbers with in.
func TestBuiltinGivenWrongTypeAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  s: {type: string, default: \"1 2\"}\n  n: {type: number, default: 1}\n  l: {type: list, default: [1]}\nsteps:\n  - id: a\n    op: control.log\n"
	for src, want := range map[string]string{
		`string(keys(inputs.l))`:            `keys() was given a list, not a map`,
		`string(values(inputs.l))`:          `values() was given a list, not a map`,
		`string(toPairs(inputs.l))`:         `toPairs() was given a list, not a map`,
		`string(keys([1, 2]))`:              `keys() was given a list, not a map`,
		`string(inputs.s in 1..5)`:          `in looks for a string among integers, where it is never found; convert the text with int(trim(x))`,
		`string(inputs.s in [1, 2])`:        `in looks for a string among integers, where it is never found; convert the text with int(trim(x))`,
		`string(inputs.n in ['a'])`:         `in looks for a number among strings, where it is never found; convert the number with string(x)`,
		`string(sum(inputs.s))`:             `sum() was given a string, not a list; split the text into a list first`,
		`string(len(map(inputs.s, # + 1)))`: `map() was given a string, not a list; split the text`,
		`string(first(inputs.n))`:           `first() was given a number, not a list`,
		`string(sort(inputs.s))`:            `sort() was given a string, not a list; split the text`,
		`string(mean(inputs.s))`:            `mean() was given a string, not a list; split the text`,
		`string(keys(inputs.s))`:            `keys() was given a string, not a map`,
		`string(len(inputs.n))`:             `len() was given a number, not a list, map or string`,
		`trim(inputs.n)`:                    `not enough arguments to call trim, or an argument of it has the wrong type; trim() takes text: convert a number or a bool with string(x)`,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: \"${{ "+src+" }}\"}\n", reg), "\n")
		if !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant it to contain\n%s", src, got, want)
		}
		for _, goWord := range []string{"builtin", "array", "[]", "float64", "invalid argument", "cannot get"} {
			if strings.Contains(got, goWord) {
				t.Errorf("%s: %q speaks Go (%q)", src, got, goWord)
			}
		}
	}
	// trim() with no argument at all keeps expr's message alone.
	got := strings.Join(diagMsgs(t, head+"    with: {message: \"${{ trim() }}\"}\n", reg), "\n")
	if !strings.Contains(got, "not enough arguments to call trim") || strings.Contains(got, "wrong type") {
		t.Errorf("trim(): got %s", got)
	}
}

// TestLiteralDurationAtLoad: duration() of a literal that is no duration
// fails every run that reaches it, so it is refused at load: one in days
// with the hours to write; a good literal, or a value known only at run
// time, passes.
func TestLiteralDurationAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  s: {type: string, default: \"1h\"}\nsteps:\n  - id: a\n    op: control.log\n"
	for src, want := range map[string]string{
		`string(duration("1d"))`:                   `duration("1d"): days and weeks are no unit of a duration; write duration("24h")`,
		`string(now() - duration("2w"))`:           `duration("2w"): days and weeks are no unit of a duration; write duration("336h")`,
		`string(duration("soon"))`:                 `duration("soon") is not a duration; write one like "30s", "5m" or "1h30m"`,
		`string(duration("90m"))`:                  ``,
		`string(duration(inputs.s))`:               ``,
		`string(duration("1h") > duration("30m"))`: ``,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
}

// TestLiteralZoneAtLoad: timezone() or date() given a literal zone that
// does not exist fails every run that reaches it, so it is refused at
// load, with the name meant; a zone that exists, or one known only at
// run time, passes.
func TestLiteralZoneAtLoad(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Paris"); err != nil {
		t.Skip("no time zone database:", err)
	}
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  tz: {type: string, default: UTC}\nsteps:\n  - id: a\n    op: control.log\n"
	advice := `; use an IANA name like Europe/Berlin or UTC`
	for src, want := range map[string]string{
		`string(now().In(timezone("Europe/Pari")))`:             `timezone(): unknown time zone "Europe/Pari" (did you mean "Europe/Paris"?)` + advice,
		`string(date("2024-01-01", "2006-01-02", "Mars/Base"))`: `date(): unknown time zone "Mars/Base"`,
		`string(timezone("../etc/passwd"))`:                     `timezone(): unknown time zone "../etc/passwd"`,
		`string(timezone("UTC+2"))`:                             `timezone(): unknown time zone "UTC+2"; for a fixed UTC+2 write Etc/GMT-2`,
		`string(now().In(timezone("Europe/Paris")))`:            ``,
		`string(date("2024-01-01", "2006-01-02", "UTC"))`:       ``,
		`string(timezone(inputs.tz))`:                           ``,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
}

// TestLiteralRangeAtLoad: a range with literal ends over one evaluation's
// memory budget fails every run that reaches it, so it is refused at
// load; one that fits, one whose end is known only at run time and one on
// the right of in, which is compared with its ends, not built, pass.
func TestLiteralRangeAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "inputs:\n  n: {type: integer, default: 3}\nsteps:\n  - id: a\n    op: control.log\n"
	over := ` is a range of more than 1000000 items, over the limit of one evaluation's memory`
	for src, want := range map[string]string{
		`string(len(0..1000000))`:                      `0..1000000` + over,
		`string(len(map(-5..1000000000, #)))`:          `-5..1000000000` + over,
		`string(count(1..9223372036854775807, # > 1))`: `1..9223372036854775807` + over,
		`string(len(1..1000000))`:                      ``,
		`string(len(1..inputs.n))`:                     ``,
		`string(inputs.n in 1..5000000)`:               ``,
		`string(len(filter(1..5000000, # > 0)))`:       `1..5000000` + over,
		`string(len(10..1))`:                           ``,
	} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
}

// TestLiteralRemainderByZeroAtLoad: % of literals by 0 is refused at
// load as % by zero, with what to write (it said "integer divide by
// zero", naming no operator).
func TestLiteralRemainderByZeroAtLoad(t *testing.T) {
	reg := testRegistry(t)
	head := hostileHead + "steps:\n  - id: a\n    op: control.log\n"
	want := "% by zero: the right side of % is 0, so every run that reaches it fails; divide by a number other than 0"
	for _, src := range []string{`string(10 % 0)`, `string(7 % (2 - 2))`} {
		got := strings.Join(diagMsgs(t, head+"    with: {message: '${{ "+src+" }}'}\n", reg), "\n")
		if !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant %q", src, got, want)
		}
	}
}
