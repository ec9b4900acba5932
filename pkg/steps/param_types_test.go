package steps

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// paramTypesHead declares an input of every type; the step under test
// starts on line 12 and its with: is on line 14.
const paramTypesHead = `version: 1
name: p
inputs:
  n: {type: integer, default: 4}
  x: {type: number, default: 1.5}
  s: {type: string, default: "3"}
  b: {type: bool, default: true}
  l: {type: list, default: []}
  m: {type: map, default: {}}
  d: {type: duration, default: 5s}
steps:
  - id: a
`

// TestParamExpressionTypes checks that a parameter written with ${{ }}
// whose type the expression checker knows, and that the operation's
// schema would refuse when the step runs, is a validation error naming the
// place, the parameter, both types and the fix; and that what the run
// would accept, or what is known only at run time, still loads.
func TestParamExpressionTypes(t *testing.T) {
	reg := fixtureRegistry(t)
	for _, tc := range []struct {
		name, step string
		want       string // the whole error; "" = the playbook loads
	}{
		// Refused: the run would certainly fail.
		{"integer input for a string", `    op: control.log
    with: {message: "${{ inputs.n }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`inputs.n`" + ` gives an integer, but control.log wants a string; convert it, like "${{ string(inputs.n) }}", or write it inside text, like "value: ${{ inputs.n }}"`},
		{"integer literal for a string", `    op: control.log
    with: {message: "${{ 5 }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`5`" + ` gives an integer, but control.log wants a string; convert it, like "${{ string(5) }}", or write it inside text, like "value: ${{ 5 }}"`},
		{"len for a string", `    op: control.log
    with: {message: "${{ len(inputs.l) }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`len(inputs.l)`" + ` gives an integer, but control.log wants a string; convert it, like "${{ string(len(inputs.l)) }}", or write it inside text, like "value: ${{ len(inputs.l) }}"`},
		{"bool for a string", `    op: control.log
    with: {message: "${{ inputs.b }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`inputs.b`" + ` gives a bool, but control.log wants a string; convert it, like "${{ string(inputs.b) }}", or write it inside text, like "value: ${{ inputs.b }}"`},
		{"list for a string", `    op: control.log
    with: {message: "${{ inputs.l }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`inputs.l`" + ` gives a list, but control.log wants a string; turn it into text, like "${{ toJSON(inputs.l) }}"`},
		{"string for an integer", `    op: fake.params
    with: {url: u, count: "${{ inputs.s }}"}`,
			`p.yaml:14:32: step a: param count: ` + "`inputs.s`" + ` gives a string, but fake.params wants an integer; convert it, like "${{ int(trim(inputs.s)) }}"`},
		{"bool for a number", `    op: fake.params
    with: {url: u, ratio: "${{ inputs.b }}"}`,
			`p.yaml:14:32: step a: param ratio: ` + "`inputs.b`" + ` gives a bool, but fake.params wants a number; give a number`},
		{"string for a bool", `    op: fake.params
    with: {url: u, verbose: "${{ inputs.s }}"}`,
			`p.yaml:14:34: step a: param verbose: ` + "`inputs.s`" + ` gives a string, but fake.params wants a bool; compare it, e.g. x > 0 or x != ""`},
		{"map for a list", `    op: fake.params
    with: {url: u, tags: "${{ inputs.m }}"}`,
			`p.yaml:14:31: step a: param tags: ` + "`inputs.m`" + ` gives a map, but fake.params wants a list; give a list, like "${{ [inputs.m] }}"`},
		{"string for a list", `    op: fake.params
    with: {url: u, tags: "${{ inputs.s }}"}`,
			`p.yaml:14:31: step a: param tags: ` + "`inputs.s`" + ` gives a string, but fake.params wants a list; split it, like "${{ split(inputs.s, ",") }}", or give a list`},
		{"list for a map", `    op: fake.params
    with: {url: u, headers: "${{ inputs.l }}"}`,
			`p.yaml:14:34: step a: param headers: ` + "`inputs.l`" + ` gives a list, but fake.params wants a map; give a map, like "${{ {"key": inputs.l} }}"`},
		{"integer for a duration", `    op: fake.params
    with: {url: u, wait: "${{ inputs.n }}"}`,
			`p.yaml:14:31: step a: param wait: ` + "`inputs.n`" + ` gives an integer, but fake.params wants a duration like 30s; add a unit, like "${{ inputs.n }}s"`},
		{"text for a list with its own hint", `    op: fake.shell
    with: {command: "echo hello ${{ inputs.s }}"}`,
			`p.yaml:14:21: step a: param command: text with ${{ }} inside gives a string, but fake.shell wants a list; write it as a list, like [echo, hello, "${{ inputs.s }}"]; or, to run it as a shell line, use script: instead`},
		{"a shell line with ${{ }} for a list", `    op: fake.shell
    with: {command: "echo ${{ inputs.s }} | wc -l"}`,
			`p.yaml:14:21: step a: param command: text with ${{ }} inside gives a string, but fake.shell wants a list; write it as a list, which runs no shell: "|" here would be a plain word; or, to run it as a shell line, use script: instead`},
		{"a string for a list with its own hint", `    op: fake.shell
    with: {command: "${{ inputs.s }}"}`,
			`p.yaml:14:26: step a: param command: ` + "`inputs.s`" + ` gives a string, but fake.shell wants a list; split it, like "${{ split(inputs.s, ",") }}", or give a list; or, to run it as a shell line, use script: instead`},
		{"a duration for an integer", `    op: fake.params
    with: {url: u, count: "${{ duration('1s') }}"}`,
			`p.yaml:14:32: step a: param count: ` + "`duration('1s')`" + ` gives a string, but fake.params wants an integer; give a number: a duration gives one in the unit the parameter counts, like "${{ duration('1s').Seconds() }}"`},
		{"a time for a number", `    op: fake.params
    with: {url: u, ratio: "${{ now() }}"}`,
			`p.yaml:14:32: step a: param ratio: ` + "`now()`" + ` gives a string, but fake.params wants a number; give a number: a time gives one as seconds since 1970, like "${{ now().Unix() }}"`},
		{"text for an integer", `    op: fake.params
    with: {url: u, count: "n=${{ inputs.n }}"}`,
			`p.yaml:14:27: step a: param count: text with ${{ }} inside gives a string, but fake.params wants an integer; write the value as one ${{ }} alone, like "${{ inputs.name }}", which keeps the expression's type`},
		{"integer item of a list of strings", `    op: fake.params
    with: {url: u, tags: [a, "${{ inputs.n }}"]}`,
			`p.yaml:14:35: step a: param tags: item 1: ` + "`inputs.n`" + ` gives an integer, but fake.params wants a list of strings; convert it, like "${{ string(inputs.n) }}", or write it inside text, like "value: ${{ inputs.n }}"`},
		{"index of a fan-out for a string", `    op: control.log
    foreach: inputs.l
    with: {message: "${{ index }}"}`,
			`p.yaml:15:26: step a: param message: ` + "`index`" + ` gives an integer, but control.log wants a string; convert it, like "${{ string(index) }}", or write it inside text, like "value: ${{ index }}"`},
		{"maybe nil, for a required string", `    op: control.log
    with: {message: "${{ find([1, 2], # > 1) }}"}`,
			`p.yaml:14:26: step a: param message: ` + "`find([1, 2], # > 1)`" + ` gives an integer, but control.log wants a string; convert it, like "${{ string(find([1, 2], # > 1)) }}", or write it inside text, like "value: ${{ find([1, 2], # > 1) }}"`},
		{"in a notify entry", `    op: control.noop
notify:
  - {on: [failure], webhook: {url: u, text: "${{ inputs.n }}"}}`,
			`p.yaml:15:50: step notify_1: param text: ` + "`inputs.n`" + ` gives an integer, but notify.webhook wants a string; convert it, like "${{ string(inputs.n) }}", or write it inside text, like "value: ${{ inputs.n }}"`},

		// Accepted: the run may take these.
		{"text around an integer", `    op: control.log
    with: {message: "n=${{ inputs.n }}"}`, ""},
		{"converted to a string", `    op: control.log
    with: {message: "${{ string(inputs.n) }}"}`, ""},
		{"a time, written as text", `    op: control.log
    with: {message: "${{ now() }}"}`, ""},
		{"a step's output, known at run time", `    op: control.set
    with: {v: 1}
  - id: b
    op: control.log
    with: {message: "${{ steps.a.output.v }}"}`, ""},
		{"fromJSON, known at run time", `    op: control.log
    with: {message: "${{ fromJSON(inputs.s) }}"}`, ""},
		{"a map's field, known at run time", `    op: control.log
    with: {message: "${{ inputs.m.k }}"}`, ""},
		{"an item of a fan-out", `    op: control.log
    foreach: inputs.l
    with: {message: "${{ item }}"}`, ""},
		{"a number for an integer", `    op: fake.params
    with: {url: u, count: "${{ inputs.x * 2 }}"}`, ""},
		{"a division for an integer", `    op: fake.params
    with: {url: u, count: "${{ inputs.n / 2 }}"}`, ""},
		{"an integer for a number", `    op: fake.params
    with: {url: u, ratio: "${{ inputs.n - 4 }}"}`, ""},
		{"a comparison for a bool", `    op: fake.params
    with: {url: u, verbose: "${{ inputs.n > 0 }}"}`, ""},
		{"a string for a duration", `    op: fake.params
    with: {url: u, wait: "${{ inputs.d }}"}`, ""},
		{"text for a duration", `    op: fake.params
    with: {url: u, wait: "${{ inputs.n }}s"}`, ""},
		{"a duration value for a duration", `    op: fake.params
    with: {url: u, wait: "${{ duration(inputs.d) }}"}`, ""},
		{"split for a list", `    op: fake.params
    with: {url: u, tags: "${{ split(inputs.s, \",\") }}"}`, ""},
		{"a range for a list", `    op: fake.params
    with: {url: u, tags: "${{ 1..2 }}"}`, ""},
		{"a map literal for a map", `    op: fake.params
    with: {url: u, headers: "${{ {\"n\": inputs.n} }}"}`, ""},
		{"values nested in a map are left to the run", `    op: fake.params
    with: {url: u, headers: {n: "${{ inputs.n }}"}}`, ""},
		{"text items of a list of strings", `    op: fake.params
    with: {url: u, tags: ["${{ inputs.s }}", "n-${{ inputs.n }}"]}`, ""},
		{"anything for an any parameter", `    op: fake.params
    with: {url: u, body: "${{ inputs.n }}"}`, ""},
		{"open parameters", `    op: control.set
    with: {v: "${{ inputs.n }}"}`, ""},
		{"maybe nil, for an optional string", `    op: control.log
    with: {message: hi, level: "${{ find([1, 2], # > 5) }}"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(paramTypesHead+tc.step+"\n"), reg)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("load error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParamExpressionTypesAllReported checks that mistyped parameter
// expressions are reported together with the playbook's other problems,
// sorted by position.
func TestParamExpressionTypesAllReported(t *testing.T) {
	src := paramTypesHead + `    op: fake.params
    with: {url: "${{ inputs.n }}", count: "${{ inputs.s }}", method: PUT}
`
	_, err := Parse("p.yaml", []byte(src), fixtureRegistry(t))
	ds, ok := err.(Diagnostics)
	if !ok {
		t.Fatalf("want Diagnostics, got %v", err)
	}
	type diag struct {
		Pos  Pos
		Head string // the message up to the first ":"
	}
	var got []diag
	for _, d := range ds {
		head, _, _ := strings.Cut(strings.TrimPrefix(d.Msg, "step a: "), ":")
		got = append(got, diag{d.Pos, head})
	}
	want := []diag{
		{Pos{Line: 14, Col: 22}, "param url"},
		{Pos{Line: 14, Col: 48}, "param count"},
		{Pos{Line: 14, Col: 62}, "fake.params"}, // method: PUT, from the schema
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\nall:\n%v", diff, err)
	}
}

// TestSecretParamFromAPlainInput: a secret parameter (a password, a
// webhook URL) that reads an input not declared secret is refused where
// it reads it, as the run would write that input in clear to its report,
// history and events; a secret input, a literal or a step's output may
// feed it.
func TestSecretParamFromAPlainInput(t *testing.T) {
	const head = `version: 1
name: p
inputs:
  plain: {type: string, default: x}
  hidden: {type: string, default: y, secret: true}
env:
  PW: "${{ inputs.plain }}"
vars:
  inner: "${{ inputs.plain }}"
  outer: "${{ vars.inner + '!' }}"
  safe: "${{ inputs.hidden }}"
steps:
  - id: a
`
	for _, tc := range []struct {
		name, step, want string
	}{
		{"a plain input", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ inputs.plain }}"}`,
			`p.yaml:15:75: inputs.plain gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"inside text", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "pre-${{ inputs.plain }}"}`,
			`p.yaml:15:79: inputs.plain gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"in a notify entry", `    op: control.noop
notify:
  - {on: [failure], webhook: {url: "${{ inputs.plain }}", text: t}}`,
			`p.yaml:16:41: inputs.plain gives url of step notify_1, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"through vars", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ vars.outer }}"}`,
			`p.yaml:15:80: vars.outer reads inputs.plain and gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"through the playbook's env", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ env.PW }}"}`,
			`p.yaml:15:75: env.PW reads inputs.plain and gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"through the step's env, from vars", `    op: notify.email
    env: {MINE: "${{ vars.outer }}"}
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ env.MINE }}"}`,
			`p.yaml:16:75: env.MINE reads inputs.plain and gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"through a foreach's item", `    op: notify.email
    foreach: "${{ [inputs.plain] }}"
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ item }}"}`,
			`p.yaml:16:75: item reads inputs.plain and gives password of step a, a secret parameter, but input plain is not secret, so its value would be written in clear to the report, history and logs; add secret: true to input plain`},
		{"a step's env of a secret input", `    op: notify.email
    env: {PW: "${{ inputs.hidden }}"}
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ env.PW }}"}`, ""},
		{"a secret input", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ inputs.hidden }}"}`, ""},
		{"a var of a secret input", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: "${{ vars.safe }}"}`, ""},
		{"a literal", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: s, body: b, password: pw}`, ""},
		{"a plain input in a plain param", `    op: notify.email
    with: {host: h, from: f, to: [t], subject: "${{ inputs.plain }}", body: b, password: "${{ inputs.hidden }}"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if _, err := Parse("p.yaml", []byte(head+tc.step+"\n"), fixtureRegistry(t)); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("load error (-want +got):\n%s", diff)
			}
		})
	}
}
