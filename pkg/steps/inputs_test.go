package steps

import (
	"strings"
	"testing"
)

// TestInputConstraints checks enum, min, max and pattern on values given
// at run time, as --input text and as data.
func TestInputConstraints(t *testing.T) {
	pb, err := Parse("c.yaml", []byte(`version: 1
name: c
inputs:
  service: {type: string, default: api, enum: [api, worker]}
  lines: {type: integer, default: 100, min: 1, max: 500}
  ratio: {type: number, default: 0.5, min: 0}
  name: {type: string, default: web, pattern: "[a-z]+"}
  command: {type: list, default: [sleep, "1"], enum: [[sleep, "1"], [sleep, "2"]]}
steps:
  - {id: a, op: control.noop}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		input, text string
		want        string // "" = accepted
	}{
		{"service", "worker", ""},
		{"service", "db", "db is not an allowed value; give one of: api, worker"},
		{"lines", "500", ""},
		{"lines", "501", "501 is out of range: it must be between 1 and 500"},
		{"lines", "0", "out of range"},
		{"ratio", "1e9", ""},
		{"ratio", "-0.1", "at least 0"},
		{"name", "abc", ""},
		// The pattern holds for the whole value, not a part of it.
		{"name", "abc;rm -rf /", `does not match pattern "[a-z]+" (the whole value must match)`},
		{"name", "", "does not match"},
		{"command", `["sleep","2"]`, ""},
		// A list that prints like an allowed one is still another list.
		{"command", `["sleep 1"]`, `["sleep 1"] is not an allowed value; give one of: ["sleep","1"], ["sleep","2"]`},
		{"command", `["sleep","1","&&","sh"]`, "is not an allowed value"},
	}
	for _, c := range cases {
		_, err := pb.Input(c.input).Parse(c.text)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s=%s: %v; want it accepted", c.input, c.text, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s=%s: %v; want an error containing %q", c.input, c.text, err, c.want)
		}
	}
	if _, err := pb.Input("lines").Coerce("7"); err == nil {
		t.Error("a string passed as an integer with bounds was accepted")
	}
}

// TestUnknownInputTypeSaysWhichItMeant: a type named as other tools name
// it (boolean, int) is refused with the one meant, and its default is not
// checked against a type it does not have.
func TestUnknownInputTypeSaysWhichItMeant(t *testing.T) {
	_, err := Parse("t.yaml", []byte("version: 1\nname: t\ninputs:\n  flag: {type: boolean, default: true}\n  n: {type: int}\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
	if err == nil {
		t.Fatal("parsed")
	}
	msg := err.Error()
	for _, want := range []string{`t.yaml:4:16: unknown input type "boolean" (did you mean "bool"?); use one of string, number, integer, bool, list, map, duration`,
		`t.yaml:5:13: unknown input type "int" (did you mean "integer"?); use one of`} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "default") {
		t.Errorf("the default is checked against an unknown type:\n%s", msg)
	}
}

// TestSecretDefaultIsNotQuoted: a secret input's default that breaks its
// rules is reported without its value, as every value of a secret is.
func TestSecretDefaultIsNotQuoted(t *testing.T) {
	_, err := Parse("t.yaml", []byte("version: 1\nname: t\ninputs:\n  c: {type: string, secret: true, default: defaultSecretX, pattern: \"[0-9]+\"}\n  d: {type: string, secret: true, default: enumSecretY, enum: [a, b]}\n  e: {type: string, default: plainZ, enum: [a]}\nsteps:\n  - {id: a, op: control.noop}\n"), testRegistry(t))
	if err == nil {
		t.Fatal("parsed")
	}
	msg := err.Error()
	for _, want := range []string{`t.yaml:4:44: default of input c: "***" does not match pattern "[0-9]+"`, `default of input d: *** is not an allowed value; give one of: a, b`, `plainZ`} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Secret") {
		t.Errorf("a secret default is quoted:\n%s", msg)
	}
}

// TestQuotedDefaultSaysWhy: a default quoted, or written yes/on as YAML
// 1.1 would take for a bool, is refused with what to write, and, since it
// may be a secret's, without repeating it.
func TestQuotedDefaultSaysWhy(t *testing.T) {
	src := "version: 1\nname: t\ninputs:\n  force: {type: bool, default: yes}\n  dry: {type: bool, default: \"false\"}\n" +
		"  n: {type: integer, default: \"3\"}\n  ratio: {type: number, default: \"0.5\", secret: true}\n  who: {type: bool, default: alice}\nsteps:\n  - {id: a, op: control.noop}\n"
	_, err := Parse("t.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("parsed")
	}
	want := []string{
		"t.yaml:4:32: default of input force: want a bool, got a string; only true and false are bools here, as in YAML 1.2 (yes, no, on and off are strings): write true or false",
		"t.yaml:5:30: default of input dry: want a bool, got a string; write it unquoted, true or false",
		"t.yaml:6:31: default of input n: want an integer, got a string; write the number unquoted",
		"t.yaml:7:34: default of input ratio: want a number, got a string; write the number unquoted",
		"t.yaml:8:30: default of input who: want a bool, got a string; give true or false",
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// TestDurationInDays: op params and retention flags take 7d and 2w, a
// playbook's own durations only Go's units; one written in days is told
// the hours to write, wherever it stands.
func TestDurationInDays(t *testing.T) {
	src := "version: 1\nname: t\ntimeout: 2d\ninputs:\n  keep: {type: duration, default: 1w}\nsteps:\n" +
		"  - {id: a, op: control.noop, timeout: 1d12h, retry: {attempts: 2, delay: 1d}}\n"
	_, err := Parse("t.yaml", []byte(src), testRegistry(t))
	if err == nil {
		t.Fatal("parsed")
	}
	want := []string{
		`t.yaml:3:10: timeout: "2d" is not a duration here, where days and weeks are no unit; write 48h`,
		`t.yaml:5:35: default of input keep: want a duration like 30s or 5m, got "1w": days and weeks are no unit of a duration input; write 168h`,
		`t.yaml:7:40: timeout: "1d12h" is not a duration here, where days and weeks are no unit; write 36h`,
		`t.yaml:7:75: retry.delay: "1d" is not a duration here, where days and weeks are no unit; write 24h`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	for in, want := range map[string]string{"7d": "168h", "1d12h": "36h", "1.5d": "36h", "1d30m": "24h30m", "90m": "", "soon": "", "0d": ""} {
		if got := InHours(in); got != want {
			t.Errorf("InHours(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInputValueHints: a value given as text is answered with what was
// most likely meant: the enum value it begins or nearly spells, and a
// list given as words in the JSON to give instead.
func TestInputValueHints(t *testing.T) {
	env := &Input{Name: "env", Type: InputString, Constraint: Constraint{Enum: []any{"staging", "production"}}}
	short := &Input{Name: "env", Type: InputString, Constraint: Constraint{Enum: []any{"staging", "prod"}}}
	hosts := &Input{Name: "hosts", Type: InputList}
	for _, tc := range []struct {
		in   *Input
		text string
		want string
	}{
		{env, "prod", `prod is not an allowed value (did you mean "production"?); give one of: staging, production`},
		{env, "stagin", `stagin is not an allowed value (did you mean "staging"?); give one of: staging, production`},
		{env, "x", `x is not an allowed value; give one of: staging, production`},
		{short, "production", `production is not an allowed value (did you mean "prod"?); give one of: staging, prod`},
		{short, "p", `p is not an allowed value (did you mean "prod"?); give one of: staging, prod`},
		{hosts, "a,b", `want a list written as JSON: for a,b give ["a","b"] (in a shell, inside single quotes)`},
		{hosts, "web-1 web-2", `want a list written as JSON: for web-1 web-2 give ["web-1","web-2"] (in a shell, inside single quotes)`},
		{hosts, "[a]", `want a list written as JSON, e.g. ["a","b"]: invalid character 'a' looking for beginning of value`},
	} {
		v, err := tc.in.Parse(tc.text)
		if err == nil {
			err = tc.in.Check(v)
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s=%s: %v, want %s", tc.in.Name, tc.text, err, tc.want)
		}
	}
}

// TestPatternQuotedAsWritten: a pattern in a message reads as its author
// wrote it in YAML, its backslashes not doubled; one holding a quote is
// still one quoted string.
func TestPatternQuotedAsWritten(t *testing.T) {
	c := &Constraint{}
	if err := c.SetPattern(`^v[0-9]+\.[0-9]+$`); err != nil {
		t.Fatal(err)
	}
	err := c.Check("v1x2")
	if want := `"v1x2" does not match pattern "^v[0-9]+\.[0-9]+$"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v; want %s", err, want)
	}
	if got, want := c.String(), `matching "^v[0-9]+\.[0-9]+$"`; got != want {
		t.Errorf("String() = %s; want %s", got, want)
	}
	if err := c.SetPattern(`"[a-z]+"`); err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), `matching "\"[a-z]+\""`; got != want {
		t.Errorf("String() = %s; want %s", got, want)
	}
}

// TestInputKeyOfOtherTools: an input key other tools use (choices,
// options) names the key written here, with its form.
func TestInputKeyOfOtherTools(t *testing.T) {
	src := hostileHead + "inputs:\n  env: {type: string, choices: [a, b]}\n" + oneStep
	got := diagMsgs(t, src, testRegistry(t))
	want := `unknown key "choices" in input env (write enum here, like enum: [a, b]); allowed keys:`
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNullInputSaysToLeaveItOut: an input given null (an inputs file's
// port: null, a playbook.run step's inputs:) is refused, as null does not
// stand for a value not given; the refusal says to leave the input out,
// which takes its default, unless it is required.
func TestNullInputSaysToLeaveItOut(t *testing.T) {
	for _, c := range []struct {
		in   Input
		want string
	}{
		{Input{Name: "port", Type: InputInteger, Default: 8080}, "want an integer, got null; null does not mean \"not given\" here: leave the input out to take its default"},
		{Input{Name: "tags", Type: InputList}, "want a list, got null; null does not mean \"not given\" here: leave the input out to take its type's zero value"},
		{Input{Name: "host", Type: InputString, Required: true}, "want a string, got null; the input is required: give it a value"},
	} {
		_, err := c.in.Coerce(nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Coerce(nil) = %v, want %q", c.in.Name, err, c.want)
		}
	}
}

// TestEnumValueItsRuleRefuses: an enum value the input's own min, max or
// pattern refuses could never be given; it is reported where it is
// written, and a rule that no value meets is reported once, not per value.
func TestEnumValueItsRuleRefuses(t *testing.T) {
	_, err := Parse("e.yaml", []byte(`version: 1
name: e
inputs:
  env: {type: string, enum: [prod, Staging], pattern: "[a-z]+"}
  n: {type: integer, enum: [1, 50], max: 10}
  ok: {type: integer, enum: [1, 5], min: 1, max: 10}
  none: {type: integer, enum: [1, 2], min: 5, max: 3}
steps:
  - {id: a, op: control.noop}
`), testRegistry(t))
	if err == nil {
		t.Fatal("enum values their own rule refuses were accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`e.yaml:4:36: enum value Staging of input env can never be given: "Staging" does not match pattern "[a-z]+"`,
		"e.yaml:5:32: enum value 50 of input n can never be given: 50 is out of range",
		"remove it from enum, or change min, max or pattern",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("got:\n%s\nwant it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "input ok") || strings.Contains(msg, "enum value 1 of input none") {
		t.Errorf("got:\n%s\nwant no report for input ok, nor per value of none", msg)
	}
}

// TestPatternMismatchSaysWhatToGive: a value the input's pattern refuses
// is answered with what to give: the form of it that matches when only
// its case or spaces are off, the input's description and its default as
// an example; a secret input's hint shows nothing made of the value.
func TestPatternMismatchSaysWhatToGive(t *testing.T) {
	pb, err := Parse("p.yaml", []byte(`version: 1
name: p
inputs:
  service: {type: string, default: api, pattern: "[a-z][a-z0-9-]*", description: the service (and its systemd unit)}
  zone: {type: string, default: eu-1, pattern: "[a-z]+-[0-9]"}
  bare: {type: string, pattern: "[0-9]+"}
  token: {type: string, secret: true, pattern: "tok_[a-z]+", description: the API token}
steps:
  - {id: a, op: control.noop}
`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ input, text, want string }{
		{"service", "API", `"API" does not match pattern "[a-z][a-z0-9-]*" (the whole value must match); did you mean "api"? give the service (and its systemd unit)`},
		{"service", "Web_1", `"Web_1" does not match pattern "[a-z][a-z0-9-]*" (the whole value must match); give the service (and its systemd unit), like "api" (the default)`},
		{"zone", " eu-2 ", `(the whole value must match); did you mean "eu-2"? give a value like "eu-1" (the default)`},
		{"bare", "x", `"x" does not match pattern "[0-9]+" (the whole value must match)`},
		{"token", "TOK_ABC", `does not match pattern "tok_[a-z]+" (the whole value must match); give the API token`},
	} {
		_, err := pb.Input(c.input).Parse(c.text)
		if err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("%s=%q: %v\nwant it to end %s", c.input, c.text, err, c.want)
		}
		if err != nil && c.input == "token" && strings.Contains(strings.ToLower(err.Error()), "tok_abc\"?") {
			t.Errorf("secret input: the hint shows the value: %v", err)
		}
	}
}

// TestEnumValuesReadAsAList: an enum's values are listed as words
// separated by commas, not as Go prints a slice, and a value that would
// not read as one word on its own is quoted.
func TestEnumValuesReadAsAList(t *testing.T) {
	cases := []struct {
		enum []any
		want string
	}{
		{[]any{"low", "high"}, "low, high"},
		{[]any{"a,b", "", " x", "y"}, `"a,b", "", " x", y`},
		{[]any{1.0, true, []any{"a"}}, `1, true, ["a"]`},
	}
	for _, c := range cases {
		if got := showList(c.enum); got != c.want {
			t.Errorf("showList(%v) = %s; want %s", c.enum, got, c.want)
		}
	}
	c := &Constraint{Enum: []any{"low", "high"}}
	if got, want := c.String(), "one of low, high"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}
