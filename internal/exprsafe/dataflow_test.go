package exprsafe

import (
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr"
)

// TestDataFlow checks which paths an expression's value is made of: what
// flows into it, not what decides it.
func TestDataFlow(t *testing.T) {
	env := expr.Env(map[string]any{"inputs": map[string]any{}, "steps": map[string]any{}, "item": ""})
	for src, want := range map[string]string{
		`upper(inputs.token)`:                       "inputs.token",
		`split(inputs.token, "_")[1]`:               "inputs.token",
		`toBase64("u:" + inputs.token)`:             "inputs.token",
		`inputs.token != "" ? "yes" : inputs.other`: "inputs.other",
		`trim(steps["get-it"].output.body)`:         "steps.get-it.output.body",
		`filter(inputs.list, # == inputs.token)`:    "inputs.list",
		`len(inputs.token) > 3`:                     "",
		`let t = trim(inputs.token); t + item`:      "inputs.token item t", // t names no value of the run
		`inputs.list[inputs.index]`:                 "inputs.list",
		`map(inputs.list, upper(#) + inputs.token)`: "inputs.list inputs.token",
		`inputs.token`:                              "", // the value itself, no new text
		`steps.get.output.body`:                     "",
		`"plain text"`:                              "",
		`join(keys(inputs.creds), ",")`:             "", // names of what the values are
	} {
		p, err := expr.Compile(src, env)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var got []string
		if f := DataFlow(p.Node()); f != nil {
			for _, r := range f.Reads {
				got = append(got, strings.Join(r, "."))
			}
		}
		slices.Sort(got)
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s: reads %q, want %q", src, g, want)
		}
	}
	p, _ := expr.Compile(`[upper(inputs.plain), inputs.token]`, env)
	f := DataFlow(p.Node())
	if len(f.Items) != 2 || f.Items[0] == nil || strings.Join(f.Items[0].Reads[0], ".") != "inputs.plain" || f.Items[1] != nil {
		t.Errorf("a list's items: %+v", f.Items)
	}
}
